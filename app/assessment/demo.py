"""Demo data of the assessment and the written reports: the targets (the defaults, written as
rows an Admin then edits) and last month's draft report of the city center, generated from
the demo cases. Idempotent: nothing is added the second time."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import Session

from app import models as m
from app.assessment import indicators, reports
from app.domain import clock
from app.enums import Tier

# A good-practice paragraph as a manager writes it (data: app/assessment/document.json).
PRACTICE = json.loads(Path(__file__).with_name("document.json").read_text(encoding="utf-8"))[
    "demo_practice"
]


def seed(session: Session) -> int:
    """Targets and one monthly draft; returns how many reports it added (0 or 1)."""
    if session.execute(sa.select(sa.func.count(m.AssessmentTarget.id))).scalar_one() == 0:
        for indicator, (target, weight) in indicators.DEFAULTS.items():
            session.add(
                m.AssessmentTarget(
                    indicator=indicator, target=target, weight=weight, updated_at=clock.now()
                )
            )
        session.flush()
    city = session.execute(
        sa.select(m.OrgUnit).where(m.OrgUnit.tier == Tier.CITY).order_by(m.OrgUnit.path).limit(1)
    ).scalar_one_or_none()
    if city is None:
        return 0
    kind, start, end = indicators.parse_period("month", None, clock.today())
    if session.execute(
        sa.select(m.PeriodicReport.id).where(
            m.PeriodicReport.unit_id == city.id,
            m.PeriodicReport.period == kind,
            m.PeriodicReport.period_start == start,
        )
    ).first():
        return 0
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
        report = reports.create_draft(session, city, kind, start, end, actor=None)
    report.practice_text = PRACTICE
    session.commit()
    return 1
