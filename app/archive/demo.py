"""Demo case files (案卷): the earliest closed demo cases archived a week after they ended, by
their specialist, through the archive step itself (the PDF made and kept like any other), so
the register, the case page's case file and the seven steps have something to show. Running it
again changes nothing."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import models as m
from app.archive import bundle
from app.domain import archiving, clock
from app.domain.status import TERMINAL_STATUSES

COUNT = 10
AFTER = dt.timedelta(days=7)


def seed(session: Session) -> int:
    """Archive the demo's earliest closed cases (0 when case files exist already)."""
    if session.execute(sa.select(m.CaseArchive.id).limit(1)).first() is not None:
        return 0
    cases = session.execute(
        sa.select(m.Case)
        .where(m.Case.status.in_(TERMINAL_STATUSES), m.Case.ended_at.is_not(None))
        .order_by(m.Case.ended_at, m.Case.id)
        .limit(COUNT)
    ).scalars()
    made = 0
    try:
        for case in list(cases):
            when = min(clock.local_time(case.ended_at) + AFTER, clock.now() - dt.timedelta(hours=1))
            clock.set_fixed(when)
            actor = case.specialist.user if case.specialist else None
            archiving.archive(session, case, actor, bundle=bundle.maker(session, case))
            made += 1
        session.commit()
    finally:
        clock.set_fixed(None)
    return made
