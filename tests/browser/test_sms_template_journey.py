"""The Admin's SMS templates at 1280 px, in Debian's chromium: the registered signature, then a
wording typed with a live preview and its length in characters and SMS, a bad placeholder
refused in Chinese, the wording saved."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.reminders import sms_templates as t
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_admin_sets_the_signature_and_edits_a_template_with_a_live_preview(app, journey):
    factories.staff("admin", "Admin", None)
    j = journey("sms-templates")
    errors = []
    j.page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    j.login("admin", factories.PASSWORD)
    j.go("/smstemplates/")
    j.see("短信模板", "报备的短信签名", "申请已受理")
    j.page.fill("#signature", "【台山市政务服务中心】")
    j.page.click("#signature-form button[type=submit]")
    j.page.wait_for_load_state()
    j.see("短信签名已保存：【台山市政务服务中心】")
    j.shot("signature-saved")

    j.page.click("tr[data-kind='accepted'] a[data-language='zh']")
    j.page.wait_for_selector("#body")
    preview = j.page.locator("#sms-preview")
    assert preview.inner_text().startswith("【台山市政务服务中心】您的申请440781-2026-00123")
    j.page.fill("#body", "{number}已受理，{days}个工作日内办结。")
    expected = "【台山市政务服务中心】440781-2026-00123已受理，5个工作日内办结。"
    assert preview.inner_text() == expected
    assert j.page.inner_text("#sms-chars") == str(len(expected))
    assert j.page.inner_text("#sms-segments") == "1"
    j.page.fill("#body", "{number}" + "很长的短信内容" * 10)  # 11 + 17 + 70 characters
    assert j.page.inner_text("#sms-segments") == "2"
    j.shot("long-preview")

    j.page.fill("#body", "您的申请{numbr}已受理")
    j.page.click("#template-form button[type=submit]")
    j.page.wait_for_selector("#template-error")
    j.see("未知的占位符{numbr}")
    j.shot("unknown-placeholder")
    j.page.fill("#body", "{number}已受理，{days}个工作日内办结。")
    j.page.click("#template-form button[type=submit]")
    j.page.wait_for_load_state()
    j.see("已保存")
    db.session.expire_all()
    assert t.text_of(db.session, "accepted", "zh") == "{number}已受理，{days}个工作日内办结。"
    # The refused wording's 400 is logged by the browser as a failed load; nothing else (no
    # script error, no CSP violation).
    assert [e for e in errors if "status of 400" not in e] == []
