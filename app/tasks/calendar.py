"""Calendar coverage: warn administrators before the working-day table runs out."""

from __future__ import annotations

import sqlalchemy as sa
from celery import shared_task
from flask_babel import force_locale
from flask_babel import gettext as _

from app.domain import clock
from app.enums import NotificationChannel
from app.models import HolidayYear


def missing_years(session, horizon_days: int = 60) -> list[int]:
    """Years the table does not cover: this year, and next year once it is within the horizon."""
    today = clock.today()
    wanted = {today.year}
    if (today.replace(month=12, day=31) - today).days < horizon_days:
        wanted.add(today.year + 1)
    loaded = set(session.execute(sa.select(HolidayYear.year)).scalars())
    return sorted(wanted - loaded)


def warn_admins(session) -> int:
    """Queue one in-app warning per administrator per missing year; returns how many were new."""
    from flask import current_app

    from app import notify

    sm = current_app.appbuilder.sm
    admin_role = sm.find_role(current_app.config.get("AUTH_ROLE_ADMIN", "Admin"))
    if admin_role is None:
        return 0
    admins = session.execute(
        sa.select(sm.user_model).where(sm.user_model.roles.contains(admin_role))
    ).scalars()
    new = 0
    years = missing_years(session)
    for admin in admins:
        for year in years:
            with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
                subject = _(
                    "The holiday calendar for %(year)s is not loaded: due dates in it are "
                    "provisional (weekends only). Add the announced schedule.",
                    year=year,
                )
            new += notify.queue(
                session,
                dedup_key=f"calendar-coverage:{year}:{admin.id}",
                channel=NotificationChannel.APP,
                kind="calendar_coverage",
                subject=subject[:200],
                recipient_id=admin.id,
            )
    return new


@shared_task(name="calendar.check_coverage", time_limit=60)
def check_coverage() -> int:
    from app.extensions import db

    new = warn_admins(db.session)
    db.session.commit()
    return new
