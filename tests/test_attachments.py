"""Signed papers filed with a case by kind: checked by content, kept in the shared file store,
scoped, previewed in the case page, on the timeline and in the audit trail, voided (never
deleted) with a reason; the same step on the page and over the REST API."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from app import models as m
from app.domain import lifecycle
from app.enums import AttachmentKind, EventKind
from app.extensions import db
from app.kept import RecordKept
from tests import factories
from tests.apiclient import api_login

pytest_plugins = ["tests.api_fixtures"]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _version(client, case_id) -> str:
    page = client.get(f"/caseview/step/{case_id}/attach")
    assert page.status_code == 200, page.text[:500]
    return re.search(r'name="version" type="hidden" value="(\d+)"', page.text).group(1)


def _attach_on_page(client, case_id, content, filename, kind="application", note=""):
    return client.post(
        f"/caseview/step/{case_id}/attach",
        data={
            "version": _version(client, case_id),
            "kind": kind,
            "note": note,
            "file": (io.BytesIO(content), filename),
        },
        content_type="multipart/form-data",
    )


def _count(model) -> int:
    db.session.expire_all()
    return db.session.execute(sa.select(sa.func.count(model.id))).scalar_one()


def test_specialist_files_a_signed_entrustment_and_sees_it_on_the_page(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, spec)
    client = login(app.test_client(), "spec")
    # the page offers a button per kind, the form comes with the kind chosen
    page = client.get(f"/caseview/show/{case.id}")
    assert 'data-attach-kind="application"' in page.text
    form = client.get(f"/caseview/step/{case.id}/attach?kind=notice_countersigned")
    assert re.search(r'<option selected value="notice_countersigned"', form.text)

    r = _attach_on_page(client, case.id, PNG, "委托书（签字）.png", note="申请人当场签字")
    assert r.status_code == 302, r.text[:2000]

    attachment = db.session.execute(sa.select(m.Attachment)).scalar_one()
    assert attachment.kind == AttachmentKind.APPLICATION
    assert attachment.note == "申请人当场签字"
    assert attachment.uploaded_by_id == spec.user.id
    # kept in the shared file store, not in a folder
    stored = db.session.execute(
        sa.select(m.StoredFile).where(m.StoredFile.name == "attachments/" + attachment.stored_name)
    ).scalar_one()
    assert stored.data == PNG and stored.content_type == "image/png"
    # one timeline entry naming the kind, one audit entry for the step
    event = db.session.execute(
        sa.select(m.CaseEvent).where(m.CaseEvent.kind == EventKind.ATTACHMENT)
    ).scalar_one()
    assert event.case_id == case.id and event.data["kind"] == "application"
    assert event.data["attachment_id"] == attachment.id
    audit = db.session.execute(
        sa.select(m.AuditLog).where(
            m.AuditLog.table_name == "service_case", m.AuditLog.row_id == str(case.id)
        )
    ).scalars()
    assert [a.after.get("step") for a in audit if a.action == "step"] == ["attach"]

    page = client.get(f"/caseview/show/{case.id}?_l_=zh")
    assert page.status_code == 200
    assert "已签字的申请表和委托书" in page.text  # the kind, in the user's language
    row = re.search(r'<tr data-kind="attachment">.*?</tr>', page.text, re.S).group(0)
    assert "已签字的申请表和委托书" in row and "委托书（签字）.png" in row  # on the timeline
    inline = f"/attachmentview/file/{attachment.id}?inline=1"
    assert f'<img src="{inline}"' in page.text  # previewed in the page

    shown = client.get(inline)
    assert shown.status_code == 200 and shown.data == PNG
    assert shown.headers["Content-Disposition"].startswith("inline")
    assert shown.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in shown.headers["Content-Security-Policy"]
    assert "default-src 'none'" in shown.headers["Content-Security-Policy"]
    download = client.get(f"/attachmentview/file/{attachment.id}")
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_a_pdf_is_shown_in_a_frame_of_the_app_and_the_page_may_frame_it(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, spec)
    client = login(app.test_client(), "spec")
    assert (
        _attach_on_page(client, case.id, PDF, "告知书.pdf", "notice_countersigned").status_code
        == 302
    )
    attachment = db.session.execute(sa.select(m.Attachment)).scalar_one()
    page = client.get(f"/caseview/show/{case.id}")
    assert f'<iframe src="/attachmentview/file/{attachment.id}?inline=1"' in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-src" not in policy  # frames of self only
    shown = client.get(f"/attachmentview/file/{attachment.id}?inline=1")
    assert shown.mimetype == "application/pdf" and shown.data == PDF


def test_files_are_checked_by_content_and_a_refused_one_saves_nothing(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, spec)
    client = login(app.test_client(), "spec")
    before = _count(m.CaseEvent)
    r = _attach_on_page(client, case.id, b"<html><script>alert(1)</script>", "scan.pdf")
    assert r.status_code == 200 and "PDF" in r.text
    r = client.post(
        f"/caseview/step/{case.id}/attach",
        data={"version": _version(client, case.id), "kind": "application"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200
    assert _count(m.Attachment) == 0 and _count(m.StoredFile) == 0
    assert _count(m.CaseEvent) == before


def test_the_rest_api_files_and_voids_with_the_same_step(api_app, people, tree):
    case = factories.case(tree.town_a, people.specialist)
    api = api_login(api_app, "spec_a")

    def attach(content, name, kind="termination", **extra):
        return api.post(
            f"/api/v1/case/{case.id}/attach",
            data={"kind": kind, "file": (io.BytesIO(content), name), **extra},
            content_type="multipart/form-data",
        )

    r = attach(PDF, "终止确认书.pdf", note="双方签字")
    assert r.status_code == 200, r.json
    attachment = db.session.execute(sa.select(m.Attachment)).scalar_one()
    assert (
        attachment.kind == AttachmentKind.TERMINATION
        and attachment.content_type == "application/pdf"
    )

    assert attach(PDF, "x.pdf", kind="photo").status_code == 422
    refused = attach(b"GIF89a....", "x.pdf")
    assert refused.status_code == 422 and "file" in refused.json["errors"]
    no_file = api.post(f"/api/v1/case/{case.id}/attach", json={"kind": "other"})
    assert no_file.status_code == 422 and "file" in no_file.json["errors"]
    assert _count(m.Attachment) == 1

    # scope: another town's specialist does not see the case; a leader takes no step
    other = api_login(api_app, "spec_b")
    assert (
        other.post(
            f"/api/v1/case/{case.id}/attach",
            data={"kind": "other", "file": (io.BytesIO(PNG), "a.png")},
            content_type="multipart/form-data",
        ).status_code
        == 404
    )
    assert (
        other.post(
            f"/api/v1/case/{case.id}/void_attachment",
            json={"attachment": attachment.id, "reason": "错"},
        ).status_code
        == 404
    )
    leader = api_login(api_app, "leader_city")
    assert leader.post(
        f"/api/v1/case/{case.id}/attach",
        data={"kind": "other", "file": (io.BytesIO(PNG), "a.png")},
        content_type="multipart/form-data",
    ).status_code in (401, 403)

    # voided with a reason, never deleted; then not offered for voiding again
    assert (
        api.post(
            f"/api/v1/case/{case.id}/void_attachment", json={"attachment": attachment.id}
        ).status_code
        == 422
    )
    r = api.post(
        f"/api/v1/case/{case.id}/void_attachment",
        json={"attachment": attachment.id, "reason": "传错了文件"},
    )
    assert r.status_code == 200, r.json
    db.session.expire_all()
    attachment = db.session.get(m.Attachment, attachment.id)
    assert attachment.voided_at is not None and attachment.void_reason == "传错了文件"
    assert attachment.voided_by_id == people.specialist.user.id
    again = api.post(
        f"/api/v1/case/{case.id}/void_attachment",
        json={"attachment": attachment.id, "reason": "再来"},
    )
    assert again.status_code == 409  # nothing left to void: the step is not offered
    kinds = [e["kind"] for e in api.get(f"/api/v1/case/{case.id}/timeline").json["result"]]
    assert kinds.count("attachment") == 1 and kinds.count("attachment_voided") == 1
    db.session.delete(attachment)
    with pytest.raises(RecordKept):
        db.session.flush()
    db.session.rollback()
    assert _count(m.Attachment) == 1

    # listed (voided ones marked) and read back over the API, in scope only
    listed = api.get(f"/api/v1/case/{case.id}/attachments")
    assert listed.status_code == 200
    (row,) = listed.json["result"]
    assert row["kind"] == "termination" and row["void_reason"] == "传错了文件"
    content = api.get(f"/api/v1/case/{case.id}/attachments/{attachment.id}")
    assert content.status_code == 200 and content.data == PDF
    assert other.get(f"/api/v1/case/{case.id}/attachments").status_code == 404
    assert other.get(f"/api/v1/case/{case.id}/attachments/{attachment.id}").status_code == 404
    assert api.get(f"/api/v1/case/{case.id}/attachments/999999").status_code == 404

    # the route is documented
    spec = api.get("/api/v1/_openapi").json
    post = spec["paths"]["/api/v1/case/{pk}/attach"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert "CaseStep.attach" in spec["components"]["schemas"]


def test_voided_file_stays_listed_struck_out_on_the_page(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, spec)
    client = login(app.test_client(), "spec")
    assert _attach_on_page(client, case.id, PNG, "wrong.png", "extension").status_code == 302
    attachment = db.session.execute(sa.select(m.Attachment)).scalar_one()
    page = client.get(f"/caseview/step/{case.id}/void_attachment")
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page.text).group(1)
    r = client.post(
        f"/caseview/step/{case.id}/void_attachment",
        data={"version": version, "attachment": attachment.id, "reason": "不是本案的文件"},
    )
    assert r.status_code == 302, r.text[:2000]
    page = client.get(f"/caseview/show/{case.id}?_l_=en")
    row = re.search(rf'<tr data-attachment="{attachment.id}".*?</tr>', page.text, re.S).group(0)
    assert "<s>Extension notice</s>" in row and "不是本案的文件" in row
    assert f'data-preview="{attachment.id}"' not in page.text  # no preview of a voided file
    assert 'data-kind="attachment_voided"' in page.text
    assert 'data-step="void_attachment"' not in page.text  # nothing left to void


def test_completion_receipt_is_a_handover_receipt_on_the_timeline(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, spec)
    lifecycle.confirm(db.session, case, spec.user, process_explained=True, applicant_signed=True)
    lifecycle.submit(db.session, case, spec.user)
    db.session.commit()
    client = login(app.test_client(), "spec")
    page = client.get(f"/caseview/step/{case.id}/complete")
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page.text).group(1)
    r = client.post(
        f"/caseview/step/{case.id}/complete",
        data={
            "version": version,
            "results": "证照一份",
            "signed_by": "黄伯",
            "materials_returned": "",
            "receipt": (io.BytesIO(PNG), "回执.png"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302, r.text[:2000]
    attachment = db.session.execute(sa.select(m.Attachment)).scalar_one()
    assert attachment.kind == AttachmentKind.HANDOVER_RECEIPT
    event = db.session.execute(
        sa.select(m.CaseEvent).where(m.CaseEvent.kind == EventKind.ATTACHMENT)
    ).scalar_one()
    assert event.data["kind"] == "handover_receipt"
    # a completed case still takes its signed papers
    assert _attach_on_page(client, case.id, PDF, "延期.pdf", "extension").status_code == 302


def test_a_voided_case_takes_no_file(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    factories.staff("mgr", "Manager", tree.town_a)
    case = factories.case(tree.town_a, spec)
    mgr = db.session.execute(
        sa.select(m.Specialist).where(m.Specialist.name == "员工mgr")
    ).scalar_one()
    lifecycle.void(db.session, case, mgr.user, reason="录错")
    db.session.commit()
    client = login(app.test_client(), "spec")
    page = client.get(f"/caseview/show/{case.id}")
    assert 'data-step="attach"' not in page.text and "attach-by-kind" not in page.text
    r = client.get(f"/caseview/step/{case.id}/attach")
    assert r.status_code == 302
