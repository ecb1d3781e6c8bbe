"""One source for every written figure: the monthly notice, the summary and the ledger agree.

The notice used to count the cases *ended* in the month (its own queries), the summary the cases
*applied* in it: in ledger_world's May, town A's notice said 1 completed (a case applied in
April) while the summary and the ledger said 0.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from app import models as m
from app.domain import clock
from app.domain.status import CaseStatus
from app.extensions import db
from app.ledger.figures import headline, period_figures, period_query
from app.ledger.summaries import make_summary
from app.reminders import sweep
from app.scope import Scope
from tests import ledger_world

MAY = (dt.date(2026, 5, 1), dt.date(2026, 5, 31))


@pytest.fixture
def world(app):
    world = ledger_world.build()
    ledger_world.at("2026-06-02", 9)
    yield world
    clock.set_fixed(None)


def _ledger_counts(scope: Scope) -> dict:
    """What the ledger's own rows say: counted by hand from ``stream()``, voided left out."""
    rows = [
        r
        for r in period_query(db.session, scope, *MAY, clock.today()).stream()
        if r.status != CaseStatus.VOIDED
    ]
    return {
        "cases": len(rows),
        "completed": sum(r.status == CaseStatus.COMPLETED for r in rows),
        "terminated": sum(r.status == CaseStatus.TERMINATED for r in rows),
        "overdue": sum(bool(r.overdue) for r in rows),
    }


def test_notice_summary_and_ledger_state_the_same_figures(world, app):
    town_a = world.tree.town_a
    scope = Scope(path=town_a.path, unit_id=town_a.id)
    sweep.run(db.session, clock.now(), dispatch=False, kinds={"monthly_summary"})
    db.session.commit()
    notice = db.session.execute(
        sa.select(m.Notification).where(
            m.Notification.kind == "monthly_summary",
            m.Notification.recipient_id == world.town_a_manager.user.id,
        )
    ).scalar_one()
    report = make_summary(db.session, town_a.id, "month", *MAY)
    db.session.commit()

    ledger = _ledger_counts(scope)
    figures = headline(period_figures(db.session, scope, *MAY, clock.today()))
    summary = headline(report.stats)
    assert {k: figures[k] for k in ledger} == ledger == {k: summary[k] for k in ledger}
    # The case applied in April and completed in May is not May's: 0 completed, 1 terminated.
    assert ledger == {"cases": 3, "completed": 0, "terminated": 1, "overdue": 0}
    numbers = [int(n) for n in re.findall(r"\d+", notice.subject.split("2026-05", 1)[1])]
    assert numbers == [
        ledger["cases"],
        ledger["completed"],
        ledger["terminated"],
        ledger["overdue"],
    ]
