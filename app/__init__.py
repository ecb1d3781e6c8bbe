"""The application factory. Nothing is built at import time."""

from __future__ import annotations

import logging

from flask import Flask


def create_app(config_object: object | str = "config.Config") -> Flask:
    """Build the app: config, extensions, security, screens, commands."""
    app = Flask(__name__, instance_path=None)
    app.config.from_object(config_object)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger().setLevel(app.config.get("LOG_LEVEL", "WARNING"))
    logging.getLogger("flask_appbuilder").setLevel(logging.WARNING)

    init_extensions(app)
    init_appbuilder(app)
    init_commands(app)
    init_celery(app)
    from app.replica import init_replica

    init_replica(app)
    from app.hardening import init_hardening
    from app.i18n import init_i18n
    from app.input_guard import init_input_guard

    init_i18n(app)
    init_hardening(app)
    init_input_guard(app)
    from app.sessions import init_sessions

    init_sessions(app, app.appbuilder)
    return app


def init_extensions(app: Flask) -> None:
    from app.domain import units
    from app.extensions import csrf, db, migrate
    from app.system import database_engine_options, init_database_guard

    database_engine_options(app)
    db.init_app(app)
    init_database_guard(app)
    migrate.init_app(app, db, directory=str(_root() / "migrations"))
    # CSRF before AppBuilder: otherwise FAB's REST login breaks and GET deletes are allowed.
    csrf.init_app(app)
    from sqlalchemy.orm import Session

    units.register(Session)
    from app import audit, kept

    audit.register(Session)
    kept.register(Session)
    from app.domain import calendar

    calendar.install_session_hooks()
    from app import filestore

    filestore.install_session_hooks()  # S3 objects follow the transaction (FILE_STORE=s3)
    from app.ledger import rollup

    rollup.install()  # statistics rollups follow every ORM write
    from app import reminders

    reminders.install()  # the applicant's SMS follows every status change (a domain event)
    from app.cases import notices

    notices.install()  # a transfer tells the receiving unit (a domain event)


def init_appbuilder(app: Flask) -> None:
    from flask_appbuilder import AppBuilder

    from app.extensions import db
    from app.views import register_views

    appbuilder = AppBuilder(update_perms=False)
    with app.app_context():
        appbuilder.init_app(app, db.session)
        register_views(appbuilder)


def init_celery(app: Flask) -> None:
    from app import jobs
    from app.tasks import make_celery

    make_celery(app)
    jobs.install_session_hooks()


def init_commands(app: Flask) -> None:
    from app.cli import register_commands

    register_commands(app)


def _root():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent
