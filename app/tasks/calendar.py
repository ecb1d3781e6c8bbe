"""Calendar jobs: recompute open cases after a year changed; warn before the calendar runs out.

``calendar.recompute`` is enqueued after the commit that changed a year (app/domain/calendar.py);
``calendar.check_coverage`` runs when beat starts (celery_worker.py) and every few hours: it
recomputes any year whose recompute was lost, and tells Admins and Managers, once a day, which
year still needs its official schedule confirmed.
"""

from __future__ import annotations

import sqlalchemy as sa
from celery import shared_task
from flask_babel import force_locale
from flask_babel import gettext as _

from app.domain import clock
from app.domain.calendar import next_year_state
from app.enums import NotificationChannel

WARNED_ROLES = ("Admin", "Manager")


def missing_years(session) -> list[int]:
    """The year to confirm now (this year, or next year from the warning date), if any."""
    year = next_year_state(session)
    return [] if year is None else [year]


def warn_admins(session) -> int:
    """Queue one in-app warning per Admin and Manager per missing year and day; returns new."""
    from flask import current_app

    from app import notify

    sm = current_app.appbuilder.sm
    roles = [sm.find_role(name) for name in WARNED_ROLES]
    roles = [role for role in roles if role is not None]
    years = missing_years(session)
    if not roles or not years:
        return 0
    people = session.execute(
        sa.select(sm.user_model)
        .where(sa.or_(*(sm.user_model.roles.contains(role) for role in roles)))
        .where(sm.user_model.active.is_(True))
        .order_by(sm.user_model.id)
    ).scalars()
    today = clock.today()
    new = 0
    for person in people:
        for year in years:
            with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
                subject = _(
                    "The holiday calendar for %(year)s is not confirmed: due dates in it are "
                    "provisional (weekends only). Enter the official schedule.",
                    year=year,
                )
            new += bool(
                notify.queue(
                    session,
                    dedup_key=f"calendar-coverage:{year}:{today.isoformat()}:{person.id}",
                    channel=NotificationChannel.APP,
                    kind="calendar_coverage",
                    subject=subject[:200],
                    recipient_id=person.id,
                )
            )
    return new


@shared_task(name="calendar.check_coverage", time_limit=600)
def check_coverage() -> int:
    """Recompute years whose recompute is outstanding, then warn; returns warnings queued."""
    from app.domain.recompute import recompute_years, stale_years
    from app.extensions import db

    stale = stale_years(db.session)
    if stale:
        recompute_years(db.session, stale)
    new = warn_admins(db.session)
    db.session.commit()
    return new


@shared_task(name="calendar.recompute", time_limit=600, soft_time_limit=540)
def recompute(years: list[int]) -> int:
    """Recompute the open cases touching ``years``; returns how many dates moved."""
    from app.domain.recompute import recompute_years
    from app.extensions import db

    return len(recompute_years(db.session, [int(y) for y in years]).moves)
