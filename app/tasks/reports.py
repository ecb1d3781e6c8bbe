"""Written reports (月报 / 季报) on beat: the drafts of a period that has just ended."""

from __future__ import annotations

import logging

from celery import shared_task

from app.assessment.reports import draft_due, due_drafts
from app.domain import clock
from app.extensions import db

log = logging.getLogger(__name__)


@shared_task(name="reports.draft_due", time_limit=1800, soft_time_limit=1700)
def draft_due_reports() -> list[int]:
    """Draft the report of every city and town center for its last closed month and quarter
    that has none yet; returns the new reports' ids.

    Run several times a day by beat: the first run after a period ends drafts its reports, a
    missed run is caught up by the next, and a report already there (drafted earlier, or made
    by a manager) is left as it is, so running it again changes nothing. Each draft is
    committed on its own; one that fails is logged and the others go on.
    """
    made = []
    for unit_id, period, start, end in due_drafts(db.session, clock.today()):
        try:
            report = draft_due(db.session, unit_id, period, start, end)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("report draft failed: unit %s, %s from %s", unit_id, period, start)
            continue
        if report is not None:
            made.append(report.id)
    if made:
        log.info("drafted %s written reports", len(made))
    return made
