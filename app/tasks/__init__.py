"""Celery wiring: tasks run inside the Flask app context; the schedule lives in beat."""

from __future__ import annotations

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask

from app.extensions import db
from app.jobs import use_process_temp_dir

BEAT_SCHEDULE = {
    "calendar-coverage-daily": {
        "task": "calendar.check_coverage",
        "schedule": 6 * 3600.0,
    },
    "ledger-summaries": {"task": "ledger.summaries_due", "schedule": 6 * 3600.0},
    # The written reports' drafts of the month and quarter just ended (idempotent).
    "reports-drafts": {"task": "reports.draft_due", "schedule": 6 * 3600.0},
    "reminders-sweep": {"task": "reminders.sweep", "schedule": 300.0},
    "imports-purge": {"task": "imports.purge_old_files", "schedule": 6 * 3600.0},
    "jobs-maintain": {"task": "jobs.maintain", "schedule": 60.0},
    # Statistics rollups against a full recount, repaired and logged when they differ.
    "stats-rollup-check": {"task": "ledger.check_rollups", "schedule": crontab(hour=2, minute=30)},
    # Case files: disposal review flags, and closed cases archived after the set days.
    "archive-sweep": {"task": "archive.sweep", "schedule": crontab(hour=3, minute=10)},
}


def make_celery(app: Flask) -> Celery:
    """A Celery app bound to ``app``: each task runs in an app context, session removed after."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                use_process_temp_dir()  # what a killed worker leaves is found and removed
                try:
                    return self.run(*args, **kwargs)
                finally:
                    db.session.remove()

    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=app.config["CELERY_BROKER_URL"],
        result_backend=app.config["CELERY_RESULT_BACKEND"],
        timezone=app.config.get("TIMEZONE", "Asia/Shanghai"),
        enable_utc=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=300,
        task_soft_time_limit=240,
        broker_connection_retry_on_startup=True,
        # A web request never waits long on an unreachable Redis (app/jobs.py sends with its
        # own short timeout; these bound anything else that touches the broker or results).
        broker_connection_timeout=app.config.get("BROKER_SEND_TIMEOUT", 2),
        redis_socket_connect_timeout=app.config.get("BROKER_SEND_TIMEOUT", 2),
        beat_schedule=BEAT_SCHEDULE,
        include=[
            "app.tasks.calendar",
            "app.tasks.ledger",
            "app.tasks.reports",
            "app.tasks.reminders",
            "app.tasks.imports",
            "app.tasks.jobs",
            "app.archive.tasks",
        ],
    )
    celery.set_default()
    app.extensions["celery"] = celery
    return celery
