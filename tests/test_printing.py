"""Printed documents: right data, QR of the progress page, offline-safe, scoped like the rest."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest

from app.domain import clock, lifecycle
from app.enums import HelpType, ServiceKind, TerminationReason
from app.extensions import db
from app.printing import qr_svg
from tests import factories

HOST = "http://localhost"


@pytest.fixture
def world(app, tree):
    """Town A's specialist with a 帮办 and a 代办 case; town B's, a village's, a city manager."""
    town_a = factories.staff("sp_a", "Specialist", tree.town_a)
    town_b = factories.staff("sp_b", "Specialist", tree.town_b)
    village = factories.staff("sp_village", "Specialist", tree.village_a1)
    city_manager = factories.staff("city_mgr", "Manager", tree.city)
    item = factories.service_item(materials=3, promised_days=5)
    item.materials[1].how_to_obtain = "到台山市不动产登记中心窗口申领"
    item.materials[2].name = "营业执照副本"
    db.session.commit()
    person = factories.applicant(tree.town_a, name="李阿婆", birth=dt.date(1950, 3, 8))
    person.contact_person = "李大明"
    person.address = "台山市大江镇新塘路8号"
    db.session.commit()
    help_case = lifecycle.apply(
        db.session,
        town_a.user,
        applicant=factories.applicant(tree.town_a, name="陈帮办"),
        item=item,
        kind=ServiceKind.HELP,
        help_types=[HelpType.FORM_FILLING.value, HelpType.ONLINE_DECLARATION.value],
        needs="<script>alert(1)</script>需要填写申请表",
        handling_unit=tree.town_a,
        specialist=town_a,
        ack_voluntary=True,
        ack_free=True,
        ack_truthful=True,
    )
    db.session.commit()
    proxy_case = factories.case(tree.town_a, town_a, item=item, app_=person, kind=ServiceKind.PROXY)
    return SimpleNamespace(
        tree=tree,
        item=item,
        town_a=town_a,
        town_b=town_b,
        village=village,
        city_manager=city_manager,
        help_case=help_case,
        proxy_case=proxy_case,
    )


def confirm(case, actor, received=()):
    lifecycle.confirm(
        db.session,
        case,
        actor.user,
        process_explained=True,
        applicant_signed=True,
        received_material_ids=list(received),
    )
    db.session.commit()


def notify(case, actor, days=10, repeat_reason=""):
    notice = lifecycle.notify_missing(
        db.session,
        case,
        actor.user,
        deadline=clock.today() + dt.timedelta(days=days),
        repeat_reason=repeat_reason,
    )
    db.session.commit()
    return notice


def cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def progress_url(case) -> str:
    return f"{HOST}/progress/?number={case.number}"


def assert_offline_and_qr(html: str, case) -> None:
    """The QR of the progress page is inline; nothing is loaded from another host."""
    assert "<svg" in html
    # The QR code inline is the one of the progress page's absolute URL.
    assert str(qr_svg(progress_url(case))) in html
    assert progress_url(case) in html
    assert case.number in html
    assert re.search(r'<div class="hint">[^<]{4,}</div>', html)  # how to check progress
    targets = re.findall(
        r"<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)\s*=\s*[\"']?([^\"'\s>]+)", html
    )
    targets += re.findall(r"url\(\s*[\"']?([^\"')]+)", html)
    targets += re.findall(r"@import\s+[\"']?([^\"';\s]+)", html)
    for target in targets:
        assert not re.match(r"(https?:)?//", target.strip(), re.I), target
    assert "@font-face" not in html
    assert "@page { size: A4; margin: 18mm; }" in html
    assert 'class="toolbar no-print"' in html and 'id="print-button"' in html


def get(client, url):
    return client.get(url, base_url=HOST)


# ---------------------------------------------------------------- 申请表 and 委托书


def test_help_application_form(app, world, login):
    case = world.help_case
    client = login(app.test_client(), "sp_a")
    response = get(client, f"/print/case/{case.id}/application")
    assert response.status_code == 200, response.text[:300]
    html = response.text
    assert_offline_and_qr(html, case)
    applicant = case.applicant
    assert applicant.name in html and applicant.id_number in html and applicant.mobile in html
    assert world.tree.town_a.name in html
    assert world.item.name in html and world.item.fee_note in html
    assert re.search(r'class="promised-days">[^<]*5', html)
    assert 'data-kind="help"' in html
    assert str(HelpType.FORM_FILLING.label) in html
    assert str(HelpType.ONLINE_DECLARATION.label) in html
    # The applicant's own words are escaped, never run.
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;需要填写申请表" in html
    acks = re.search(r'<ul class="ticks" id="acknowledgements">(.*?)</ul>', html, re.S).group(1)
    assert acks.count("☑") == 3 and "☐" not in acks
    assert world.town_a.name in html  # the specialist
    assert cn(clock.local_date(case.applied_at)) in html
    assert 'id="entrustment"' not in html


def test_proxy_application_includes_entrustment(app, world, login):
    case = world.proxy_case
    client = login(app.test_client(), "sp_a")
    html = get(client, f"/print/case/{case.id}/application").text
    assert_offline_and_qr(html, case)
    assert 'data-kind="proxy"' in html
    assert 'id="entrustment"' in html
    entrustment = html[html.index('id="entrustment"') :]
    for text in ("李阿婆", world.town_a.name, world.item.name, world.tree.town_a.name):
        assert text in entrustment
    assert "李大明" in html and "台山市大江镇新塘路8号" in html
    assert 'class="help-given"' not in html


# ---------------------------------------------------------------- 一次性告知书


def test_one_time_notice(app, world, login):
    case = world.help_case
    materials = world.item.materials
    confirm(case, world.town_a, received=[materials[0].id])
    notice = notify(case, world.town_a, days=10)
    client = login(app.test_client(), "sp_a")
    html = get(client, f"/print/notice/{notice.id}").text
    assert_offline_and_qr(html, case)
    rows = re.findall(r'<tr class="material">(.*?)</tr>', html, re.S)
    assert len(rows) == 2
    for row, material in zip(rows, materials[1:], strict=True):
        assert material.name in row and material.how_to_obtain in row
    assert materials[0].name not in "".join(rows)
    assert "到台山市不动产登记中心窗口申领" in html and "营业执照副本" in html
    assert cn(notice.deadline) in html
    assert case.applicant.name in html
    assert 'id="repeat"' not in html
    assert world.town_a.name in html  # notified by
    assert 'class="item-window"' not in html  # no window recorded: no empty row

    world.item.window_number = "B12"
    world.item.hall_location = "二楼不动产综合窗口区"
    db.session.commit()
    html = get(client, f"/print/notice/{notice.id}").text
    where = re.search(r'<td class="item-window">(.*?)</td>', html, re.S).group(1)
    assert "B12" in where and "二楼不动产综合窗口区" in where


def test_repeat_notice_shows_its_reason(app, world, login):
    case = world.help_case
    materials = world.item.materials
    confirm(case, world.town_a, received=[materials[0].id])
    notify(case, world.town_a)
    lifecycle.supplement(
        db.session, case, world.town_a.user, material_ids=[mat.id for mat in materials[1:]]
    )
    db.session.commit()
    # The window then finds the third material unusable: it is missing again.
    case.received_material_ids = [materials[0].id, materials[1].id]
    db.session.commit()
    second = notify(case, world.town_a, days=5, repeat_reason="窗口审核发现材料3已过期")
    client = login(app.test_client(), "sp_a")
    html = get(client, f"/print/notice/{second.id}").text
    assert 'id="repeat"' in html and "窗口审核发现材料3已过期" in html
    assert cn(second.deadline) in html
    assert len(re.findall(r'<tr class="material">', html)) == 1


# ---------------------------------------------------------------- 办结单, 终止单, 延期告知书


def test_handover_receipt(app, world, login):
    case = world.help_case
    materials = world.item.materials
    confirm(case, world.town_a, received=[materials[0].id])
    notify(case, world.town_a)
    lifecycle.supplement(
        db.session, case, world.town_a.user, material_ids=[mat.id for mat in materials[1:]]
    )
    lifecycle.submit(db.session, case, world.town_a.user)
    db.session.commit()
    handover = lifecycle.complete(
        db.session,
        case,
        world.town_a.user,
        results="不动产权证书一本",
        materials_returned="身份证原件",
        signed_by="陈帮办",
    )
    db.session.commit()
    client = login(app.test_client(), "sp_a")
    html = get(client, f"/print/handover/{case.id}").text
    assert_offline_and_qr(html, case)
    for text in ("不动产权证书一本", "身份证原件", "陈帮办", world.item.name):
        assert text in html
    assert cn(clock.local_date(handover.signed_at)) in html


def test_termination_confirmation(app, world, login):
    case = world.proxy_case
    confirm(case, world.town_a, received=[mat.id for mat in world.item.materials])
    lifecycle.terminate(
        db.session,
        case,
        world.town_a.user,
        reason_type=TerminationReason.APPLICANT_REQUEST,
        reason="申请人决定暂缓办理",
        materials_returned="户口簿原件、委托材料",
        applicant_signed=True,
        specialist_signed=True,
    )
    db.session.commit()
    client = login(app.test_client(), "sp_a")
    html = get(client, f"/print/termination/{case.id}").text
    assert_offline_and_qr(html, case)
    assert 'data-reason-type="applicant_request"' in html
    assert str(TerminationReason.APPLICANT_REQUEST.label) in html
    for text in ("申请人决定暂缓办理", "户口簿原件、委托材料", "李阿婆"):
        assert text in html


def test_extension_notice(app, world, login):
    case = world.proxy_case
    confirm(case, world.town_a, received=[mat.id for mat in world.item.materials])
    lifecycle.submit(db.session, case, world.town_a.user)
    db.session.commit()
    old_due = case.due_date
    extension = lifecycle.extend(
        db.session,
        case,
        world.town_a.user,
        extra_days=3,
        reason="需要现场勘查",
        explained_to_applicant=True,
    )
    db.session.commit()
    assert old_due is not None and extension.new_due > old_due
    client = login(app.test_client(), "sp_a")
    html = get(client, f"/print/extension/{extension.id}").text
    assert_offline_and_qr(html, case)
    assert re.search(r'class="old-due">' + re.escape(cn(old_due)), html)
    assert cn(extension.new_due) in html
    assert re.search(r'class="extra-days">[^<]*3', html)
    assert "需要现场勘查" in html and "☑" in html and "李阿婆" in html


# ---------------------------------------------------------------- scope and access


@pytest.fixture
def every_document(world):
    """Both cases carried to the point where every document exists; the print URLs."""
    help_case, proxy_case = world.help_case, world.proxy_case
    materials = world.item.materials
    confirm(help_case, world.town_a, received=[materials[0].id])
    notice = notify(help_case, world.town_a)
    lifecycle.supplement(
        db.session, help_case, world.town_a.user, material_ids=[m.id for m in materials[1:]]
    )
    lifecycle.submit(db.session, help_case, world.town_a.user)
    lifecycle.complete(
        db.session,
        help_case,
        world.town_a.user,
        results="证照一份",
        materials_returned="",
        signed_by="陈帮办",
    )
    confirm(proxy_case, world.town_a, received=[m.id for m in materials])
    extension = lifecycle.extend(
        db.session,
        proxy_case,
        world.town_a.user,
        extra_days=2,
        reason="特殊情况",
        explained_to_applicant=True,
    )
    lifecycle.terminate(
        db.session,
        proxy_case,
        world.town_a.user,
        reason_type=TerminationReason.CANNOT_COMPLETE,
        reason="无法办结",
        materials_returned="全部材料",
        applicant_signed=True,
        specialist_signed=True,
    )
    db.session.commit()
    return [
        f"/print/case/{help_case.id}/application",
        f"/print/case/{proxy_case.id}/application",
        f"/print/notice/{notice.id}",
        f"/print/handover/{help_case.id}",
        f"/print/termination/{proxy_case.id}",
        f"/print/extension/{extension.id}",
    ]


@pytest.mark.parametrize(
    "username, status",
    [("sp_a", 200), ("city_mgr", 200), ("sp_b", 404), ("sp_village", 404)],
)
def test_documents_follow_the_tier_scope(app, every_document, login, username, status):
    client = login(app.test_client(), username)
    for url in every_document:
        assert get(client, url).status_code == status, (username, url)


def test_missing_records_are_404(app, world, login):
    case = world.help_case  # applied only: no notice, handover, termination or extension
    client = login(app.test_client(), "sp_a")
    for url in (
        "/print/case/999999/application",
        "/print/notice/999999",
        "/print/extension/999999",
        f"/print/handover/{case.id}",
        f"/print/termination/{case.id}",
    ):
        assert get(client, url).status_code == 404, url


def test_anonymous_is_sent_to_log_in(app, world):
    response = get(app.test_client(), f"/print/case/{world.help_case.id}/application")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_print_pages_run_no_inline_script_and_the_app_has_an_icon(app, world, login):
    """The Print button is wired by a served script (the CSP blocks inline handlers)."""
    client = login(app.test_client(), "sp_a")
    response = get(client, f"/print/case/{world.help_case.id}/application")
    html = response.text
    assert not re.search(r"\son[a-z]+=", html)  # no onclick=, onload=...
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert f'<script src="/static/js/print.js" nonce="{nonce}"></script>' in html
    assert 'id="print-button"' in html
    assert client.get("/static/js/print.js").status_code == 200
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"
