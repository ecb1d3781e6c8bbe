"""Screens show names, not codes nor Python objects: records of a case, notification kinds,
lists of departments, refused deletes and the settings page."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from app import models as m
from app import settings
from app.domain import clock, lifecycle
from app.enums import NotificationChannel
from app.extensions import db
from app.reminders.kinds import KINDS
from app.reminders.labels import KIND_LABELS
from tests import factories
from tests.test_followup import poor_rating

RAW = re.compile(r"&lt;app\.models|<app\.models| object at 0x|\[&lt;|\[<")


def test_the_rectification_list_names_the_evaluation(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    rect = poor_rating(tree, spec)
    client = login(app.test_client(), "spec")
    for path in ("/rectificationview/list/", f"/rectificationview/show/{rect.id}"):
        page = client.get(path)
        assert page.status_code == 200
        assert not RAW.search(page.text), path
        assert rect.evaluation.case.number in page.text
        assert "非常不满意" in page.text  # the rating, in the user's language


def test_a_joint_reviews_departments_read_as_names(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, spec, item=factories.service_item(parallel=True))
    lifecycle.confirm(db.session, case, spec.user, process_explained=True, applicant_signed=True)
    review = lifecycle.schedule_joint_review(
        db.session,
        case,
        spec.user,
        lead_unit=tree.town_a,
        scheduled_at=clock.now() + dt.timedelta(days=1),
        departments=list(case.item.parallel_departments),
    )
    db.session.commit()
    client = login(app.test_client(), "spec")
    page = client.get(f"/jointreviewview/show/{review.id}")
    names = [d.name for d in case.item.parallel_departments]
    assert "、".join(names) in page.text
    assert not RAW.search(page.text)


def test_every_notification_kind_has_a_label_and_lists_show_it(app, tree, login):
    literal_kinds = {"status_sms", "calendar_coverage", "summary_ready", "import_done"}
    assert set(KINDS) | literal_kinds <= set(KIND_LABELS)
    spec = factories.staff("spec", "Specialist", tree.town_a)
    db.session.add(
        m.Notification(
            dedup_key="k1",
            channel=NotificationChannel.APP,
            kind="progress_due",
            recipient_id=spec.user.id,
            subject="请反馈进度",
        )
    )
    db.session.commit()
    client = login(app.test_client(), "spec")
    page = client.get("/notificationview/list/")
    assert page.status_code == 200
    assert "progress_due" not in page.text
    assert "待反馈办理进度" in page.text


def test_refusing_to_delete_a_staff_member_with_cases_says_why(app, tree, login):
    leaving = factories.staff("leaving", "Specialist", tree.town_a)
    factories.staff("admin", "Admin", None)
    factories.case(tree.town_a, leaving)
    client = login(app.test_client(), "admin")
    page = client.post(f"/specialistview/delete/{leaving.id}", follow_redirects=True)
    alerts = re.findall(r'<div class="alert[^"]*">(.*?)</div>', page.text, re.S)
    texts = [re.sub(r"<[^>]+>|&times;", "", a).strip() for a in alerts]
    assert texts and all(texts), alerts
    assert any("停用" in t for t in texts), texts
    assert db.session.get(m.Specialist, leaving.id) is not None


def test_the_settings_page_lists_every_knob_and_refuses_bad_values(app, tree, login):
    factories.staff("admin", "Admin", None)
    client = login(app.test_client(), "admin")
    page = client.get("/settingview/list/")
    assert page.status_code == 200
    for key in settings.DEFAULTS:
        assert f'data-key="{key}"' in page.text
    assert "未联系申请人提醒天数：市" in page.text

    key = "reminders.catch_up_days"
    for bad in ("abc", "-3", "1.5", "零"):
        r = client.post(f"/settingview/set/{key}", data={"value": bad})
        assert r.status_code == 422, bad
        assert "整数" in r.text or "至少" in r.text, bad
    assert db.session.get(m.Setting, key) is None
    bad_hour = client.post("/settingview/set/sms.quiet_start_hour", data={"value": "24"})
    assert bad_hour.status_code == 422
    bad_day = client.post("/settingview/set/calendar.warn_from", data={"value": "13-45"})
    assert bad_day.status_code == 422
    assert client.post("/settingview/set/no.such.key", data={"value": "1"}).status_code == 404

    assert client.post(f"/settingview/set/{key}", data={"value": " 12 "}).status_code == 302
    db.session.expire_all()
    assert settings.get(key) == 12
    assert client.post(f"/settingview/set/{key}", data={"value": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(m.Setting, key) is None

    # FAB's own add form checks the same way.
    client.post("/settingview/add", data={"key": key, "value": "abc"})
    assert db.session.execute(sa.select(m.Setting)).first() is None


def test_selected_notifications_are_marked_read_together(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    other = factories.staff("other", "Specialist", tree.town_a)
    rows = []
    for i, user in enumerate([spec, spec, spec, other]):
        row = m.Notification(
            dedup_key=f"sel{i}",
            channel=NotificationChannel.APP,
            kind="due_soon",
            recipient_id=user.user.id,
            subject=f"通知{i}",
        )
        db.session.add(row)
        rows.append(row)
    db.session.commit()
    client = login(app.test_client(), "spec")
    page = client.get("/notifications/")
    assert 'form="mark-selected"' in page.text
    r = client.post(
        "/notifications/read-selected",
        data={"ids": [rows[0].id, rows[1].id, rows[3].id, "x", "99999999999"]},
    )
    assert r.status_code == 302
    db.session.expire_all()
    read = [db.session.get(m.Notification, row.id).read_at is not None for row in rows]
    assert read == [True, True, False, False]  # another user's stays unread
