"""The import screens: upload, job page and its JSON status, report, templates, exports, access."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import zipfile
from pathlib import Path

import sqlalchemy as sa
from openpyxl import load_workbook

from app import filestore
from app import models as m
from app.extensions import db
from app.imports import jobs
from app.imports.specs import KINDS
from tests import factories
from tests.test_imports import unit_rows, workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, kind: str, data: bytes, name="units.xlsx", **form):
    return client.post(
        "/imports/upload",
        data={"kind": kind, "file": (io.BytesIO(data), name), **form},
        content_type="multipart/form-data",
    )


def run_pending() -> list[int]:
    """Run every pending import job with the worker's task body, in this process, in the order
    they were queued (without ORDER BY the rows come back in whatever order the table stores
    them, which need not be the order they were written)."""
    from app.tasks.imports import run

    db.session.expire_all()
    ids = db.session.execute(
        sa.select(m.BackgroundJob.id)
        .where(m.BackgroundJob.status == jobs.PENDING, m.BackgroundJob.kind.startswith("import_"))
        .order_by(m.BackgroundJob.id)
    ).scalars()
    done = [job_id for job_id in list(ids) if run.run(job_id)]
    db.session.expire_all()
    return done


def import_jobs() -> list[m.BackgroundJob]:
    db.session.expire_all()
    return list(
        db.session.execute(sa.select(m.BackgroundJob).order_by(m.BackgroundJob.id)).scalars()
    )


def test_admin_uploads_a_file_and_reads_the_job_page_status_and_report(app, login):
    factories.staff("admin", "Admin", None)
    client = login(app.test_client(), "admin")
    index = client.get("/imports/")
    assert index.status_code == 200
    assert all(f'data-kind="{k}"' in index.text for k in KINDS)
    rows = unit_rows()[:10]
    rows[4]["parent_code"] = "nowhere"
    response = upload(client, "units", workbook("units", {"units": rows}))
    assert response.status_code == 302
    (job,) = import_jobs()
    assert response.headers["Location"].endswith(f"/imports/job/{job.id}")
    assert job.status == jobs.PENDING  # the request only checked and stored the file
    assert run_pending() == [job.id]
    (job,) = import_jobs()
    assert job.status == jobs.REFUSED and job.total == 10

    page = client.get(f"/imports/job/{job.id}")
    assert page.status_code == 200
    assert 'id="import-progress">10/10<' in page.text
    assert 'data-finished="1"' in page.text and 'data-row="6"' in page.text
    assert '<script src="/imports/progress.js">' in page.text
    status = client.get(f"/imports/job/{job.id}/status").get_json()
    assert status["finished"] and status["status"] == "refused"
    assert (status["processed"], status["total"], status["percent"]) == (10, 10, 100)
    assert status["counts"]["refused"] == 1 and status["counts"]["skipped"] == 9

    report = client.get(status["report_url"])
    assert report.status_code == 200 and report.mimetype == XLSX
    ws = load_workbook(io.BytesIO(report.data)).worksheets[0]
    errors = {row[0].value: row[-1].value for row in ws.iter_rows(min_row=2)}
    assert set(errors) == set(range(2, 12)) and errors[6] and not errors[5]
    english = client.get(f"{status['report_url']}?_l_=en")  # the reader's language
    ws = load_workbook(io.BytesIO(english.data)).worksheets[0]
    assert ws.cell(row=1, column=ws.max_column).value == "Errors"
    assert "nowhere" in ws.cell(row=6, column=ws.max_column).value

    response = upload(client, "units", workbook("units", {"units": rows}), valid_only="1")
    run_pending()
    job = max(import_jobs(), key=lambda j: j.id)
    assert job.status == jobs.DONE and job.result["created"] == 9
    assert db.session.execute(sa.select(sa.func.count(m.OrgUnit.id))).scalar_one() == 9

    script = client.get("/imports/progress.js")
    assert script.status_code == 200 and "javascript" in script.mimetype
    assert "import-progress" in script.text and "http" not in script.text.replace("HTTP ", "")


def test_templates_and_exports_download_as_xlsx(app, login):
    factories.staff("admin", "Admin", None)
    client = login(app.test_client(), "admin")
    for kind, spec in KINDS.items():
        template = client.get(f"/imports/template/{kind}")
        assert template.status_code == 200 and template.mimetype == XLSX
        assert len(load_workbook(io.BytesIO(template.data)).worksheets) == len(spec.sheets) + 1
        exported = client.get(f"/imports/export/{kind}")
        assert exported.status_code == 200 and exported.mimetype == XLSX
    assert client.get("/imports/template/nonsense").status_code == 404


def test_uploads_are_checked_by_content_and_stored_under_a_generated_name(app, login):
    factories.staff("admin", "Admin", None)
    client = login(app.test_client(), "admin")
    fake = upload(client, "units", b"code,name\n1,x\n", name="units.xlsx")
    assert fake.status_code == 302 and import_jobs() == []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert upload(client, "units", buffer.getvalue()).status_code == 302
    assert import_jobs() == []
    app.config["IMPORT_MAX_BYTES"] = 1000
    try:
        upload(client, "units", workbook("units", {"units": unit_rows()[:3]}))
        assert import_jobs() == []
    finally:
        del app.config["IMPORT_MAX_BYTES"]

    upload(client, "units", workbook("units", {"units": unit_rows()[:3]}), name="../../evil.xlsx")
    (job,) = import_jobs()
    assert re.fullmatch(r"imports/[0-9a-f]{32}\.xlsx", job.file_name)
    # Kept in the shared file store (the database), nowhere on this host's disk.
    assert filestore.exists(job.file_name)
    assert not list(Path(app.config["INSTANCE_DIR"]).rglob(job.file_name.split("/")[1]))
    assert job.params["original_name"] == "evil.xlsx"


def bomb_workbook(part: str, size: int) -> bytes:
    """A valid little workbook with one part inflated to ``size`` bytes (compresses to ~KB)."""
    source = zipfile.ZipFile(io.BytesIO(workbook("units", {"units": unit_rows()[:2]})))
    buffer = io.BytesIO()
    parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    data = parts.get(part, b'<?xml version="1.0"?><sst/>')
    parts[part] = data + b" " * (size - len(data))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    return buffer.getvalue()


def test_a_workbook_whose_parts_unpack_too_large_is_refused_without_opening_it(app, login):
    factories.staff("admin", "Admin", None)
    client = login(app.test_client(), "admin")
    bomb = bomb_workbook("xl/sharedStrings.xml", 100 * 1024 * 1024)
    assert len(bomb) < 300 * 1024  # well inside the upload size limit
    started = time.monotonic()
    response = upload(client, "units", bomb)
    assert time.monotonic() - started < 3
    assert response.status_code == 302 and import_jobs() == []
    page = client.get("/imports/")
    assert "xl/sharedStrings.xml" in page.text  # the flash names the part
    # Just under the limit of that part: accepted, stored, and left to the worker.
    fine = bomb_workbook("xl/sharedStrings.xml", 1024 * 1024)
    assert upload(client, "units", fine).status_code == 302
    (job,) = import_jobs()
    assert job.status == jobs.PENDING


def test_a_large_file_goes_to_the_background_and_the_upload_returns_at_once(app, login):
    factories.staff("admin", "Admin", None)
    client = login(app.test_client(), "admin")
    try:
        response = upload(client, "units", workbook("units", {"units": unit_rows()[:20]}))
    finally:
        # No worker runs here: take the message back so a later worker test cannot get it.
        app.extensions["celery"].control.purge()
    assert response.status_code == 302
    (job,) = import_jobs()
    assert job.status == jobs.PENDING
    page = client.get(f"/imports/job/{job.id}")
    assert 'data-finished="0"' in page.text and 'id="import-progress-bar"' in page.text
    status = client.get(f"/imports/job/{job.id}/status").get_json()
    assert not status["finished"] and status["report_url"] is None
    assert client.get(f"/imports/job/{job.id}/report").status_code == 404

    from app.tasks.imports import run

    assert run.run(job.id) == jobs.DONE  # the task body, in this process
    assert run.run(job.id) is None  # a redelivered message imports nothing twice
    other = m.BackgroundJob(kind="ledger_export", status=jobs.PENDING, params={})
    db.session.add(other)
    db.session.commit()
    assert run.run(other.id) is None and other.status == jobs.PENDING  # not an import's id
    status = client.get(f"/imports/job/{job.id}/status").get_json()
    assert status["finished"] and status["counts"]["created"] == 20
    note = db.session.execute(sa.select(m.Notification)).scalar_one()
    assert note.kind == "import_done" and note.recipient_id == job.user_id


def test_managers_import_staff_only_and_specialists_not_at_all(app, tree, login):
    factories.staff("admin", "Admin", None)
    factories.staff("a_manager", "Manager", tree.town_a)
    factories.staff("b_specialist", "Specialist", tree.town_b)
    factories.staff("a_specialist", "Specialist", tree.village_a1)
    client = login(app.test_client(), "a_manager")
    index = client.get("/imports/")
    assert index.status_code == 200
    assert 'data-kind="staff"' in index.text and 'data-kind="units"' not in index.text
    assert client.get("/imports/template/units").status_code == 404
    assert client.get("/imports/export/units").status_code == 404
    assert upload(client, "units", workbook("units", {"units": unit_rows()[:3]})).status_code == 403
    exported = client.get("/imports/export/staff")
    ws = load_workbook(io.BytesIO(exported.data)).worksheets[0]
    assert sorted(r[0].value for r in ws.iter_rows(min_row=2)) == ["a_manager", "a_specialist"]

    row = {"username": "x_new", "name": "新人", "unit_code": tree.town_b.code}
    row.update(roles=["Specialist"], active=True)
    upload(client, "staff", workbook("staff", {"staff": [row]}))
    run_pending()
    (job,) = import_jobs()
    assert job.status == jobs.REFUSED

    admin = login(app.test_client(), "admin")
    assert admin.get(f"/imports/job/{job.id}").status_code == 200
    other = login(app.test_client(), "a_specialist")
    assert other.get("/imports/").status_code == 403
    assert other.get(f"/imports/job/{job.id}/status").status_code == 403
    manager_b = factories.staff("b_manager", "Manager", tree.town_b)
    assert manager_b is not None
    assert login(app.test_client(), "b_manager").get(f"/imports/job/{job.id}").status_code == 404


def test_uploads_and_row_reports_are_deleted_after_a_week_and_the_job_page_says_so(app, login):
    from app.domain import clock
    from app.imports import files
    from app.tasks import BEAT_SCHEDULE

    assert BEAT_SCHEDULE["imports-purge"]["task"] == "imports.purge_old_files"
    assert "imports.purge_old_files" in app.extensions["celery"].tasks
    factories.staff("admin", "Admin", None)
    client = login(app.test_client(), "admin")
    upload(client, "units", workbook("units", {"units": unit_rows()[:5]}))
    upload(client, "units", workbook("units", {"units": unit_rows()[:6]}), name="recent.xlsx")
    run_pending()
    old, recent = sorted(import_jobs(), key=lambda j: j.id)
    assert old.status == recent.status == jobs.DONE
    old_files = [old.file_name, files.report_name(old.file_name)]
    recent_files = [recent.file_name, files.report_name(recent.file_name)]
    assert all(filestore.exists(n) for n in old_files + recent_files)
    old.finished_at = clock.now() - dt.timedelta(days=jobs.KEEP_DAYS + 1)
    # A stale job no worker ever took, and an upload no job refers to.
    stale_name = files.store(workbook("units", {"units": unit_rows()[:2]}))
    stale = m.BackgroundJob(
        kind="import_units",
        user_id=old.user_id,
        status=jobs.PENDING,
        params={"kind": "units", "original_name": "stale.xlsx"},
        file_name=stale_name,
        created_at=clock.now() - dt.timedelta(days=30),
    )
    db.session.add(stale)
    orphan = files.store(b"PK\x03\x04 left behind")
    fresh_orphan = files.store(b"PK\x03\x04 just uploaded")
    db.session.execute(
        sa.update(m.StoredFile)
        .where(m.StoredFile.name.in_([orphan, stale_name]))
        .values(created_at=clock.now() - dt.timedelta(days=30))
    )
    db.session.commit()

    assert jobs.purge_old_files(db.session) == 4  # the old job's two files, the stale, the orphan
    db.session.commit()
    assert not any(filestore.exists(n) for n in old_files) and not filestore.exists(orphan)
    assert all(filestore.exists(n) for n in recent_files) and filestore.exists(fresh_orphan)
    assert not filestore.exists(stale_name)
    db.session.expire_all()
    old, recent, stale = (db.session.get(m.BackgroundJob, j.id) for j in (old, recent, stale))
    assert old.file_name is None and old.result["created"] == 5
    assert stale.status == jobs.FAILED and stale.file_name is None

    page = client.get(f"/imports/job/{old.id}")
    assert page.status_code == 200 and 'id="import-files-removed"' in page.text
    assert 'id="import-report-link"' not in page.text
    assert client.get(f"/imports/job/{old.id}/report").status_code == 404
    assert client.get(f"/imports/job/{old.id}/status").get_json()["report_url"] is None
    assert client.get(f"/imports/job/{recent.id}/report").status_code == 200
    assert client.get(f"/imports/job/{stale.id}").status_code == 200
    assert jobs.purge_old_files(db.session) == 0  # nothing left to remove
