"""Backup and restore as operator commands: one file holds the whole installation.

Every file the application keeps (receipts, import uploads and reports, exports, summaries)
lives in the database (app/filestore.py), so a database backup is a complete backup.

    flask --app app backup create FILE     # PostgreSQL: pg_dump (custom format); SQLite: a copy
    flask --app app backup restore FILE    # PostgreSQL: pg_restore into DATABASE_URL's database

PostgreSQL needs the client tools (pg_dump, pg_restore) of the server's major version or newer
on the PATH. A restore replaces every table of the target database in one transaction; stop the
web, worker and beat processes first and start them again after it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext


def _url() -> sa.engine.URL:
    return sa.engine.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _libpq(url: sa.engine.URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the password in the environment."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise click.ClickException(
            f"{command[0]} failed ({result.returncode}): {result.stderr.strip()[-2000:]}"
        )


def create_backup(target: Path) -> Path:
    """Write a backup of the whole database (files included) to ``target``."""
    url = _url()
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "postgresql":
        dsn, env = _libpq(url)
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-acl", "--file", str(target), dsn],
            env,
        )
    elif url.get_backend_name() == "sqlite":
        source = sqlite3.connect(url.database)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # consistent even while the app writes
        finally:
            copy.close()
            source.close()
    else:
        raise click.ClickException(f"no backup for {url.get_backend_name()}")
    return target


def restore_backup(source: Path) -> None:
    """Replace the database's contents with the backup in ``source``."""
    url = _url()
    source = source.resolve()
    if not source.is_file():
        raise click.ClickException(f"{source} does not exist")
    from app.extensions import db

    db.session.remove()
    db.engine.dispose()  # this process holds no connection while the tables are replaced
    if url.get_backend_name() == "postgresql":
        dsn, env = _libpq(url)
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-acl",
                "--single-transaction",
                "--exit-on-error",
                "--dbname",
                dsn,
                str(source),
            ],
            env,
        )
    elif url.get_backend_name() == "sqlite":
        shutil.copyfile(source, url.database)
    else:
        raise click.ClickException(f"no restore for {url.get_backend_name()}")


@click.group("backup")
def backup_cli() -> None:
    """Back up and restore the database, which holds every file too."""


@backup_cli.command("create")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def create_command(file: Path) -> None:
    """Write a backup of the whole installation to FILE."""
    path = create_backup(file)
    click.echo(f"backup written: {path} ({path.stat().st_size} bytes)")


@backup_cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path) -> None:
    """Replace the database (and so every file) with the backup in FILE."""
    restore_backup(file)
    click.echo(f"restored from {file}")
