"""The applicant picker in a real browser: an applicant registered 1,000 applicants ago is
found by typing part of the name; a new one is registered without leaving the form."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app import models as m
from app.extensions import db
from tests import factories
from tests.test_pickers import many_applicants

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_specialist_finds_an_old_applicant_and_registers_a_new_one(app, tree, journey):
    factories.staff("spec", "Specialist", tree.town_a)
    item = factories.service_item()
    old = factories.applicant(tree.town_a, name="欧阳长者", birth=dt.date(1940, 2, 2))
    old.created_at = dt.datetime(2020, 1, 1)
    db.session.commit()
    many_applicants(tree.town_a, 1000, dt.datetime(2021, 1, 1))

    j = journey("applicant-picker")
    errors = []
    j.page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    j.login("spec", factories.PASSWORD)
    j.go(f"/caseview/add?item={item.id}")
    j.page.fill("#applicant-search", "欧阳")
    j.page.wait_for_selector(f"#applicant-results [data-id='{old.id}']")
    j.shot("picker-results")
    j.page.keyboard.press("Enter")  # the first match is chosen, the form is not submitted
    j.see("欧阳长者")
    assert j.page.input_value("input[name=applicant]") == str(old.id)

    # Changed their mind: a new applicant, registered inline and chosen at once.
    j.page.click(".picker-change")
    j.page.fill("#applicant-search", "司徒新")
    j.page.wait_for_selector(".picker-status:has-text('没有匹配')")
    j.page.click(".picker-new-toggle")
    j.page.fill("input[name='new_applicant-id_number']", "123")
    j.page.fill("input[name='new_applicant-mobile']", "13712340000")
    j.page.click("#new-applicant .picker-new-save")
    j.page.wait_for_selector("[data-field=id_number].has-error")
    id_number = factories.resident_id(dt.date(1950, 1, 1))
    j.page.fill("input[name='new_applicant-id_number']", id_number)
    j.page.click("#new-applicant .picker-new-save")
    j.page.wait_for_selector(".picker-chosen:not(.hidden)")
    j.shot("picker-new-applicant")
    new = db.session.execute(
        sa.select(m.Applicant).where(m.Applicant.name == "司徒新")
    ).scalar_one()
    assert j.page.input_value("input[name=applicant]") == str(new.id)

    j.page.fill("textarea[name=needs]", "代为申领高龄津贴")
    for box in ("ack_voluntary", "ack_free", "ack_truthful"):
        j.page.check(f"input[name={box}]")
    j.page.click("#apply-form button[type=submit]")
    j.page.wait_for_load_state()
    j.see("已申请", "司徒新")
    assert db.session.execute(sa.select(m.Case.applicant_id)).scalar_one() == new.id
    assert [e for e in errors if "Content Security Policy" in e] == []
