"""SMS templates and the registered signature: today's wording by default, an Admin's wording
used by the outbox in each language, bad wording refused in the reader's language, the length
in SMS, Admins only, every change audited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from app import models as m
from app import settings
from app.domain import clock, lifecycle
from app.domain.status import CaseStatus
from app.enums import NotificationChannel
from app.extensions import db
from app.reminders import sms_templates as t
from tests import factories
from tests.test_reminders_helpers import MONDAY, notifications


@pytest.fixture(autouse=True)
def _release_clock():
    yield
    clock.set_fixed(None)


def _accept(tree, spec):
    """A village case confirmed (accepted): one status SMS to its applicant."""
    clock.set_fixed(MONDAY)
    item = factories.service_item(promised_days=4, materials=0)
    case = factories.case(tree.village_a1, spec, item=item)
    lifecycle.confirm(db.session, case, spec.user, process_explained=True, applicant_signed=True)
    db.session.commit()
    return case


def test_defaults_are_todays_wording_in_every_language(app):
    values = {"number": "440781-2026-00007", "item": "低保申请", "days": 5, "due": "2026-07-01"}
    values["status"] = "办理中"
    values.update(day="2026-12-08", period="上午", hours="09:00-12:00", unit="台城街道")
    # Today's texts, word for word (zh, the center's default, with the product name as signature).
    assert t.compose(db.session, "accepted", values) == (
        "【帮办代办服务管理系统】您的申请440781-2026-00007（低保申请）已受理，承诺时限为5个工作日。"
    )
    # Every kind in every language equals the catalog's message as the code sent it before.
    for code, kind in t.KINDS.items():
        for language in t.LANGUAGES:
            with force_locale(language):
                expected = _(kind.default._args[0], **values)
            assert t.render(db.session, code, language, values) == expected, (code, language)
    with force_locale("en"):
        assert t.default_text("resumed", "en") == (
            "The handling of your case {number} ({item}) has resumed; the new due date is {due}."
        )


def test_the_outbox_sends_an_edited_template_in_each_language(app, tree):
    settings.set_value(db.session, "sms.signature", "【台山市政务服务中心】")  # brackets dropped
    db.session.commit()
    assert settings.get("sms.signature") == "台山市政务服务中心"
    wording = {
        "zh": "{number}已受理，{days}个工作日内办结。",
        "zh_Hant": "{number}已受理，{days}個工作日內辦結。",
        "en": "{number} accepted: done within {days} working days.",
    }
    for language, text in wording.items():
        t.save(db.session, "accepted", language, text, None)
    db.session.commit()
    bodies = {}
    spec = factories.staff("spec_sms", "Specialist", tree.village_a1)
    for language in t.LANGUAGES:
        settings.set_value(db.session, "sms.language", language)
        db.session.commit()
        case = _accept(tree, spec)
        sms = [n for n in notifications(channel=NotificationChannel.SMS) if n.case_id == case.id]
        assert len(sms) == 1
        bodies[language] = sms[0].body
        expected = wording[language].format(number=case.number, days=4)
        assert sms[0].body == "【台山市政务服务中心】" + expected
    assert len(set(bodies.values())) == 3
    # A status label reads in the template's language.
    t.save(db.session, "status", "en", "{number}: {status}", None)
    values = {"number": "N1", "item": "", "status": CaseStatus.IN_PROGRESS.label}
    assert t.compose(db.session, "status", values, "en") == "【台山市政务服务中心】N1: In progress"


def test_the_appointment_sms_reads_the_admins_wording(app):
    """The SMS the day before an appointment is a template kind like the case messages."""
    kind = t.KINDS["appointment"]
    assert set(kind.placeholders) == {"number", "day", "period", "hours", "unit", "item"}
    with pytest.raises(t.TemplateError):
        t.check("appointment", "{number} {days}")  # a case placeholder is not an appointment's
    t.save(db.session, "appointment", "zh", "明天{period}请到{unit}办理{item}（{number}）", None)
    db.session.commit()
    values = {"number": "YY-1", "day": "2026-12-08", "period": "上午", "hours": "9-12"}
    values.update(unit="台城街道", item="低保申请")
    assert t.render(db.session, "appointment", "zh", values) == (
        "明天上午请到台城街道办理低保申请（YY-1）"
    )


def test_bad_wording_is_refused_in_chinese_and_nothing_is_stored(app, login):
    factories.staff("admin", "Admin", None)
    client = login(app.test_client(), "admin")
    client.get("/lang/zh")
    page = client.get("/smstemplates/edit/accepted/zh")
    assert page.status_code == 200
    assert "{number}" in page.text and "办件编号" in page.text
    cases = {
        "您的申请{numbr}已受理": "未知的占位符",
        "您的申请{number已受理": "大括号",
        "您的申请number}已受理": "大括号",
        "   ": "不能为空",
    }
    for text, reason in cases.items():
        answer = client.post("/smstemplates/edit/accepted/zh", data={"body": text})
        assert answer.status_code == 400, text
        assert reason in answer.text, (text, answer.text[-3000:])
        assert text.strip() in answer.text  # the form keeps what was typed
    # A placeholder of another kind is not one of this kind's.
    answer = client.post("/smstemplates/edit/in_progress/zh", data={"body": "{number} {days}"})
    assert answer.status_code == 400 and "{days}" in answer.text
    assert db.session.execute(sa.select(t.SmsTemplate)).first() is None

    for bad in ("台", "台山市政务服务中心台山市政务服务", "台山【市】中心", "(台山)中心"):
        answer = client.post("/smstemplates/signature", data={"signature": bad})
        assert answer.status_code == 400, bad
        assert "括号" in answer.text or "12" in answer.text, bad
    assert db.session.get(m.Setting, "sms.signature") is None
    assert client.get("/smstemplates/edit/nosuchkind/zh").status_code == 404
    assert client.get("/smstemplates/edit/accepted/fr").status_code == 404


def test_an_admin_edits_resets_and_every_change_is_audited(app, login):
    factories.staff("admin", "Admin", None)
    client = login(app.test_client(), "admin")
    client.get("/lang/zh")
    index = client.get("/smstemplates/")
    assert index.status_code == 200
    assert 'id="signature-unset"' in index.text  # no registered signature yet: a warning
    for code in t.KINDS:
        assert f'data-kind="{code}"' in index.text

    saved = client.post("/smstemplates/signature", data={"signature": "台山市政务服务中心"})
    assert saved.status_code == 302
    answer = client.post(
        "/smstemplates/edit/completed/zh", data={"body": "{number}已办结，请评价。"}
    )
    assert answer.status_code == 302
    page = client.get("/smstemplates/edit/completed/zh")
    assert "【台山市政务服务中心】440781-2026-00123已办结，请评价。" in page.text  # the preview
    assert "70" in page.text and "67" in page.text  # the rule of the count is on the screen
    assert client.post("/smstemplates/reset/completed/zh").status_code == 302
    assert db.session.execute(sa.select(t.SmsTemplate)).first() is None

    client.get("/lang/en")  # a user's language preference is not a knob: not audited
    db.session.expire_all()
    entries = db.session.execute(sa.select(m.AuditLog).order_by(m.AuditLog.id)).scalars().all()
    trail = [(e.table_name, e.action, e.username) for e in entries if e.table_name != "ab_user"]
    assert trail == [
        ("app_setting", "create", "admin"),
        ("sms_template", "create", "admin"),
        ("sms_template", "delete", "admin"),
    ]
    assert entries[-1].before["body"] == "{number}已办结，请评价。" or any(
        e.before and e.before.get("body") == "{number}已办结，请评价。" for e in entries
    )


def test_length_is_counted_in_sms_of_70_then_parts_of_67():
    assert [t.segments("字" * n) for n in (0, 1, 70, 71, 134, 135, 201, 202)] == [
        0, 1, 1, 2, 2, 3, 3, 4,
    ]  # fmt: skip
    assert t.units("😀") == 2  # beyond the BMP: two UCS-2 characters
    assert t.check("accepted", " {number}\r\n{days} ") == "{number}\n{days}"
    assert t.fill("{number}{number}{x}", {"number": "{item}"}) == "{item}{item}{x}"


def test_only_admins_reach_the_sms_templates(app, tree, login):
    factories.staff("mgr", "Manager", tree.city)
    client = login(app.test_client(), "mgr")
    assert client.get("/smstemplates/").status_code in (302, 403)
    assert client.get("/smstemplates/edit/accepted/zh").status_code in (302, 403)
    answer = client.post("/smstemplates/edit/accepted/zh", data={"body": "{number}"})
    assert answer.status_code in (302, 403)
    answer = client.post("/smstemplates/signature", data={"signature": "某某中心"})
    assert answer.status_code in (302, 403)
    assert db.session.execute(sa.select(t.SmsTemplate)).first() is None
    assert db.session.get(m.Setting, "sms.signature") is None
    assert "/smstemplates/" not in client.get("/").text  # no menu entry either
