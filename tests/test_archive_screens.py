"""The case files on the screens and over the API: the register (案卷查询) within the tier scope,
found by case or case file number, the download (404 outside the scope), the case page's case
file and seven steps, the API's list, find, file and steps, the archive step refused on an
archived case on both surfaces, bad input answered 400/404, and the nightly job."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import sqlalchemy as sa
from pypdf import PdfReader

from app import models as m
from app import settings
from app.archive import bundle, seven, tasks
from app.domain import archiving, clock, lifecycle
from app.enums import ContactChannel, ReportState
from app.extensions import db
from tests import factories
from tests.apiclient import api_login

pytest_plugins = ["tests.api_fixtures"]


class World:
    def __init__(self, tree):
        self.tree = tree
        self.spec = factories.staff("spec_a1", "Specialist", tree.village_a1)
        self.manager = factories.staff("mgr_a", "Manager", tree.town_a)
        self.other = factories.staff("spec_b", "Specialist", tree.town_b)
        self.leader = factories.staff("leader_city", "Leader", tree.city)
        self.actor = self.spec.user

    def closed(self) -> m.Case:
        case = factories.case(self.tree.village_a1, self.spec)
        lifecycle.confirm(
            db.session,
            case,
            self.actor,
            process_explained=True,
            applicant_signed=True,
            received_material_ids=[mat.id for mat in case.item.materials],
        )
        lifecycle.submit(db.session, case, self.actor)
        lifecycle.complete(
            db.session, case, self.actor, results="证照", materials_returned="", signed_by="本人"
        )
        db.session.commit()
        return case

    def archived(self) -> tuple[m.Case, m.CaseArchive]:
        case = self.closed()
        record = archiving.archive(
            db.session, case, self.actor, bundle=bundle.maker(db.session, case)
        )
        db.session.commit()
        return case, record


def test_the_register_lists_finds_and_downloads_within_scope(app, tree, login):
    w = World(tree)
    case, record = w.archived()
    w.closed()  # closed, not archived: not in the register
    client = login(app.test_client(), "mgr_a")
    page = client.get("/casefiles/")
    assert page.status_code == 200
    assert record.number in page.text and case.number in page.text
    assert page.text.count('class="casefile-row"') == 1
    for q in (case.number, record.number, record.number[:6]):
        found = client.get("/casefiles/", query_string={"q": q})
        assert found.status_code == 200 and record.number in found.text, q
    assert 'id="casefile-exact"' in client.get(f"/casefiles/?q={case.number}").text
    none = client.get("/casefiles/", query_string={"q": "NO-SUCH"})
    assert record.number not in none.text
    download = client.get(f"/casefiles/{record.id}/download")
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert hashlib.sha256(download.data).hexdigest() == record.checksum
    assert download.headers["X-Checksum-SHA256"] == record.checksum
    assert len(PdfReader(io.BytesIO(download.data)).pages) == record.pages
    # another town's specialist sees neither the row nor the file
    other = login(app.test_client(), "spec_b")
    assert record.number not in other.get("/casefiles/").text
    assert other.get(f"/casefiles/{record.id}/download").status_code == 404
    assert other.get(f"/caseview/show/{case.id}").status_code == 404
    # the city's leader (read-only) sees and downloads
    leader = login(app.test_client(), "leader_city")
    assert record.number in leader.get("/casefiles/").text
    assert leader.get(f"/casefiles/{record.id}/download").status_code == 200


def test_bad_register_input_is_400_or_404(app, tree, login):
    w = World(tree)
    w.archived()
    client = login(app.test_client(), "mgr_a")
    for query in ({"page": "0"}, {"page": "-1"}, {"page": "x"}, {"q": "a" * 41}, {"q": "a\x00b"}):
        assert client.get("/casefiles/", query_string=query).status_code == 400, query
    assert client.get("/casefiles/", query_string={"disposal": "maybe"}).status_code == 400
    assert client.get("/casefiles/", query_string={"page": "999"}).status_code == 200
    assert client.get("/casefiles/999999/download").status_code == 404
    assert client.get("/casefiles/99999999999/download").status_code == 404


def test_the_case_page_shows_the_case_file_and_refuses_steps(app, tree, login):
    w = World(tree)
    case, record = w.archived()
    client = login(app.test_client(), "spec_a1")
    page = client.get(f"/caseview/show/{case.id}")
    assert page.status_code == 200
    assert 'id="case-file-number"' in page.text and record.number in page.text
    assert 'data-step="archive" data-state="done"' in page.text
    assert 'data-step="return_visit"' in page.text  # 回访 still offered
    assert f"/caseview/step/{case.id}/evaluate" not in page.text
    refused = client.post(f"/caseview/step/{case.id}/archive", data={"note": "again"})
    assert refused.status_code == 409 or record.number in refused.text


def test_the_archive_step_over_the_api_and_its_refusal(api_app, tree):
    w = World(tree)
    case = w.closed()
    api = api_login(api_app, "spec_a1", language="zh")
    done = api.post(f"/api/v1/case/{case.id}/archive", json={"note": "齐全"})
    assert done.status_code == 200, done.json
    record = db.session.execute(
        sa.select(m.CaseArchive).where(m.CaseArchive.case_id == case.id)
    ).scalar_one()
    again = api.post(f"/api/v1/case/{case.id}/archive", json={})
    assert again.status_code == 409
    assert record.number in again.json["message"] and "归档" in again.json["message"]
    evaluate = api.post(
        f"/api/v1/case/{case.id}/evaluate", json={"rating": "5", "channel": "on_site"}
    )
    assert evaluate.status_code == 409
    en = api_login(api_app, "spec_a1", language="en")
    message = en.post(f"/api/v1/case/{case.id}/archive", json={}).json["message"]
    assert "archived" in message and record.number in message
    open_case = factories.case(tree.village_a1, w.spec)
    assert api.post(f"/api/v1/case/{open_case.id}/archive", json={}).status_code == 409
    unknown_field = api.post(f"/api/v1/case/{w.closed().id}/archive", json={"x": 1})
    assert unknown_field.status_code == 422


def test_the_archive_api_lists_finds_and_serves_within_scope(api_app, tree):
    w = World(tree)
    case, record = w.archived()
    api = api_login(api_app, "mgr_a")
    listing = api.get("/api/v1/archive/")
    assert listing.status_code == 200
    assert [row["number"] for row in listing.json["result"]] == [record.number]
    shown = api.get(f"/api/v1/archive/{record.id}")
    assert shown.status_code == 200 and shown.json["result"]["checksum"] == record.checksum
    for number in (case.number, record.number):
        found = api.get("/api/v1/archive/find", query_string={"number": number})
        assert found.status_code == 200 and found.json["result"]["id"] == record.id
    assert api.get("/api/v1/archive/find").status_code == 400
    assert api.get("/api/v1/archive/find", query_string={"number": "x" * 41}).status_code == 400
    assert api.get("/api/v1/archive/find", query_string={"number": "NOPE"}).status_code == 404
    pdf = api.get(f"/api/v1/archive/{record.id}/file")
    assert pdf.status_code == 200 and hashlib.sha256(pdf.data).hexdigest() == record.checksum
    steps = api.get(f"/api/v1/archive/case/{case.id}")
    assert steps.status_code == 200
    assert [s["step"] for s in steps.json["steps"]] == list(seven.LABELS)
    assert steps.json["case_file"]["number"] == record.number
    other = api_login(api_app, "spec_b")
    assert other.get("/api/v1/archive/").json["result"] == []
    assert other.get(f"/api/v1/archive/{record.id}").status_code == 404
    assert other.get(f"/api/v1/archive/{record.id}/file").status_code == 404
    assert other.get(f"/api/v1/archive/case/{case.id}").status_code == 404
    assert (
        other.get("/api/v1/archive/find", query_string={"number": case.number}).status_code == 404
    )
    assert api.get("/api/v1/archive/99999999999/file").status_code == 404
    assert api.delete(f"/api/v1/archive/{record.id}").status_code in (404, 405)


def test_the_seven_steps_follow_the_record(app, tree):
    w = World(tree)
    fresh = factories.case(tree.village_a1, w.spec)
    states = {s.key: s.state for s in seven.seven_steps(fresh)}
    assert states == {
        "entrust": "current",
        "accept": "pending",
        "handle": "pending",
        "deliver": "pending",
        "archive": "pending",
        "report": "pending",
        "revisit": "pending",
    }
    case = w.closed()
    states = {s.key: s.state for s in seven.seven_steps(case)}
    assert [states[k] for k in ("entrust", "accept", "handle", "deliver")] == ["done"] * 4
    assert states["archive"] == "current" and states["report"] == "pending"
    archiving.archive(db.session, case, w.actor, bundle=bundle.maker(db.session, case))
    ended = clock.local_date(case.ended_at)
    db.session.add(
        m.PeriodicReport(
            unit=tree.town_a,
            period="month",
            period_start=ended.replace(day=1),
            period_end=ended.replace(day=28) + dt.timedelta(days=4),
            state=ReportState.FINAL,
            finalised_at=clock.now(),
        )
    )
    lifecycle.plan_return_visit(
        db.session,
        case,
        w.actor,
        planned_on=clock.today(),
        done_on=clock.today(),
        channel=ContactChannel.PHONE,
        notes="满意",
    )
    db.session.commit()
    states = {s.key: s.state for s in seven.seven_steps(case)}
    assert set(states.values()) == {"done"}
    # a report of another town does not count
    db.session.execute(sa.update(m.PeriodicReport).values(unit_id=tree.town_b.id))
    db.session.commit()
    assert {s.key: s.state for s in seven.seven_steps(case)}["report"] == "pending"


def test_the_nightly_job_archives_closed_cases_once(app, tree):
    w = World(tree)
    case = w.closed()
    assert tasks.sweep(db.session)["archived"] == 0  # off by default
    settings.set_value(db.session, "archive.auto_after_days", 3)
    db.session.commit()
    assert tasks.sweep(db.session)["archived"] == 0  # closed just now
    later = clock.now() + dt.timedelta(days=4)
    first = tasks.sweep(db.session, later)
    assert first == {"flagged": 0, "archived": 1, "failed": 0}
    assert tasks.sweep(db.session, later)["archived"] == 0  # idempotent
    record = db.session.execute(
        sa.select(m.CaseArchive).where(m.CaseArchive.case_id == case.id)
    ).scalar_one()
    assert record.archived_by_id is None
    audit = db.session.execute(
        sa.select(m.AuditLog)
        .where(m.AuditLog.action == "step", m.AuditLog.row_id == str(case.id))
        .order_by(m.AuditLog.id)
    ).scalars()
    assert [a.after.get("step") for a in audit][-1] == "archive"
    far = dt.datetime.combine(record.retain_until, dt.time(12), tzinfo=clock.TZ)
    assert tasks.sweep(db.session, far + dt.timedelta(days=1))["flagged"] == 1


def test_an_admin_sets_the_retention_on_the_settings_screen(app, tree, login):
    w = World(tree)
    factories.staff("admin_cf", "Admin", None)
    client = login(app.test_client(), "admin_cf")
    page = client.get("/settingview/list/")
    assert "archive.retention_years" in page.text or "案卷保管期限" in page.text
    for bad in ("0", "101", "thirty"):
        answer = client.post("/settingview/set/archive.retention_years", data={"value": bad})
        assert answer.status_code == 422, bad
    saved = client.post("/settingview/set/archive.retention_years", data={"value": "10"})
    assert saved.status_code == 302
    _case, record = w.archived()
    assert record.retention_years == 10


def test_the_generic_edit_of_an_archived_case_is_refused(api_app, tree, login):
    w = World(tree)
    case, record = w.archived()
    api = api_login(api_app, "spec_a1", language="zh")
    answer = api.put(f"/api/v1/case/{case.id}", json={"needs": "改一改"})
    assert answer.status_code == 409 and record.number in answer.json["message"]
    db.session.rollback()  # the request's end (the test shares one session between requests)
    assert db.session.get(m.Case, case.id).needs != "改一改"
    client = login(api_app.test_client(), "spec_a1")
    page = client.post(
        f"/caseview/edit/{case.id}",
        data={"needs": "改一改", "hotline_ticket": ""},
        follow_redirects=True,
    )
    assert record.number in page.text  # the refusal, flashed
    db.session.rollback()
    assert db.session.get(m.Case, case.id).needs != "改一改"


def test_the_job_is_registered_with_beat(app):
    from app.tasks import BEAT_SCHEDULE

    celery = app.extensions["celery"]
    assert "archive.sweep" in celery.tasks
    assert any(entry["task"] == "archive.sweep" for entry in BEAT_SCHEDULE.values())
