"""Bad input on the screens gets a clear error in the user's language and saves nothing."""

from __future__ import annotations

import sqlalchemy as sa

from app import models as m
from app.extensions import db
from tests import factories


def applicant_form(unit_id: int, **overrides) -> dict:
    data = {
        "kind": "person",
        "name": "黄伯",
        "id_number": factories.resident_id(),
        "credit_code": "",
        "contact_person": "",
        "mobile": "13800138000",
        "address": "台山市台城街道",
        "unit": str(unit_id),
    }
    data.update(overrides)
    return data


def count_applicants() -> int:
    return db.session.execute(sa.select(sa.func.count(m.Applicant.id))).scalar_one()


def test_valid_applicant_is_saved(app, tree, login):
    factories.staff("spec", "Specialist", tree.town_a)
    client = login(app.test_client(), "spec")
    response = client.post("/applicantview/add", data=applicant_form(tree.village_a1.id))
    assert response.status_code == 302
    assert count_applicants() == 1


def test_wrong_id_number_is_refused_in_chinese(app, tree, login):
    factories.staff("spec", "Specialist", tree.town_a)
    client = login(app.test_client(), "spec")
    good = factories.resident_id()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = client.post("/applicantview/add", data=applicant_form(tree.town_a.id, id_number=bad))
    assert response.status_code == 200  # the form again, with the input kept
    assert "校验码" in response.text
    assert bad in response.text
    assert count_applicants() == 0


def test_wrong_mobile_and_credit_code_are_refused(app, tree, login):
    factories.staff("spec", "Specialist", tree.town_a)
    client = login(app.test_client(), "spec")
    response = client.post(
        "/applicantview/add",
        data=applicant_form(
            tree.town_a.id,
            kind="enterprise",
            id_number="",
            credit_code="91350100M000100Y44",
            mobile="12345",
        ),
    )
    assert response.status_code == 200
    assert "手机号码" in response.text
    assert "统一社会信用代码" in response.text
    assert count_applicants() == 0


def test_unit_outside_scope_cannot_be_chosen(app, tree, login):
    factories.staff("spec", "Specialist", tree.town_a)
    client = login(app.test_client(), "spec")
    form = client.get("/applicantview/add").text
    assert tree.village_a1.name in form
    assert tree.town_b.name not in form
    response = client.post("/applicantview/add", data=applicant_form(tree.town_b.id))
    assert count_applicants() == 0
    assert response.status_code in (200, 302)
