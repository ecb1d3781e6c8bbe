"""Reading an uploaded workbook and validating every row before anything is written.

``read_workbook`` finds the kind's data sheets and maps their headers (in any of the app's
languages) to column keys; ``validate`` turns each cell into a typed value, then applies the
kind's rules (app/imports/rules.py) against the file and the database, within the uploader's
scope. Every problem of every row is collected; nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from app.imports import cells
from app.imports.specs import BOOL, DATE, ENUM, INT, LIST, Column, Kind, Sheet
from app.scope import Scope

DEFAULT_MAX_ROWS = 100_000
# The columns that identify a row's record, per sheet: a re-import updates by them.
KEYS = {
    "units": ("code",),
    "departments": ("code",),
    "staff": ("username",),
    "items": ("code",),
    "materials": ("item_code", "name"),
    "holidays": ("day",),
}


@dataclass
class Row:
    """One data row of one sheet: what was read, what it means, what is wrong with it."""

    sheet: str
    number: int  # the row number in Excel (the header is row 1)
    raw: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[dict] = field(default_factory=list)
    outcome: str = ""  # created | updated | unchanged | refused (set by apply)
    note: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def refuse(self, column: str, message) -> None:
        self.problems.append(cells.problem(column, message))

    @property
    def key(self) -> str:
        parts = [cells.as_text(self.values.get(k, self.raw.get(k))) for k in KEYS[self.sheet]]
        return " / ".join(parts)


@dataclass
class Parsed:
    kind: Kind
    rows: dict[str, list[Row]]
    file_problems: list[dict] = field(default_factory=list)
    # Who imports (their rank bounds the accounts they may touch) and whether an Admin chose to
    # let the import change existing accounts' passwords and roles.
    actor_rank: int = 0
    update_accounts: bool = False

    def all_rows(self) -> list[Row]:
        return [row for sheet in self.kind.sheets for row in self.rows.get(sheet.key, [])]

    @property
    def refused(self) -> list[Row]:
        return [row for row in self.all_rows() if not row.ok]


def _find_sheet(workbook, sheet: Sheet, index: int):
    """The worksheet titled like ``sheet`` in any language; a renamed first tab is still found."""
    wanted = cells.all_renderings(sheet.title) | {cells.fold(sheet.key)}
    for ws in workbook.worksheets:
        if cells.fold(ws.title) in wanted:
            return ws
    if index == 0 and workbook.worksheets:
        return workbook.worksheets[0]
    return None


def _header_map(sheet: Sheet, header: tuple) -> tuple[dict[int, str], list[Column]]:
    lookup: dict[str, str] = {}
    for column in sheet.columns:
        for text in cells.all_renderings(column.label) | {cells.fold(column.key)}:
            lookup.setdefault(text, column.key)
    positions: dict[int, str] = {}
    for index, value in enumerate(header):
        key = lookup.get(cells.fold(value)) if value is not None else None
        if key is not None and key not in positions.values():
            positions[index] = key
    missing = [c for c in sheet.columns if c.required and c.key not in positions.values()]
    return positions, missing


def read_workbook(path: Path, kind: Kind, max_rows: int = DEFAULT_MAX_ROWS) -> Parsed:
    """The data rows of the kind's sheets (blank rows skipped), or file-level problems."""
    parsed = Parsed(kind=kind, rows={})
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged file
        parsed.file_problems.append(cells.problem("", _l("The file is not a readable .xlsx.")))
        return parsed
    try:
        count = 0
        for index, sheet in enumerate(kind.sheets):
            ws = _find_sheet(workbook, sheet, index)
            if ws is None:
                if sheet.required_sheet:
                    parsed.file_problems.append(
                        cells.problem(
                            "", _l("The file has no sheet %(sheet)s.", sheet=str(sheet.title))
                        )
                    )
                continue
            rows = ws.iter_rows(values_only=True)
            header = next(rows, ())
            positions, missing = _header_map(sheet, header or ())
            for column in missing:
                parsed.file_problems.append(
                    cells.problem(
                        "",
                        _l(
                            "The sheet %(sheet)s has no column %(column)s.",
                            sheet=ws.title,
                            column=str(column.label),
                        ),
                    )
                )
            found: list[Row] = []
            for number, values in enumerate(rows, start=2):
                raw = {key: values[i] for i, key in positions.items() if i < len(values)}
                if all(cells.is_blank(v) for v in raw.values()):
                    continue
                count += 1
                if count > max_rows:
                    parsed.file_problems.append(
                        cells.problem(
                            "", _l("The file has more than %(count)s rows.", count=max_rows)
                        )
                    )
                    return parsed
                found.append(Row(sheet=sheet.key, number=number, raw=raw))
            parsed.rows[sheet.key] = found
        if count == 0 and not parsed.file_problems:
            parsed.file_problems.append(cells.problem("", _l("The file has no data rows.")))
    finally:
        workbook.close()
    return parsed


# ---------------------------------------------------------------- cells to values


class Converter:
    """Turns raw cells into typed values; label maps are built once per import."""

    def __init__(self, kind: Kind):
        self.bools = cells.bool_map()
        self.choices: dict[str, dict[str, str]] = {}
        for sheet in kind.sheets:
            for column in sheet.columns:
                if column.choices is not None:
                    self.choices[column.key] = cells.choice_map(column.choices())

    def convert(self, row: Row, sheet: Sheet) -> None:
        for column in sheet.columns:
            raw = row.raw.get(column.key)
            if cells.is_blank(raw):
                if column.required:
                    row.refuse(column.key, _l("A value is required."))
                row.values[column.key] = [] if column.type == LIST else column.default
                continue
            value = self._value(row, column, raw)
            row.values[column.key] = value

    def _value(self, row: Row, column: Column, raw: Any) -> Any:
        if column.type == INT:
            value = cells.as_int(raw)
            if value is None:
                row.refuse(column.key, _l("A whole number is required."))
            elif column.minimum is not None and value < column.minimum:
                row.refuse(
                    column.key, _l("The value must be at least %(min)s.", min=column.minimum)
                )
            return value
        if column.type == BOOL:
            value = self.bools.get(cells.fold(raw)) if not isinstance(raw, bool) else raw
            if value is None:
                row.refuse(column.key, _l("Answer with yes or no."))
            return value
        if column.type == DATE:
            value = cells.as_date(raw)
            if value is None:
                row.refuse(column.key, _l("A date (YYYY-MM-DD) is required."))
            return value
        if column.type == ENUM:
            value = self.choices[column.key].get(cells.fold(raw))
            if value is None:
                row.refuse(
                    column.key, _l("%(value)s is not one of the listed values.", value=str(raw))
                )
            return value
        if column.type == LIST:
            items = cells.as_list(raw)
            if column.key in self.choices:
                known = self.choices[column.key]
                bad = [i for i in items if cells.fold(i) not in known]
                if bad:
                    row.refuse(column.key, _l("Unknown: %(values)s.", values=", ".join(bad)))
                items = [known.get(cells.fold(i), i) for i in items]
            return list(dict.fromkeys(items))
        text = cells.as_text(raw)
        if column.max_length is not None and len(text) > column.max_length:
            row.refuse(column.key, _l("At most %(count)s characters.", count=column.max_length))
        return text


def refuse_duplicates(rows: list[Row], sheet_key: str) -> None:
    """Every row whose key appears more than once in the sheet is refused (which one is right
    cannot be known)."""
    seen: dict[tuple, list[Row]] = defaultdict(list)
    for row in rows:
        key = tuple(cells.as_text(row.values.get(k)) for k in KEYS[sheet_key])
        if all(key):
            seen[key].append(row)
    for key, group in seen.items():
        if len(group) > 1:
            numbers = ", ".join(str(r.number) for r in group)
            for row in group:
                row.refuse(
                    KEYS[sheet_key][-1],
                    _l(
                        "%(code)s appears more than once in the file (rows %(rows)s).",
                        code=" / ".join(key),
                        rows=numbers,
                    ),
                )


def validate(
    session: Session,
    parsed: Parsed,
    scope: Scope,
    tick: Callable[[int], None] | None = None,
) -> Parsed:
    """Check every row of ``parsed`` (types, uniqueness, the kind's rules, scope) in place."""
    from app.imports import rules  # cycle: rules imports Parsed and Row from this module

    kind = parsed.kind
    if not scope.everything and not kind.managers_may_import:
        parsed.file_problems.append(
            cells.problem("", _l("Only administrators may import this kind of data."))
        )
    if scope.nothing:
        parsed.file_problems.append(
            cells.problem("", _l("Your account belongs to no unit, so it may import nothing."))
        )
    if parsed.file_problems:
        return parsed
    converter = Converter(kind)
    done = 0
    for sheet in kind.sheets:
        rows = parsed.rows.get(sheet.key, [])
        for row in rows:
            converter.convert(row, sheet)
            done += 1
            if tick is not None and done % 500 == 0:
                tick(done)
        refuse_duplicates(rows, sheet.key)
    rules.check(session, parsed, scope)
    if tick is not None:
        tick(len(parsed.all_rows()))
    return parsed
