"""Uploaded workbooks: checked by content, kept under a generated name in instance/imports/.

The folder is outside the web root (nothing serves it by name); the worker finds a file by the
generated name recorded on the job, so web and worker hosts must share the instance folder.
"""

from __future__ import annotations

import os
import uuid
import zipfile
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.domain.errors import ValidationFailed

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_UNPACKED = 300 * 1024 * 1024  # a zip bomb is refused before openpyxl opens it
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def folder() -> Path:
    path = Path(current_app.config["INSTANCE_DIR"]) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(stored_name: str) -> Path:
    """The path of a stored file; refuses anything but a bare generated name."""
    if not stored_name or Path(stored_name).name != stored_name or stored_name.startswith("."):
        raise ValueError("bad stored name")
    return folder() / stored_name


def check_xlsx(data: bytes) -> None:
    """Refuse anything that is not an .xlsx by its content: a zip holding [Content_Types].xml
    and a workbook part, not too large once unpacked."""
    limit = current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
    if len(data) > limit:
        raise ValidationFailed(
            {"file": _l("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024))}
        )
    if not data.startswith(b"PK\x03\x04"):
        raise ValidationFailed({"file": _l("The file is not an .xlsx workbook.")})
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ValidationFailed({"file": _l("The file is not an .xlsx workbook.")}) from None
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise ValidationFailed({"file": _l("The file is not an .xlsx workbook.")})
    if unpacked > current_app.config.get("IMPORT_MAX_UNPACKED_BYTES", DEFAULT_MAX_UNPACKED):
        raise ValidationFailed({"file": _l("The workbook is too large once unpacked.")})


def store(data: bytes) -> str:
    """Write an accepted upload under a new random name; returns that name."""
    name = f"{uuid.uuid4().hex}.xlsx"
    target = path_of(name)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return name


def count_rows(stored_name: str) -> int | None:
    """Rows in the workbook's sheets by their recorded dimensions (cheap), None if unknown."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path_of(stored_name), read_only=True)
    except Exception:
        return None
    try:
        total = 0
        for ws in workbook.worksheets:
            if ws.max_row is None:
                return None
            total += ws.max_row
        return total
    finally:
        workbook.close()


def report_path(stored_name: str) -> Path:
    """Where the per-row results of an import are kept (JSON, next to the upload)."""
    return path_of(stored_name).with_suffix(".results.json")
