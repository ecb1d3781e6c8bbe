"""Identifiers are NFKC-normalised before they are stored (issue 18): full-width digits in an
ID number do not slip past the one-ID-per-unit rule."""

from __future__ import annotations

import sqlalchemy as sa

from app import models as m
from app.extensions import db
from tests import factories
from tests.apiclient import api_login

pytest_plugins = ["tests.api_fixtures"]


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def test_full_width_id_number_is_the_same_number(api_app, people, tree):
    existing = factories.applicant(tree.village_a1)
    api = api_login(api_app, "spec_a")
    body = {
        "kind": "person",
        "name": "张三",
        "id_number": full_width(existing.id_number),
        "mobile": full_width("13912345678"),
        "unit": tree.village_a1.id,
    }
    duplicate = api.post("/api/v1/applicant/", json=body)
    assert duplicate.status_code == 409, duplicate.json
    fresh = factories.resident_id()
    created = api.post("/api/v1/applicant/", json={**body, "id_number": full_width(fresh)})
    assert created.status_code == 201, created.json
    row = db.session.get(m.Applicant, created.json["id"])
    db.session.refresh(row)
    assert (row.id_number, row.mobile) == (fresh, "13912345678")
    enterprise = {
        "kind": "enterprise",
        "name": "某公司",
        "credit_code": full_width(factories.credit_code().lower()),
        "mobile": "13912345678",
        "unit": tree.village_a1.id,
    }
    created = api.post("/api/v1/applicant/", json=enterprise)
    assert created.status_code == 201, created.json
    stored = db.session.execute(
        sa.select(m.Applicant.credit_code).where(m.Applicant.id == created.json["id"])
    ).scalar_one()
    assert stored.isascii() and stored == stored.upper()
