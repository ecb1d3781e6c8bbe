"""Uploads: checked by content, size-limited, stored under generated names, served in scope."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa

from app import models as m
from app.domain import lifecycle
from app.extensions import db
from tests import factories

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def in_progress_case(tree, spec):
    case = factories.case(tree.town_a, spec)
    lifecycle.confirm(db.session, case, spec.user, process_explained=True, applicant_signed=True)
    lifecycle.submit(db.session, case, spec.user)
    db.session.commit()
    return case


def complete_with(client, case, content: bytes, filename: str):
    page = client.get(f"/caseview/step/{case.id}/complete")
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page.text).group(1)
    return client.post(
        f"/caseview/step/{case.id}/complete",
        data={
            "version": version,
            "results": "证照一份",
            "signed_by": "黄伯",
            "materials_returned": "",
            "receipt": (io.BytesIO(content), filename),
        },
        content_type="multipart/form-data",
    )


def test_receipt_scan_is_stored_and_served_only_in_scope(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    factories.staff("other", "Specialist", tree.town_b)
    case = in_progress_case(tree, spec)
    client = login(app.test_client(), "spec")
    r = complete_with(client, case, PNG, "../../etc/回执.png")
    assert r.status_code == 302, r.text[:2000]
    attachment = db.session.execute(sa.select(m.Attachment)).scalar_one()
    assert re.fullmatch(r"[0-9a-f]{32}\.png", attachment.stored_name)
    assert attachment.original_name == "回执.png"
    assert attachment.content_type == "image/png"
    download = client.get(f"/attachmentview/file/{attachment.id}")
    assert download.status_code == 200 and download.data == PNG
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    other = login(app.test_client(), "other")
    assert other.get(f"/attachmentview/file/{attachment.id}").status_code == 404
    assert client.get("/caseview/download/" + attachment.stored_name).status_code == 404


def test_disguised_and_oversized_files_are_refused_and_nothing_is_saved(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    case = in_progress_case(tree, spec)
    client = login(app.test_client(), "spec")
    r = complete_with(client, case, b"<script>alert(1)</script>", "scan.pdf")
    assert r.status_code == 200
    assert "PDF" in r.text  # the message names the accepted types
    app.config["MAX_UPLOAD_BYTES"] = 1024
    try:
        r = complete_with(client, case, PNG + b"\x00" * 2048, "big.png")
    finally:
        app.config.pop("MAX_UPLOAD_BYTES")
    assert r.status_code == 200
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count(m.Attachment.id))).scalar_one() == 0
    assert db.session.get(m.Case, case.id).status.value == "in_progress"  # nothing half-saved
