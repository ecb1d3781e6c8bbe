"""Periodic summaries: per unit and period, once; the .xlsx on file; the unit's managers told."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from app import models as m
from app.domain import clock
from app.extensions import db
from app.ledger import stats
from app.ledger.filters import LedgerFilter
from app.ledger.queries import LedgerQuery
from app.ledger.summaries import (
    due_reports,
    last_closed,
    make_summary,
    notify_managers,
    report_file,
)
from app.scope import Scope
from tests import ledger_world


@pytest.fixture
def world(app):
    world = ledger_world.build()
    ledger_world.at("2026-07-02", 1)
    yield world
    clock.set_fixed(None)


Q2 = (dt.date(2026, 4, 1), dt.date(2026, 6, 30))


def test_last_closed_periods():
    assert last_closed("month", dt.date(2026, 7, 2)) == (dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    assert last_closed("quarter", dt.date(2026, 7, 2)) == Q2
    assert last_closed("quarter", dt.date(2026, 2, 10)) == (
        dt.date(2025, 10, 1),
        dt.date(2025, 12, 31),
    )


def summary_notifications() -> list[m.Notification]:
    db.session.expire_all()
    return list(
        db.session.execute(
            sa.select(m.Notification).where(m.Notification.kind == "summary_ready")
        ).scalars()
    )


def test_a_unit_summary_is_made_once_stored_and_announced(world, app):
    due = due_reports(db.session, clock.today())
    assert len(due) == 12  # 6 units x (June, Q2)
    assert {(p, s) for _, p, s, _ in due} == {("month", dt.date(2026, 6, 1)), ("quarter", Q2[0])}

    city = world.tree.city
    report = make_summary(db.session, city.id, "quarter", *Q2)
    db.session.commit()
    assert report is not None and report.period_end == Q2[1]
    data = report_file(report)
    assert data is not None  # in the shared file store
    assert not (Path(app.config["INSTANCE_DIR"]) / "reports" / report.file_name).exists()

    expected = stats.dashboard(
        LedgerQuery(
            db.session,
            Scope(path=city.path, unit_id=city.id),
            LedgerFilter(date_from=Q2[0], date_to=Q2[1]),
        )
    )
    assert report.stats["totals"] == expected["totals"]
    assert report.stats["totals"]["cases"] == 7

    book = openpyxl.load_workbook(io.BytesIO(data))
    assert len(book.worksheets) == 4
    stats_sheet, overdue, poor, problems = book.worksheets
    assert city.name in stats_sheet["A1"].value
    assert [r[0].value for r in overdue.iter_rows(min_row=2)] == [
        world.cases["running_overdue"].number
    ]
    assert poor.max_row == 1  # the only poor rating was in March
    assert {r[0].value for r in problems.iter_rows(min_row=2)} == {"材料不齐"}

    notes = summary_notifications()
    assert [n.recipient_id for n in notes] == [world.city_manager.user.id]
    assert "/summaries/download/" in notes[0].body

    assert make_summary(db.session, city.id, "quarter", *Q2) is None  # already made
    assert notify_managers(db.session, report, city) == 0  # told once
    left = due_reports(db.session, clock.today())
    assert (city.id, "quarter", Q2[0], Q2[1]) not in left and len(left) == 11


def test_a_village_month_lists_its_overdue_and_poorly_rated_cases(world, app):
    village = world.tree.village_a1
    report = make_summary(
        db.session, village.id, "month", dt.date(2026, 3, 1), dt.date(2026, 3, 31)
    )
    db.session.commit()
    book = openpyxl.load_workbook(io.BytesIO(report_file(report)))
    late = world.cases["late"].number
    assert [r[0].value for r in book.worksheets[1].iter_rows(min_row=2)] == [late]
    assert [r[0].value for r in book.worksheets[2].iter_rows(min_row=2)] == [late]
    assert report.stats["satisfaction"]["rate"] == 0.0
    assert summary_notifications() == []  # the station has no manager


def test_summaries_are_listed_and_downloaded_within_the_scope(world, app, login):
    town_a = world.tree.town_a
    report = make_summary(db.session, town_a.id, "quarter", *Q2)
    db.session.commit()
    own = login(app.test_client(), "town_a_manager")
    page = own.get("/summaries/list/")
    assert f'data-report-id="{report.id}"' in page.text
    download = own.get(f"/summaries/download/{report.id}")
    assert download.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(download.data)).worksheets[0]["A1"].value
    city = login(app.test_client(), "city_manager")
    assert f'data-report-id="{report.id}"' in city.get("/summaries/list/").text
    assert city.get(f"/summaries/download/{report.id}").status_code == 200
    other = login(app.test_client(), "town_b_manager")
    assert f'data-report-id="{report.id}"' not in other.get("/summaries/list/").text
    assert other.get(f"/summaries/download/{report.id}").status_code == 404
