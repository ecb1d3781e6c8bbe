"""归档: a closed case archived as one case file (案卷): the step through the domain, the PDF
(every printed form, the timeline, the signed papers: read back with pypdf), the 案卷号, the
checksum, the retention period and its disposal review flag, and the case read-only afterwards."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfgen import canvas
from werkzeug.datastructures import FileStorage

from app import filestore, settings, uploads
from app import models as m
from app.archive import bundle, demo
from app.domain import archiving, attachments, clock, lifecycle
from app.domain.errors import IllegalTransition
from app.domain.status import CaseStatus as S
from app.enums import AttachmentKind, EventKind, ServiceKind
from app.extensions import db
from tests import factories


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def pdf_bytes(pages: int) -> bytes:
    out = io.BytesIO()
    sheet = canvas.Canvas(out)
    for page in range(pages):
        sheet.drawString(72, 720, f"signed paper page {page + 1}")
        sheet.showPage()
    sheet.save()
    return out.getvalue()


class World:
    def __init__(self, tree):
        self.tree = tree
        self.spec = factories.staff("spec_a1", "Specialist", tree.village_a1)
        self.actor = self.spec.user

    def case(self, **kw) -> m.Case:
        return factories.case(self.tree.village_a1, self.spec, **kw)

    def running(self, case):
        lifecycle.confirm(
            db.session,
            case,
            self.actor,
            process_explained=True,
            applicant_signed=True,
            received_material_ids=[mat.id for mat in case.item.materials],
        )
        lifecycle.submit(db.session, case, self.actor)

    def complete(self, case):
        lifecycle.complete(
            db.session,
            case,
            self.actor,
            results="不动产权证书一份",
            materials_returned="身份证原件",
            signed_by="陈大文",
        )

    def attach(self, case, data: bytes, name: str, kind=AttachmentKind.APPLICATION):
        upload = FileStorage(io.BytesIO(data), filename=name)
        row = uploads.store(db.session, upload, case, self.actor, "file", kind=kind)
        attachments.attach(db.session, case, self.actor, row)
        return row

    def archive(self, case, note=""):
        record = archiving.archive(
            db.session, case, self.actor, bundle=bundle.maker(db.session, case), note=note
        )
        db.session.commit()
        return record


def _text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() or "" for page in reader.pages)


def test_a_completed_case_becomes_one_bundle_with_forms_timeline_and_papers(app, tree):
    w = World(tree)
    elderly = factories.applicant(tree.village_a1, birth=dt.date(1948, 3, 1))
    case = w.case(kind=ServiceKind.PROXY, app_=elderly)
    w.running(case)
    lifecycle.extend(
        db.session, case, w.actor, extra_days=2, reason="需现场核查", explained_to_applicant=True
    )
    w.attach(case, png_bytes(), "委托书签字.png")
    w.attach(case, pdf_bytes(2), "回执.pdf", kind=AttachmentKind.HANDOVER_RECEIPT)
    wrong = w.attach(case, png_bytes(), "传错的.png", kind=AttachmentKind.OTHER)
    attachments.void_attachment(db.session, case, w.actor, attachment=wrong, reason="传错了")
    w.complete(case)
    db.session.commit()

    record = w.archive(case, note="材料齐全")

    year = clock.local_date(record.archived_at).year
    assert record.number == f"AJ{year}-00001"
    data = filestore.get(record.file_name)
    assert data is not None and data.startswith(b"%PDF-")
    assert record.checksum == hashlib.sha256(data).hexdigest()
    assert record.size == len(data)
    pages, text = _text(data)
    # forms: application + entrustment (代办) + extension notice + handover receipt; the
    # timeline; the image (one page) and the two-page PDF; the voided file is left out
    assert pages == 4 + 1 + 1 + 2 == record.pages
    for words in ("帮办代办申请表", "委托书", "延期告知书", "办结单", "办理过程", "需现场核查"):
        assert words in text, words
    assert "不动产权证书一份" in text and "陈大文" in text
    assert record.number in text and case.number in text
    assert "signed paper page 2" in text
    assert "传错的.png" not in text.split("办理过程")[0]  # not among the forms
    assert "委托书签字.png" in text  # the image page's caption
    assert case.applicant.id_number not in text  # masked: no unaudited reveal
    assert record.retention_years == 30
    assert record.retain_until == clock.local_date(record.archived_at).replace(year=year + 30)
    assert record.archived_by_id == w.actor.id
    kinds = db.session.execute(
        sa.select(m.CaseEvent.kind).where(m.CaseEvent.case_id == case.id).order_by(m.CaseEvent.id)
    ).scalars()
    assert list(kinds)[-1] == EventKind.ARCHIVED


def test_a_terminated_case_is_archived_with_its_termination_form(app, tree):
    w = World(tree)
    case = w.case()
    w.running(case)
    from app.enums import TerminationReason

    lifecycle.terminate(
        db.session,
        case,
        w.actor,
        reason_type=list(TerminationReason)[0],
        reason="申请人撤回申请",
        materials_returned="",
        applicant_signed=True,
        specialist_signed=True,
    )
    db.session.commit()
    record = w.archive(case)
    pages, text = _text(filestore.get(record.file_name))
    assert pages == 2 + 1  # application form, termination confirmation; the timeline
    assert "终止委托确认单" in text and "申请人撤回申请" in text
    assert "委托书" not in text.replace("终止委托确认单", "")  # 帮办: no letter of entrustment


def test_an_unreadable_paper_still_gets_its_page(app, tree):
    w = World(tree)
    case = w.case()
    w.running(case)
    broken = w.attach(case, b"%PDF-1.4 broken", "坏文件.pdf")
    w.complete(case)
    db.session.commit()
    filestore.delete(uploads.PREFIX + broken.stored_name)
    db.session.commit()
    record = w.archive(case)
    pages, text = _text(filestore.get(record.file_name))
    assert pages == 2 + 1 + 1  # application, handover; timeline; the notice page
    assert "坏文件.pdf" in text


def test_only_a_closed_case_is_archived_and_only_once(app, tree):
    w = World(tree)
    case = w.case()
    w.running(case)
    db.session.commit()
    with pytest.raises(IllegalTransition):
        w.archive(case)
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count(m.CaseArchive.id))).scalar_one() == 0
    assert db.session.execute(sa.select(m.ArchiveCounter)).first() is None  # no number used
    w.complete(case)
    db.session.commit()
    first = w.archive(case)
    with pytest.raises(IllegalTransition) as refused:
        w.archive(case)
    assert first.number in str(refused.value)
    db.session.rollback()
    other = w.case()
    w.running(other)
    w.complete(other)
    db.session.commit()
    second = w.archive(other)
    assert second.number.endswith("-00002")


def test_an_archived_case_is_read_only_but_for_the_return_visit(app, tree):
    w = World(tree)
    case = w.case()
    w.running(case)
    w.complete(case)
    db.session.commit()
    w.archive(case)
    assert lifecycle.allowed_steps(case) == ["return_visit"]
    from app.enums import ContactChannel, Rating

    with pytest.raises(IllegalTransition) as refused:
        lifecycle.evaluate(db.session, case, w.actor, rating=Rating("5"), channel=None)
    assert "归档" in str(refused.value) or "archived" in str(refused.value)
    with pytest.raises(IllegalTransition):
        w.attach(case, png_bytes(), "late.png")
    db.session.rollback()
    manager = factories.staff("mgr_a", "Manager", tree.town_a)
    with pytest.raises(IllegalTransition):
        lifecycle.void(db.session, case, manager.user, reason="录入错误")
    db.session.rollback()
    lifecycle.plan_return_visit(
        db.session,
        case,
        w.actor,
        planned_on=clock.today(),
        done_on=clock.today(),
        channel=ContactChannel("phone"),
        notes="满意",
    )
    db.session.commit()
    assert db.session.get(m.Case, case.id).status == S.COMPLETED


def test_retention_setting_and_disposal_review_flag(app, tree):
    w = World(tree)
    settings.set_value(db.session, "archive.retention_years", 10)
    db.session.commit()
    case = w.case()
    w.running(case)
    w.complete(case)
    db.session.commit()
    record = w.archive(case)
    archived_on = clock.local_date(record.archived_at)
    assert record.retention_years == 10
    assert record.retain_until == archived_on.replace(year=archived_on.year + 10)
    assert archiving.flag_due_for_disposal(db.session, record.retain_until) == 0
    later = record.retain_until + dt.timedelta(days=1)
    assert archiving.flag_due_for_disposal(db.session, later) == 1
    assert archiving.flag_due_for_disposal(db.session, later) == 0  # once
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(m.CaseArchive, record.id)
    assert kept.disposal_due_at is not None
    assert filestore.get(kept.file_name) is not None  # flagged, never deleted


def test_retain_until_on_29_february():
    assert archiving.retain_until(dt.date(2028, 2, 29), 30) == dt.date(2058, 2, 28)
    assert archiving.retain_until(dt.date(2026, 12, 5), 30) == dt.date(2056, 12, 5)


def _page_text(html: str) -> str:
    import html as htmllib
    import re

    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S)
    return re.sub(r"\s+", "", htmllib.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_the_archived_forms_say_what_the_print_pages_say(app, tree, login):
    """The case file's forms and the print pages read the same record with the same words: every
    title, label and value of an archived form is on its print page (masked identity fields and
    tick boxes aside), so the two cannot drift apart unnoticed."""
    from app.archive import documents
    from app.domain import visits
    from app.enums import CaseChannel, SuspensionReason

    w = World(tree)
    elderly = factories.applicant(tree.village_a1, birth=dt.date(1948, 3, 1))
    case = w.case(kind=ServiceKind.PROXY, app_=elderly, channel=CaseChannel.HOME_VISIT)
    materials = case.item.materials
    visit = visits.plan(
        db.session,
        case,
        w.actor,
        planned_at=clock.now() - dt.timedelta(hours=3),
        address="大江镇公益村1号",
        staff=[w.spec],
    )
    visits.record(
        db.session,
        case,
        w.actor,
        visit=visit,
        done_at=clock.now() - dt.timedelta(hours=1),
        outcome="已上门签署委托书",
    )
    lifecycle.confirm(
        db.session,
        case,
        w.actor,
        process_explained=True,
        applicant_signed=True,
        received_material_ids=[materials[0].id],
    )
    notice = lifecycle.notify_missing(
        db.session, case, w.actor, deadline=clock.today() + dt.timedelta(days=5)
    )
    lifecycle.supplement(db.session, case, w.actor, material_ids=[m_.id for m_ in materials[1:]])
    lifecycle.submit(db.session, case, w.actor)
    extension = lifecycle.extend(
        db.session, case, w.actor, extra_days=2, reason="需现场核查", explained_to_applicant=True
    )
    suspension = lifecycle.suspend(
        db.session, case, w.actor, reason_type=SuspensionReason.OTHER, reason="等待公证"
    )
    lifecycle.resume(db.session, case, w.actor, renewal_signed=True, signed_by="陈大文")
    w.complete(case)
    db.session.commit()
    pages = {
        "application": f"/print/case/{case.id}/application",
        "entrustment": f"/print/case/{case.id}/application",
        "home_visit": f"/print/home_visit/{visit.id}",
        "notice": f"/print/notice/{notice.id}",
        "extension": f"/print/extension/{extension.id}",
        "suspension": f"/print/suspension/{suspension.id}",
        "renewal": f"/print/renewal/{suspension.id}",
        "handover": f"/print/handover/{case.id}",
    }
    client = login(app.test_client(), "spec_a1")
    forms = documents.case_documents(case)
    assert [d.kind for d in forms] == list(pages)
    masked = {"居民身份证号码", "手机号码", "移动电话"}
    for document in forms:
        answer = client.get(pages[document.kind])
        assert answer.status_code == 200, document.kind
        text = _page_text(answer.text)
        assert re.sub(r"\s+", "", document.title) in text, document.kind
        for label, value in document.rows:
            assert re.sub(r"\s+", "", label) in text, (document.kind, label)
            if label in masked or value[:1] in ("√", "□") or not value:
                continue
            assert re.sub(r"\s+", "", value) in text, (document.kind, label, value)
        for line in document.table[1:]:
            for cell in line:
                assert re.sub(r"\s+", "", cell) in text, (document.kind, cell)
    record = w.archive(case)
    count, text = _text(filestore.get(record.file_name))
    assert count == record.pages >= len(forms) + 1
    for document in forms:
        assert document.title in text, document.kind


def test_the_demo_s_case_files_are_made_on_both_backends(any_app):
    """The demo seed archives closed cases a week after they ended: on SQLite the stored end
    comes back naive (UTC) and must still compare with the domain clock (`make run`)."""
    w = World(factories.unit_tree())
    case = w.case()
    w.running(case)
    w.complete(case)
    db.session.commit()

    assert demo.seed(db.session) == 1
    assert demo.seed(db.session) == 0  # once only
    record = db.session.execute(sa.select(m.CaseArchive)).scalar_one()
    assert record.case_id == case.id and record.pages >= 3
