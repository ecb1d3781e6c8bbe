"""Make a case's bundle (案卷 PDF) and keep it in the file store.

``maker(session, case)`` is what the archive step hands the domain (``archiving.archive``): the
domain claims the 案卷号 and calls it with the number; it renders the PDF in the center's
language (zh: the official record reads the same whoever archived it and from whichever
screen), stores it under ``archives/<number>-<random>.pdf`` in the caller's transaction (a
refused or failed step leaves no file, in the database or S3 alike: app/filestore.py) and
returns the stored name, SHA-256 checksum, size and page count.
"""

from __future__ import annotations

import hashlib
import uuid

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app import filestore, uploads
from app import models as m
from app.archive import documents, pdf
from app.domain.archiving import Bundle
from app.printing import cn_datetime, staff_name

PREFIX = "archives/"
LANGUAGE = "zh"


def timeline_rows(session: Session, case: m.Case) -> list[list[str]]:
    """The timeline as the case page shows it: time, kind, by, status change, note."""
    rows = [[_("Time"), _("Kind"), _("By"), _("Status"), _("Note")]]
    events = session.execute(
        sa.select(m.CaseEvent)
        .where(m.CaseEvent.case_id == case.id)
        .order_by(m.CaseEvent.at, m.CaseEvent.id)
    ).scalars()
    for event in events:
        status = ""
        if event.to_status is not None:
            before = str(event.from_status.label) if event.from_status else ""
            status = f"{before} → {event.to_status.label}"
        note = event.note or ""
        if event.kind.value in ("attachment", "attachment_voided"):
            note = f"{(event.data or {}).get('name', '')} {note}".strip()
        if event.channel is not None:
            note += f" ({event.channel.label})"
        rows.append(
            [
                cn_datetime(event.at),
                str(event.kind.label),
                staff_name(event.actor_id),
                status,
                note,
            ]
        )
    return rows


def papers(session: Session, case: m.Case) -> list[pdf.Attached]:
    """The attachments not voided, in the order filed, read through the file store."""
    rows = session.execute(
        sa.select(m.Attachment)
        .where(m.Attachment.case_id == case.id, m.Attachment.voided_at.is_(None))
        .order_by(m.Attachment.uploaded_at, m.Attachment.id)
    ).scalars()
    return [
        pdf.Attached(
            f"{_('Attachment')}：{row.kind.label} · {row.original_name}",
            row.content_type,
            uploads.read(row),
        )
        for row in rows
    ]


def render(session: Session, case: m.Case, number: str) -> pdf.Made:
    """The bundle's PDF for ``case`` under case file number ``number`` (not stored)."""
    with force_locale(LANGUAGE):
        header = pdf.Header(case.number, number, case.handling_unit.name)
        return pdf.assemble(
            documents.case_documents(case),
            _("Case timeline"),
            timeline_rows(session, case),
            papers(session, case),
            header,
        )


def maker(session: Session, case: m.Case):
    """The bundle maker the domain step calls with the new case file number."""

    def make(number: str) -> Bundle:
        made = render(session, case, number)
        name = f"{PREFIX}{number}-{uuid.uuid4().hex[:12]}.pdf"
        filestore.put(name, made.data, "application/pdf", session=session)
        return Bundle(
            file_name=name,
            checksum=hashlib.sha256(made.data).hexdigest(),
            size=len(made.data),
            pages=made.pages,
        )

    return make


def read(record: m.CaseArchive) -> bytes | None:
    """The stored bundle of ``record`` (None if the store lost it)."""
    return filestore.get(record.file_name)


def intact(record: m.CaseArchive, data: bytes | None) -> bool:
    """Whether ``data`` is the bundle as archived (same SHA-256)."""
    return data is not None and hashlib.sha256(data).hexdigest() == record.checksum
