"""Signed papers and bulk work at 1280 px, in Debian's chromium: a specialist files the signed
entrustment scan and sees it previewed and on the timeline; a manager ticks three cases in the
list and reassigns them to another specialist in one action."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import models as m
from app.enums import AttachmentKind, EventKind
from app.extensions import db
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# A real (tiny) PNG: 1×1 pixel, so the preview is an image the browser decodes.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a2d5e2"
    "cb0000000049454e44ae426082"
)


def test_specialist_files_a_signed_entrustment_and_manager_reassigns_three(
    app, tree, journey, tmp_path
):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    factories.staff("mgr", "Manager", tree.town_a)
    spec2 = factories.staff("spec2", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, spec)
    others = [factories.case(tree.town_a, spec) for _ in range(3)]
    scan = tmp_path / "委托书-签字.png"
    scan.write_bytes(PNG)

    j = journey("signed-papers")
    errors = []
    j.page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    j.login("spec", factories.PASSWORD)
    j.go(f"/caseview/show/{case.id}")
    j.page.click("#attach-by-kind [data-attach-kind='application']")
    j.page.wait_for_selector("#step-form")
    assert j.page.input_value("select[name=kind]") == "application"
    j.page.set_input_files("input[name=file]", str(scan))
    j.page.fill("textarea[name=note]", "申请人当场签字")
    j.shot("attach-form")
    j.page.click("#step-form button[type=submit]")
    j.page.wait_for_selector("#case-attachments")
    j.see("已签字的申请表和委托书", "委托书-签字.png")
    # previewed: the image is decoded by the browser from the app itself
    attachment = db.session.execute(sa.select(m.Attachment)).scalar_one()
    assert attachment.kind == AttachmentKind.APPLICATION
    img = j.page.locator(f"[data-preview='{attachment.id}'] img")
    # the image loads after the page: wait for its load (or error) instead of reading it at once
    width = img.evaluate(
        "el => el.complete ? el.naturalWidth : new Promise(done => {"
        " el.addEventListener('load', () => done(el.naturalWidth));"
        " el.addEventListener('error', () => done(0)); })"
    )
    assert width == 1
    timeline = j.page.locator("#case-timeline tr[data-kind='attachment']")
    assert timeline.count() == 1
    assert "已签字的申请表和委托书" in timeline.inner_text()
    j.shot("attachment-on-timeline")
    assert (
        db.session.execute(
            sa.select(sa.func.count(m.CaseEvent.id)).where(
                m.CaseEvent.case_id == case.id, m.CaseEvent.kind == EventKind.ATTACHMENT
            )
        ).scalar_one()
        == 1
    )

    # The manager ticks three cases and gives them to another specialist at once.
    m_j = journey("bulk-reassign")
    m_j.login("mgr", factories.PASSWORD)
    m_j.go("/caseview/list/")
    for other in others:
        m_j.page.check(f"input[name=rowid][value='{other.id}']")
    m_j.shot("three-ticked")
    menu_item = m_j.page.locator(".reassign_menu_item").first
    menu_item.locator("xpath=ancestor::div[contains(@class, 'btn-group')][1]/button").click()
    assert "改派给专员" in menu_item.inner_text()  # the action, in the user's language
    menu_item.click()
    m_j.page.wait_for_selector("#reassign-form")
    assert m_j.page.locator("#reassign-cases input[name=case]").count() == 3
    m_j.page.select_option("#reassign-specialist", str(spec2.id))
    m_j.page.fill("#reassign-note", "专员休假，批量改派")
    m_j.shot("reassign-form")
    m_j.page.click("#reassign-form button[type=submit]")
    m_j.page.wait_for_selector("#reassign-outcomes")
    assert m_j.page.locator("#reassign-outcomes tr[data-done='yes']").count() == 3
    m_j.see("已改派 3 件")
    m_j.shot("reassigned")
    db.session.expire_all()
    for other in others:
        assert db.session.get(m.Case, other.id).specialist_id == spec2.id
    m_j.go(f"/caseview/show/{others[0].id}")
    m_j.see("专员休假，批量改派")
    assert [e for e in errors if "Content Security Policy" in e] == []
