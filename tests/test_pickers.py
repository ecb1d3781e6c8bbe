"""The applicant picker: every applicant in scope can be found and chosen, nothing outside it."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app import models as m
from app.enums import ApplicantKind
from app.extensions import db
from app.validators import complete_resident_id
from tests import factories


def many_applicants(unit, count: int, start: dt.datetime) -> None:
    """``count`` applicants in ``unit``, each a minute newer than the one before."""
    rows = [
        {
            "kind": ApplicantKind.PERSON,
            "name": f"批量申请人{i:05d}",
            "id_number": complete_resident_id(
                f"440781{dt.date(1960, 1, 1) + dt.timedelta(days=i):%Y%m%d}001"
            ),
            "mobile": "13900000000",
            "unit_id": unit.id,
            "created_at": start + dt.timedelta(minutes=i + 1),
        }
        for i in range(count)
    ]
    db.session.execute(sa.insert(m.Applicant), rows)
    db.session.commit()


def apply(client, applicant_id, item, unit, spec):
    return client.post(
        "/caseview/add",
        data={
            "applicant": applicant_id,
            "item": item.id,
            "kind": "help",
            "help_types": ["online"],
            "needs": "办理营业执照",
            "handling_unit": unit.id,
            "specialist": spec.id,
            "ack_voluntary": "y",
            "ack_free": "y",
            "ack_truthful": "y",
        },
    )


def test_an_applicant_registered_a_thousand_applicants_ago_is_found_and_used(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    item = factories.service_item()
    old = factories.applicant(tree.village_a1, name="欧阳老项目")
    old.created_at = dt.datetime(2020, 1, 1)
    db.session.commit()
    many_applicants(tree.town_a, 1000, dt.datetime(2021, 1, 1))
    client = login(app.test_client(), "spec")

    found = client.get("/applicantview/search?q=欧阳").get_json()["results"]
    assert [r["id"] for r in found] == [old.id]
    assert found[0]["identity"] == old.masked_id_number
    assert old.id_number not in str(found) and "13800138000" not in str(found)

    by_id_tail = client.get(f"/applicantview/search?q={old.id_number[-4:]}").get_json()
    assert old.id in [r["id"] for r in by_id_tail["results"]]

    # A blank query gives the newest few, never the whole table.
    assert len(client.get("/applicantview/search?q=").get_json()["results"]) == 20

    page = client.get("/caseview/add")
    assert page.status_code == 200
    assert 'src="/static/js/picker.js"' in page.text
    assert "批量申请人" not in page.text  # no list of applicants in the page

    response = apply(client, old.id, item, tree.town_a, spec)
    assert response.status_code == 302, response.text[:2000]
    case = db.session.execute(sa.select(m.Case)).scalar_one()
    assert case.applicant_id == old.id


def test_the_picker_stays_inside_the_scope(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    item = factories.service_item()
    outside = factories.applicant(tree.town_b, name="水步申请人")
    client = login(app.test_client(), "spec")

    assert client.get("/applicantview/search?q=水步").get_json()["results"] == []
    response = apply(client, outside.id, item, tree.town_a, spec)
    assert response.status_code == 200
    assert "从列表中选择申请人" in response.text
    for junk in ("abc", "99999999999999", "-1", ""):
        response = apply(client, junk, item, tree.town_a, spec)
        # The form again with its error, or 400 for a number no id can be (app-wide guard).
        assert response.status_code in (200, 400), junk
    assert db.session.execute(sa.select(sa.func.count(m.Case.id))).scalar_one() == 0


def test_numbers_find_applicants_only_as_far_as_the_mask_shows(app, tree, login):
    """The last 4 digits (shown anyway) or the whole number (a revealer, audited); never the
    hidden middle digits, which would make the picker a search oracle."""
    factories.staff("spec", "Specialist", tree.town_a)
    factories.staff("boss", "Leader", tree.town_a)
    target = factories.applicant(tree.town_a, name="手机号找人")
    target.mobile = "13712345678"
    db.session.commit()
    factories.applicant(tree.town_a)
    client = login(app.test_client(), "spec")

    def ids(query, who=client):
        return [r["id"] for r in who.get(f"/applicantview/search?q={query}").get_json()["results"]]

    found = client.get("/applicantview/search?q=5678").get_json()["results"]
    assert [r["id"] for r in found] == [target.id]
    assert found[0]["mobile"] == "137****5678"
    for hidden in ("45678", "1234567", "3712345678", target.id_number[-8:], target.id_number[:10]):
        assert ids(hidden) == [], hidden
    assert ids("13712345678") == [target.id]
    assert ids(target.id_number) == [target.id]
    reveals = db.session.execute(
        sa.select(m.AuditLog).where(m.AuditLog.action == "reveal")
    ).scalars()
    assert {r.after["column"] for r in reveals} == {"mobile", "id_number"}

    leader = login(app.test_client(), "boss")
    assert ids("13712345678", leader) == []  # may not reveal: no whole-number search either
    assert ids("5678", leader) == [target.id]


def test_a_new_applicant_is_registered_from_the_picker(app, tree, login):
    factories.staff("spec", "Specialist", tree.town_a)
    client = login(app.test_client(), "spec")
    id_number = factories.resident_id(dt.date(1950, 3, 3))
    data = {
        "new_applicant-kind": "person",
        "new_applicant-name": "新来的申请人",
        "new_applicant-id_number": id_number,
        "new_applicant-mobile": "13612345678",
        "new_applicant-weak": "y",
    }
    created = client.post("/applicantview/quick_add", data=data)
    assert created.status_code == 201, created.text
    row = db.session.get(m.Applicant, created.get_json()["applicant"]["id"])
    assert row.unit_id == tree.town_a.id and row.weak and row.id_number == id_number
    assert id_number not in created.text

    again = client.post("/applicantview/quick_add", data=data)
    assert again.status_code == 409
    assert again.get_json()["applicant"]["id"] == row.id

    bad = client.post("/applicantview/quick_add", data={**data, "new_applicant-id_number": "1"})
    assert bad.status_code == 422
    assert "id_number" in bad.get_json()["errors"]
    other_unit = client.post(
        "/applicantview/quick_add",
        data={
            **data,
            "new_applicant-id_number": factories.resident_id(),
            "new_applicant-unit": tree.town_b.id,
        },
    )
    assert other_unit.status_code == 422
    assert db.session.execute(sa.select(sa.func.count(m.Applicant.id))).scalar_one() == 1


def test_a_leader_cannot_register_applicants(app, tree, login):
    factories.staff("boss", "Leader", tree.town_a)
    client = login(app.test_client(), "boss")
    response = client.post("/applicantview/quick_add", data={"new_applicant-name": "x"})
    assert response.status_code in (302, 403)
    assert db.session.execute(sa.select(sa.func.count(m.Applicant.id))).scalar_one() == 0


def _picker(html: str) -> str:
    """The picker's markup in a page, from its opening div to the end of its quick-add fieldset."""
    start = html.index('<div class="form-group picker')
    return html[start : html.index("</fieldset>", start)]


def test_the_application_form_and_staff_booking_draw_one_picker(app, tree, login):
    factories.staff("spec", "Specialist", tree.town_a)
    db.session.commit()
    client = login(app.test_client(), "spec")
    apply_page = _picker(client.get("/caseview/add").text)
    book_page = _picker(client.get("/appointments/book").text)
    for markup, unit_field in ((apply_page, "handling_unit"), (book_page, "unit")):
        assert f'data-unit-field="{unit_field}"' in markup
        for part in ('id="applicant-search"', 'name="applicant"', 'id="new-applicant"'):
            assert part in markup
        assert 'form="new-applicant-form"' in markup and 'data-field="name"' in markup

    def without_labels(markup):
        markup = markup.replace('data-unit-field="handling_unit"', "").replace(
            'data-unit-field="unit"', ""
        )
        return markup[markup.index("</label>") :]

    assert without_labels(apply_page) == without_labels(book_page)
