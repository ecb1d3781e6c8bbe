"""Uploaded workbooks: checked by content, kept in the shared file store under a generated name.

The upload request only checks the archive (its parts and their unpacked sizes, read from the
zip directory: no part is unpacked) and stores it; the worker parses it. Every host reads the
same file through app/filestore.py (the database), so web and worker hosts share nothing on disk.
"""

from __future__ import annotations

import io
import uuid
import zipfile

from flask import current_app
from flask_babel import lazy_gettext as _l

from app import filestore
from app.domain.errors import ValidationFailed

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_UNPACKED = 300 * 1024 * 1024  # a zip bomb is refused before openpyxl opens it
# Per part, unpacked: openpyxl reads the shared strings (and styles) fully into memory.
DEFAULT_PART_LIMITS = {
    "xl/sharedStrings.xml": 16 * 1024 * 1024,
    "worksheet": 128 * 1024 * 1024,  # each xl/worksheets/*.xml (read as a stream)
    "other": 8 * 1024 * 1024,  # styles, workbook, relations, anything else
}
DEFAULT_MAX_PARTS = 500
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREFIX = "imports/"


def _not_xlsx() -> ValidationFailed:
    return ValidationFailed({"file": _l("The file is not an .xlsx workbook.")})


def _part_limit(name: str, limits: dict[str, int]) -> int:
    if name in limits:
        return limits[name]
    if name.startswith("xl/worksheets/") and name.endswith(".xml"):
        return limits["worksheet"]
    return limits["other"]


def check_xlsx(data: bytes) -> None:
    """Refuse anything that is not an .xlsx by its content: a zip holding [Content_Types].xml
    and a workbook part, not too large once unpacked, in total and part by part."""
    config = current_app.config
    limit = config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
    if len(data) > limit:
        raise ValidationFailed(
            {"file": _l("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024))}
        )
    if not data.startswith(b"PK\x03\x04"):
        raise _not_xlsx()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise _not_xlsx() from None
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise _not_xlsx()
    if len(infos) > config.get("IMPORT_MAX_PARTS", DEFAULT_MAX_PARTS):
        raise ValidationFailed({"file": _l("The workbook is too large once unpacked.")})
    # zipfile never unpacks more than a part's declared size (it stops and fails the CRC), so the
    # declared sizes bound what openpyxl can be made to read.
    if sum(info.file_size for info in infos) > config.get(
        "IMPORT_MAX_UNPACKED_BYTES", DEFAULT_MAX_UNPACKED
    ):
        raise ValidationFailed({"file": _l("The workbook is too large once unpacked.")})
    limits = {**DEFAULT_PART_LIMITS, **config.get("IMPORT_PART_LIMITS", {})}
    for info in infos:
        if info.file_size > _part_limit(info.filename, limits):
            raise ValidationFailed(
                {
                    "file": _l(
                        "The workbook's part %(part)s is too large once unpacked.",
                        part=info.filename[:100],
                    )
                }
            )


def check_name(stored_name: str) -> str:
    """``stored_name`` if it is an upload's generated name, else ValueError."""
    if not stored_name or not stored_name.startswith(PREFIX):
        raise ValueError("bad stored name")
    return filestore.check_name(stored_name)


def store(data: bytes, session=None) -> str:
    """Keep an accepted upload under a new random name (the caller commits); returns the name."""
    name = f"{PREFIX}{uuid.uuid4().hex}.xlsx"
    filestore.put(name, data, XLSX_MIME, session=session)
    return name


def read(stored_name: str, session=None) -> bytes | None:
    """The upload's bytes, None if it was deleted."""
    return filestore.get(check_name(stored_name), session=session)


def report_name(stored_name: str) -> str:
    """Where the per-row results of an import are kept (JSON, beside the upload)."""
    base = check_name(stored_name).rsplit(".", 1)[0]
    return f"{base}.results.json"


def is_ours(stored_name: str | None) -> bool:
    """Whether a job's file name is one of the file store's (an earlier version's bare name,
    whose file lived on one host and is gone after a week anyway, is not)."""
    try:
        check_name(stored_name or "")
    except ValueError:
        return False
    return True
