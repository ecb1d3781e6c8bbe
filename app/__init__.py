"""The application package. Importing it builds and loads nothing (app/factory.py builds)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def create_app(config_object: object | str = "config.Config") -> Flask:
    """Build the app: config, extensions, security, screens, commands (app/factory.py)."""
    # cycle: the factory loads every app module, and each of them imports this package first
    from app.factory import create_app as build

    return build(config_object)
