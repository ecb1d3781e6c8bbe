"""Exports: .xlsx and CSV of exactly the filtered rows, large ones as a background job, streamed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
import tracemalloc

import openpyxl
import pytest
import sqlalchemy as sa

from app import filestore
from app import models as m
from app.domain import clock
from app.extensions import db
from app.ledger.export import COLUMNS, iter_csv, write_xlsx
from app.ledger.filters import LedgerFilter
from app.ledger.jobs import run_export_job
from app.ledger.queries import LedgerQuery
from app.scope import Scope, scope_for_user
from tests import factories, ledger_world


@pytest.fixture
def world(app):
    world = ledger_world.build()
    yield world
    clock.set_fixed(None)


def ledger_numbers(scope, flt) -> list[str]:
    return [r.number for r in LedgerQuery(db.session, scope, flt).stream()]


def read_xlsx(data: bytes):
    book = openpyxl.load_workbook(io.BytesIO(data))
    return book, book.worksheets[0]


def test_xlsx_export_has_title_headers_dates_widths_and_exactly_the_filtered_rows(
    world, login, app
):
    client = login(app.test_client(), "city_manager")
    args = {"unit": world.tree.town_a.id, "date_from": "2026-04-01", "date_to": "2026-05-31"}
    response = client.get("/ledger/export/xlsx", query_string=args)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    book, ws = read_xlsx(response.data)
    assert world.tree.town_a.name in ws["A1"].value
    assert "2026-04-01" in ws["A2"].value and "2026-05-31" in ws["A2"].value
    last = openpyxl.utils.get_column_letter(len(COLUMNS))  # the title spans every column
    assert len(COLUMNS) == 20 and f"A1:{last}1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.freeze_panes == "A4"
    assert [c.value for c in ws[3]] == [str(c.header) for c in COLUMNS]
    assert ws.column_dimensions["E"].width == COLUMNS[4].width
    expected = ledger_numbers(scope_for_user(world.city_manager.user), LedgerFilter.from_args(args))
    numbers = [row[0].value for row in ws.iter_rows(min_row=4)]
    assert numbers == expected and len(numbers) == 5
    applied = ws.cell(row=4, column=2)
    assert isinstance(applied.value, dt.datetime) and applied.number_format == "yyyy-mm-dd"


def test_csv_export_streams_the_same_rows(world, login, app):
    client = login(app.test_client(), "town_a_manager")
    response = client.get("/ledger/export/csv", query_string={"overdue": "0"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[2] == [str(c.header) for c in COLUMNS]
    expected = ledger_numbers(
        scope_for_user(world.town_a_manager.user), LedgerFilter(overdue=False)
    )
    assert [r[0] for r in rows[3:]] == expected
    assert all(re.match(r"\d{4}-\d\d-\d\d$", r[1]) for r in rows[3:])


def test_an_export_never_leaves_the_scope(world, login, app):
    client = login(app.test_client(), "town_b_manager")
    args = {"unit": world.tree.town_a.id}
    _, ws = read_xlsx(client.get("/ledger/export/xlsx", query_string=args).data)
    assert ws.max_row == 3  # title, subtitle, headers: no rows of town A
    assert world.tree.town_a.name not in ws["A1"].value  # nor its name in the title
    text = client.get("/ledger/export/csv").get_data(as_text=True)
    assert world.cases["late"].number not in text
    assert world.cases["extended"].number in text


def test_a_large_export_runs_as_a_background_job_with_a_download_link(world, login, app):
    app.config["LEDGER_SYNC_EXPORT_ROWS"] = 3
    try:
        client = login(app.test_client(), "city_manager")
        response = client.get("/ledger/export/xlsx", query_string={"kind": "help"})
    finally:
        app.config.pop("LEDGER_SYNC_EXPORT_ROWS")
    assert response.status_code == 302
    job_url = response.headers["Location"]
    job_id = int(re.search(r"/ledger/jobs/(\d+)", job_url).group(1))
    job = db.session.get(m.BackgroundJob, job_id)
    assert job.status == "pending" and job.user_id == world.city_manager.user.id
    assert client.get(job_url).status_code == 200
    assert client.get(f"/ledger/jobs/{job_id}/file").status_code == 404  # not ready

    run_export_job(db.session, job_id)  # what the worker does (a real worker: test_ledger_worker)
    assert run_export_job(db.session, job_id) is None  # claimed once only
    status = client.get(f"/ledger/jobs/{job_id}/status").get_json()
    assert status["status"] == "done" and status["processed"] == status["total"] == 7
    download = client.get(status["download"])
    assert download.status_code == 200
    _, ws = read_xlsx(download.data)
    assert world.tree.city.name in ws["A1"].value  # the job knows its owner's unit
    expected = ledger_numbers(
        scope_for_user(world.city_manager.user), LedgerFilter.from_args({"kind": "help"})
    )
    assert [row[0].value for row in ws.iter_rows(min_row=4)] == expected
    # Another user cannot see or fetch the job.
    other = login(app.test_client(), "town_a_manager")
    for url in (job_url, f"/ledger/jobs/{job_id}/status", f"/ledger/jobs/{job_id}/file"):
        assert other.get(url).status_code == 404


def test_a_csv_job_and_a_failed_job(world, app):
    from app.ledger import jobs

    with app.test_request_context():
        job = jobs.create_export_job(
            db.session, world.town_b_manager.user, LedgerFilter(), "csv", "zh"
        )
        db.session.commit()
    assert run_export_job(db.session, job.id).endswith(".csv")
    db.session.expire_all()
    job = db.session.get(m.BackgroundJob, job.id)
    assert job.status == "done" and job.result == {"rows": 2}
    data = jobs.job_file(job)
    assert data is not None and data.decode("utf-8-sig").count("\n") == 5
    name = job.file_name
    assert filestore.exists(name)
    # A week later the file is gone and the job says so.
    assert jobs.purge_old_exports(db.session) == 0
    ledger_world.at("2026-06-09", 10)
    assert jobs.purge_old_exports(db.session) == 1
    db.session.commit()
    assert not filestore.exists(name) and job.status == "expired" and jobs.job_file(job) is None
    broken = m.BackgroundJob(
        kind=jobs.JOB_KIND,
        user_id=world.town_b_manager.user.id,
        status="pending",
        params={"format": "pdf", "filters": {}},
    )
    db.session.add(broken)
    db.session.commit()
    with pytest.raises(Exception):  # noqa: B017 - any writer error fails the job
        run_export_job(db.session, broken.id)
    db.session.expire_all()
    assert db.session.get(m.BackgroundJob, broken.id).status == "failed"


def peak_export_memory(query: LedgerQuery, fmt: str) -> tuple[int, int]:
    """(rows written, peak bytes allocated by Python while exporting)."""
    tracemalloc.start()
    try:
        with tempfile.TemporaryFile() as target:
            if fmt == "xlsx":
                count = write_xlsx(query.stream(batch=500), target, title="t", subtitle="s")
            else:
                count = 0
                for chunk in iter_csv(query.stream(batch=500), title="t", subtitle="s"):
                    target.write(chunk.encode())
                    count += chunk.count("\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


@pytest.mark.slow
def test_exports_stream_in_constant_memory(app, tree):
    """Six times the rows, about the same peak memory: nothing grows with the row count."""
    spec = factories.staff("spec", "Specialist", tree.town_a)
    item = factories.service_item()
    ledger_world.bulk_cases(tree.town_a, spec, item, 600)
    small_filter = LedgerFilter(date_to=dt.date(2026, 3, 2))  # the first 600 minutes of rows
    assert LedgerQuery(db.session, Scope(everything=True), small_filter).count() == 600
    ledger_world.bulk_cases(tree.town_b, spec, item, 3000)
    big = LedgerQuery(db.session, Scope(everything=True))
    small = LedgerQuery(
        db.session, Scope(everything=True), small_filter.with_(unit_id=tree.town_a.id)
    )
    for fmt in ("xlsx", "csv"):
        small_rows, small_peak = peak_export_memory(small, fmt)
        big_rows, big_peak = peak_export_memory(big, fmt)
        assert big_rows >= 3600 and small_rows >= 600
        assert big_peak < small_peak * 1.5 + 512 * 1024, (fmt, small_peak, big_peak)
    assert db.session.execute(sa.select(sa.func.count(m.Case.id))).scalar_one() == 3600
