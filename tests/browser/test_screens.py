"""A city manager's tour of the main screens over the demo data (Taishan's units, 300 cases
driven through the lifecycle): the dashboard, the ledger, a finished case and its printed
one-time notice. README's screenshots come from this journey (``make screenshots``)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import models as m
from app.domain.status import CaseStatus
from app.extensions import db
from app.seed import seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DEMO_PASSWORD = "BangBan@2026"


def _showcase_case() -> tuple[m.Case, m.MaterialNotice]:
    """A case completed on time and evaluated, that had a one-time notice: a full timeline."""
    row = db.session.execute(
        sa.select(m.Case, m.MaterialNotice)
        .join(m.MaterialNotice, m.MaterialNotice.case_id == m.Case.id)
        .join(m.Evaluation, m.Evaluation.case_id == m.Case.id)
        .where(
            m.Case.status == CaseStatus.COMPLETED,
            sa.func.date(m.Case.ended_at) <= m.Case.due_date,  # finished on time
            m.Case.promised_days >= 5,  # steps on several days
        )
        .order_by(m.Case.id)
        .limit(1)
    ).first()
    assert row is not None, "the demo data has no completed case with a notice and an evaluation"
    return row[0], row[1]


def test_city_manager_tours_the_main_screens_over_the_demo_data(app, journey):
    seed_demo(db.session)
    db.session.commit()
    case, notice = _showcase_case()
    total = db.session.execute(sa.select(sa.func.count(m.Case.id))).scalar_one()

    j = journey("screens")
    j.login("city_manager", DEMO_PASSWORD)

    j.go("/dashboard/?period=all")
    j.page.wait_for_selector("#dashboard .chart canvas, #dashboard .chart svg", timeout=15000)
    j.see("满意率", "各状态办件量")
    walk_ins = db.session.execute(sa.select(sa.func.count(m.WalkInHelp.id))).scalar_one()
    assert walk_ins > 0
    assert j.page.inner_text("#kpi-walkins").strip().replace(",", "") == str(walk_ins)
    assert j.page.inner_text("#kpi-cases").strip().replace(",", "") == str(total)
    j.page.wait_for_timeout(800)  # let the charts finish their entry animation
    j.shot("dashboard")

    j.go("/ledger/list/")
    j.see("工作台账", "办件编号", "导出Excel")
    assert f"共{total}件" in j.page.inner_text("body").replace(" ", "").replace(",", "")
    j.shot("ledger")

    j.go(f"/caseview/show/{case.id}")
    j.see(case.number, "已办结", "一次性告知", "办理过程", "评价")
    timeline_rows = j.page.locator("#case-timeline tr").count()
    assert timeline_rows >= 6, timeline_rows
    j.shot("case-page")

    j.go(f"/print/notice/{notice.id}")
    j.see("一次性告知", case.number, case.applicant.name)
    j.shot("one-time-notice")
