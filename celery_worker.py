"""The one place a Celery worker or beat builds the Flask app.

celery -A celery_worker.celery worker
celery -A celery_worker.celery beat
"""

from celery.signals import beat_init, worker_process_init

from app import create_app
from app.extensions import db

flask_app = create_app()
celery = flask_app.extensions["celery"]


@worker_process_init.connect
def _fresh_connections(**_kwargs) -> None:
    """A forked worker process must not reuse the parent's database connections."""
    with flask_app.app_context():
        db.engine.dispose(close=False)


@beat_init.connect
def _coverage_at_start(**_kwargs) -> None:
    """Check the holiday calendar as soon as beat starts, not one interval later."""
    celery.send_task("calendar.check_coverage")
