"""The one place a Celery worker or beat builds the Flask app.

celery -A celery_worker.celery worker
celery -A celery_worker.celery beat
"""

import logging
import os

# Workers run long exports and imports: their statements may take longer than a web request's.
os.environ["DB_STATEMENT_TIMEOUT_MS"] = os.environ.get("WORKER_DB_STATEMENT_TIMEOUT_MS", "3600000")

from celery.signals import (  # noqa: E402
    beat_init,
    before_task_publish,
    worker_process_init,
    worker_ready,
)

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402

flask_app = create_app()
celery = flask_app.extensions["celery"]
log = logging.getLogger(__name__)
_in_beat = False


@worker_process_init.connect
def _fresh_connections(**_kwargs) -> None:
    """A forked worker process must not reuse the parent's database connections."""
    with flask_app.app_context():
        db.engine.dispose(close=False)


@worker_ready.connect
def _clean_temp_files(**_kwargs) -> None:
    """Remove what a killed worker of this host left half-written, and say the worker is up."""
    from app import jobs

    try:
        with flask_app.app_context():
            jobs.clean_temp_dir(db.session)
            jobs.record_beat("worker", "started")
            db.session.remove()
    except Exception as exc:  # the database may be down; the reaper cleans up later
        log.warning("worker start-up clean-up skipped: %s", exc)


@beat_init.connect
def _mark_beat(**_kwargs) -> None:
    """In the beat process: from now on record each tick; check the calendar at once."""
    global _in_beat
    _in_beat = True
    # Check the holiday calendar as soon as beat starts, not one interval later.
    celery.send_task("calendar.check_coverage")


@before_task_publish.connect
def _beat_tick(sender=None, **_kwargs) -> None:
    """In the beat process: note each scheduled send (the System status screen shows it)."""
    if not _in_beat:
        return
    from app import jobs

    try:
        with flask_app.app_context():
            jobs.record_beat("beat", str(sender or ""))
    except Exception as exc:
        log.warning("beat tick not recorded: %s", exc)
