"""The demo catalogue as data files, loaded through the operators' import.

``units.csv``, ``departments.csv``, ``items.csv`` with ``materials.csv``, and ``staff.csv`` hold
one column per column of the import template (app/imports/specs.py; the header row names the
columns by their keys, which the import reads as well as the labels). ``load_catalogue`` turns
each kind's files into a workbook and takes it through the same steps as an upload an Admin
makes on the import screen: the file check, the reader, every row rule and the writer
(app/imports), synchronously and without a job. A row the import refuses stops the seed with the
import's own messages, so the demo data can never drift from what an operator may load.

``problem_categories.csv`` has no import of its own (categories are edited on their screen) and
is upserted by code here.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from openpyxl import Workbook
from sqlalchemy.orm import Session

from app import models as m
from app.imports import cells, files
from app.imports.apply import Context, apply
from app.imports.specs import KINDS, Kind
from app.imports.validate import Parsed, read_workbook, validate
from app.roles import ROLE_RANK
from app.scope import Scope

DATA = Path(__file__).resolve().parent
ORDER = ("units", "departments", "items", "staff")  # what each kind's rows refer to comes first


class DemoDataRefused(RuntimeError):
    """The import refused a demo data file; the message lists every problem it found."""


def rows_of(sheet_key: str) -> list[dict[str, str]]:
    """The data rows of ``<sheet_key>.csv`` as dicts keyed by column key (empty if no file)."""
    path = DATA / f"{sheet_key}.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def workbook_bytes(kind: Kind) -> bytes:
    """The kind's data files as one .xlsx, a sheet per file named by its sheet key."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in kind.sheets:
        path = DATA / f"{sheet.key}.csv"
        if not path.exists():
            continue
        ws = wb.create_sheet(sheet.key)
        with path.open(encoding="utf-8", newline="") as fh:
            for values in csv.reader(fh):
                ws.append([value if value != "" else None for value in values])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _problems(parsed: Parsed) -> list[str]:
    with force_locale("en"):
        found = [cells.render_problem(p) for p in parsed.file_problems]
        for row in parsed.refused:
            for p in row.problems:
                found.append(f"{row.sheet}.csv row {row.number} {p['column']}: ")
                found[-1] += cells.render_problem(p)
    return found


def import_kind(session: Session, key: str) -> Parsed:
    """Import the demo file(s) of one kind as an Admin would; refuse the whole seed on any
    problem. Returns the parsed rows, each with its outcome (created, updated, unchanged)."""
    kind = KINDS[key]
    data = workbook_bytes(kind)
    files.check_xlsx(data)
    parsed = read_workbook(io.BytesIO(data), kind)
    parsed.actor_rank = ROLE_RANK["Admin"]
    # The Admin's "update existing accounts" choice: a demo account keeps (or gets back) the
    # role the file gives it, as the README's log-ins promise; its password is the file's when
    # the account is made, and stays whatever its user changed it to on every later seed.
    parsed.update_accounts = True
    _keep_existing_passwords(session, parsed)
    scope = Scope(everything=True)
    validate(session, parsed, scope)
    problems = _problems(parsed)
    if problems:
        raise DemoDataRefused(f"demo {key}: " + "; ".join(problems[:20]))
    apply(Context(session, scope, f"demo {key}", update_accounts=True), parsed)
    return parsed


def _keep_existing_passwords(session: Session, parsed: Parsed) -> None:
    """Staff rows of accounts that exist already give no password (an import leaves the
    password of a row without one alone): a second ``make run`` keeps the passwords users set."""
    rows = parsed.rows.get("staff", [])
    names = [cells.as_text(row.raw.get("username")) for row in rows]
    user_model = current_app.appbuilder.sm.user_model
    existing = set(
        session.execute(
            sa.select(user_model.username).where(user_model.username.in_(names))
        ).scalars()
    )
    for row, name in zip(rows, names, strict=True):
        if name in existing:
            row.raw["password"] = None


def load_catalogue(session: Session) -> dict[str, int]:
    """Units, departments, service items with materials, staff accounts and problem categories
    from the data files; returns the rows read per sheet. Running it again changes nothing."""
    counts: dict[str, int] = {}
    for key in ORDER:
        parsed = import_kind(session, key)
        counts.update({sheet: len(rows) for sheet, rows in parsed.rows.items()})
    categories = rows_of("problem_categories")
    existing = {c.code: c for c in session.execute(sa.select(m.ProblemCategory)).scalars()}
    for row in categories:
        category = existing.get(row["code"])
        if category is None:
            session.add(m.ProblemCategory(code=row["code"], name=row["name"]))
        else:
            category.name = row["name"]
    session.flush()
    counts["problem_categories"] = len(categories)
    return counts
