"""Uploaded files (signed receipts, scans): type checked by content, size limited, kept in the
shared file store (app/filestore.py) under a generated name, served only through the scoped
attachment view. Files kept in UPLOAD_FOLDER by earlier versions are still served from there."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from app import filestore
from app import models as m
from app.domain import clock
from app.domain.errors import ValidationFailed
from app.enums import AttachmentKind

# Accepted types, recognised by their first bytes (the name and the browser's claim are ignored).
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
DEFAULT_LIMIT = 10 * 1024 * 1024
# A file shown inside the case page (image, or PDF in the browser's own viewer, in a frame of
# this app): nothing in it may run or load from elsewhere; only this app may frame it.
INLINE_CSP = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)
PREFIX = "attachments/"


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, content_type, ext in SIGNATURES:
        if head.startswith(magic):
            return content_type, ext
    return None


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def safe_display_name(name: str) -> str:
    """The original name as shown to people: no directories, no control characters."""
    base = os.path.basename((name or "").replace("\\", "/"))
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '/\\:*?"<>|')
    return cleaned[:200] or "file"


def store(
    session,
    file_storage,
    case: m.Case,
    actor,
    field: str = "receipt",
    *,
    kind: AttachmentKind = AttachmentKind.HANDOVER_RECEIPT,
    note: str = "",
) -> m.Attachment:
    """Check and keep one uploaded file for ``case``; raises ValidationFailed naming ``field``."""
    if file_storage is None or not getattr(file_storage, "filename", None):
        raise ValidationFailed({field: _l("Choose a file (PDF, PNG or JPEG).")})
    limit = current_app.config.get("MAX_UPLOAD_BYTES", DEFAULT_LIMIT)
    data = file_storage.stream.read(limit + 1)
    if not data:
        raise ValidationFailed({field: _l("The file is empty.")})
    if len(data) > limit:
        raise ValidationFailed(
            {field: _l("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024))}
        )
    sniffed = sniff(data[:16])
    if sniffed is None:
        raise ValidationFailed({field: _l("Only PDF, PNG and JPEG files are accepted.")})
    content_type, ext = sniffed
    stored = uuid.uuid4().hex + ext
    filestore.put(PREFIX + stored, data, content_type, session=session)
    attachment = m.Attachment(
        case=case,
        kind=kind,
        note=(note or "").strip(),
        stored_name=stored,
        original_name=safe_display_name(file_storage.filename),
        content_type=content_type,
        size=len(data),
        uploaded_at=clock.now(),
        uploaded_by_id=getattr(actor, "id", None),
    )
    session.add(attachment)
    return attachment


def read(attachment: m.Attachment) -> bytes | None:
    """The attachment's content: from the file store, else from an earlier version's folder."""
    name = attachment.stored_name
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    data = filestore.get(PREFIX + name)
    if data is None:
        legacy = path_of(attachment)
        if legacy.is_file():
            data = legacy.read_bytes()
    return data


def path_of(attachment: m.Attachment) -> Path:
    """Where an earlier version kept the file (before the shared file store); the name is
    ours (hex + extension), never a path from a request."""
    name = attachment.stored_name
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise FileNotFoundError(name)
    return upload_dir() / name
