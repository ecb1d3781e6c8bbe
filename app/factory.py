"""The application factory: a flat list of small init steps. Nothing is built at import time.

It loads every feature of the app; ``app.create_app`` imports it only when an app is built, so
that importing any ``app.*`` module (the domain alone, a task module) loads no more than it needs.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from flask_appbuilder import AppBuilder
from sqlalchemy.orm import Session

from app import audit, filestore, jobs, kept, navbar, permission_cache, reminders
from app.cases import notices
from app.cli import register_commands
from app.domain import calendar, units
from app.extensions import csrf, db, migrate
from app.hardening import init_hardening
from app.i18n import init_i18n, install_catalog_lookup
from app.input_guard import init_input_guard
from app.ledger import rollup
from app.replica import init_replica
from app.sessions import init_sessions
from app.system import database_engine_options, init_database_guard
from app.tasks import make_celery
from app.views import register_views


def create_app(config_object: object | str = "config.Config") -> Flask:
    """Build the app: config, extensions, security, screens, commands."""
    app = Flask("app", instance_path=None)
    app.config.from_object(config_object)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger().setLevel(app.config.get("LOG_LEVEL", "WARNING"))
    logging.getLogger("flask_appbuilder").setLevel(logging.WARNING)

    init_extensions(app)
    init_appbuilder(app)
    init_commands(app)
    init_celery(app)
    init_replica(app)
    init_i18n(app)
    init_hardening(app)
    init_input_guard(app)
    init_sessions(app, app.appbuilder)
    return app


def init_extensions(app: Flask) -> None:
    database_engine_options(app)
    db.init_app(app)
    init_database_guard(app)
    migrate.init_app(app, db, directory=str(_root() / "migrations"))
    # CSRF before AppBuilder: otherwise FAB's REST login breaks and GET deletes are allowed.
    csrf.init_app(app)
    units.register(Session)
    audit.register(Session)
    kept.register(Session)
    permission_cache.install_session_hooks(Session)  # a write: read the security stamp again
    calendar.install_session_hooks()
    filestore.install_session_hooks()  # S3 objects follow the transaction (FILE_STORE=s3)
    rollup.install()  # statistics rollups follow every ORM write
    # Subscribers of the domain's events (app/domain/events.py):
    reminders.install()  # the applicant's SMS follows every status change
    notices.install()  # a transfer tells the receiving unit


def init_appbuilder(app: Flask) -> None:
    appbuilder = AppBuilder(update_perms=False)
    with app.app_context():
        appbuilder.init_app(app, db.session)
        install_catalog_lookup(app)  # over Flask-Babel's, which FAB's set-up installed
        register_views(appbuilder)
    navbar.install(app)


def init_celery(app: Flask) -> None:
    make_celery(app)
    jobs.install_session_hooks()


def init_commands(app: Flask) -> None:
    register_commands(app)


def _root() -> Path:
    return Path(__file__).resolve().parent.parent
