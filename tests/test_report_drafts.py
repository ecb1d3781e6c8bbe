"""Written reports (月报 / 季报) drafted by beat when a period ends, and every report action in
the audit trail: the drafts of the city and town centers for the last closed month and quarter,
one per unit and period however often the job runs (a manager's own draft kept as it is), their
figures the ledger's, a real worker running the task; create, edit, refresh, finalise and each
export (screen and API) audited, the entries within the tier scope."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import models as m
from app.assessment import reports
from app.domain import clock
from app.enums import ReportState, Tier
from app.extensions import db
from app.ledger.figures import period_figures
from app.scope import Scope
from app.tasks import BEAT_SCHEDULE
from app.tasks.reports import draft_due_reports
from tests import ledger_world
from tests.apiclient import api_login
from tests.conftest import PG_URL, REDIS_URL
from tests.test_worker import start_worker, stop_worker

JUNE = ("2026-06-01", "2026-06-30")
Q2 = ("2026-04-01", "2026-06-30")


@pytest.fixture
def world(app):
    world = ledger_world.build()
    ledger_world.at("2026-07-02", 9)
    yield world
    clock.set_fixed(None)


def _scope(unit) -> Scope:
    return Scope(path=unit.path, unit_id=unit.id)


def _reports():
    db.session.expire_all()
    return (
        db.session.execute(
            sa.select(m.PeriodicReport).order_by(m.PeriodicReport.unit_id, m.PeriodicReport.period)
        )
        .scalars()
        .all()
    )


def _audit(report_id=None):
    query = sa.select(m.AuditLog).where(m.AuditLog.table_name == "periodic_report")
    if report_id is not None:
        query = query.where(m.AuditLog.row_id == str(report_id))
    return db.session.execute(query.order_by(m.AuditLog.id)).scalars().all()


def test_beat_drafts_each_center_s_report_once_per_period(world):
    tree = world.tree
    assert BEAT_SCHEDULE["reports-drafts"]["task"] == "reports.draft_due"
    # A manager drafted town A's June report already and wrote in it.
    mine = reports.create_draft(
        db.session, tree.town_a, "month", *map(_date, JUNE), world.town_a_manager.user
    )
    mine.remarks_text = "本月人手紧张。"
    db.session.commit()
    due = reports.due_drafts(db.session, clock.today())
    centers = [tree.city, tree.town_a, tree.town_b]
    expected = {(u.id, p) for u in centers for p in ("month", "quarter")} - {
        (tree.town_a.id, "month")
    }
    assert {(unit_id, period) for unit_id, period, _s, _e in due} == expected

    made = draft_due_reports.run()
    assert len(made) == 5
    rows = _reports()
    assert len(rows) == 6 and all(r.state == ReportState.DRAFT for r in rows)
    assert {r.unit.tier for r in rows} == {Tier.CITY, Tier.TOWN}  # no village station's
    assert db.session.get(m.PeriodicReport, mine.id).remarks_text == "本月人手紧张。"
    for report in rows:
        if report.id == mine.id:
            continue
        assert report.created_by_id is None  # the system drafted it
        start, end = report.period_start, report.period_end
        assert (start.isoformat(), end.isoformat()) == (JUNE if report.period == "month" else Q2)
        figures = period_figures(db.session, _scope(report.unit), start, end, clock.today())
        assert report.figures["totals"] == figures["totals"]  # the ledger's figures
        entries = _audit(report.id)
        assert [(e.action, e.username) for e in entries] == [("create", "system")]
        assert entries[0].after["figures"] == "(counted)" and entries[0].after["state"] == "draft"

    # figures counted again are noted in the trail, not copied into it
    some = next(r for r in rows if r.id != mine.id)
    some.figures = {**some.figures, "totals": {}}
    db.session.commit()
    last = _audit(some.id)[-1]
    assert (last.action, last.before["figures"], last.after["figures"]) == (
        "update",
        "(counted)",
        "(counted again)",
    )

    assert draft_due_reports.run() == []  # once per unit and period
    assert len(_reports()) == 6
    ledger_world.at("2026-08-03", 9)  # July has ended: its month, not a new quarter
    assert len(draft_due_reports.run()) == 3
    assert draft_due_reports.run() == []


def _date(text):
    return dt.date.fromisoformat(text)


def test_every_report_action_is_audited_within_the_scope(world, app, login):
    town_a = world.tree.town_a
    manager = login(app.test_client(), "town_a_manager")
    made = manager.post(
        "/reports/new", data={"unit": town_a.id, "period": "month", "value": "2026-06"}
    )
    assert made.status_code == 302
    report = _reports()[0]
    assert (
        manager.post(f"/reports/{report.id}/edit", data={"practice_text": "一窗通办"}).status_code
        == 302
    )
    ledger_world.at("2026-07-02", 10)  # counted again an hour later
    assert manager.post(f"/reports/{report.id}/refresh").status_code == 302
    assert manager.get(f"/reports/{report.id}/docx").status_code == 200
    assert manager.post(f"/reports/{report.id}/finalise").status_code == 302
    api = api_login(app, "town_a_manager")
    assert api.get(f"/api/v1/report/{report.id}/docx").status_code == 200
    refused = manager.post(f"/reports/{report.id}/edit", data={"practice_text": "改"})
    assert refused.status_code == 302  # archived: refused, nothing written

    entries = _audit(report.id)
    user = world.town_a_manager.user
    assert [e.action for e in entries] == [
        "create",
        "update",
        "update",
        "export",
        "update",
        "export",
    ]
    assert all(e.user_id == user.id for e in entries)
    create, edit, refresh, export, finalise, api_export = entries
    assert edit.after["practice_text"] == "一窗通办" and "figures" not in edit.after
    # counted again: when (the figures themselves are noted, never copied, when they change)
    assert "figures_at" in refresh.after and refresh.after.get("figures", "(counted again)") == (
        "(counted again)"
    )
    assert export.after["format"] == "docx" and export.after["state"] == "draft"
    assert finalise.after["state"] == "final" and finalise.before["state"] == "draft"
    assert api_export.after["state"] == "final"

    # The entries are in the scope of town A's managers, not of town B's.
    def visible(unit):
        return db.session.execute(
            sa.select(sa.func.count(m.AuditLog.id)).where(
                m.AuditLog.table_name == "periodic_report",
                m.AuditLog.row_id == str(report.id),
                _scope(unit).clause_for(m.AuditLog),
            )
        ).scalar_one()

    assert visible(town_a) == visible(world.tree.city) == 6
    assert visible(world.tree.town_b) == 0


@pytest.mark.slow
def test_a_real_worker_drafts_the_reports_once(app):
    tree = ledger_world.build().tree
    clock.set_fixed(None)  # the worker's clock is the real one
    centers = db.session.execute(
        sa.select(sa.func.count(m.OrgUnit.id)).where(m.OrgUnit.tier.in_((Tier.CITY, Tier.TOWN)))
    ).scalar_one()
    assert centers == 3 and tree.city is not None
    proc = start_worker(
        {"DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL}, Path(app.config["INSTANCE_DIR"])
    )
    try:
        celery = app.extensions["celery"]
        made = celery.send_task("reports.draft_due").get(timeout=120)
        assert len(made) == 2 * centers
        assert celery.send_task("reports.draft_due").get(timeout=120) == []
    except Exception:
        raise AssertionError(stop_worker(proc)) from None
    else:
        stop_worker(proc)
    rows = _reports()
    assert sorted(r.id for r in rows) == sorted(made)
    assert {(r.unit_id, r.period) for r in rows} == {
        (u.id, p) for u in (tree.city, tree.town_a, tree.town_b) for p in ("month", "quarter")
    }
    assert all(e.username == "system" for r in rows for e in _audit(r.id))
