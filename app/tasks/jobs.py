"""Beat's job keeper: fail jobs whose worker vanished, hand over jobs the broker never got."""

from __future__ import annotations

import logging
import socket

from celery import shared_task

from app import jobs
from app.extensions import db

log = logging.getLogger(__name__)


@shared_task(name="jobs.maintain", time_limit=120, ignore_result=True)
def maintain() -> dict:
    """Record this worker's sign of life, reap lost jobs, re-dispatch pending ones."""
    jobs.record_beat("worker", socket.gethostname())
    reaped = jobs.reap(db.session)
    redispatched = jobs.redispatch_pending(db.session)
    if reaped or redispatched:
        log.info("jobs: reaped %s, handed over again %s", reaped, redispatched)
    return {"reaped": reaped, "redispatched": redispatched}
