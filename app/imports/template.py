"""The downloadable .xlsx template of a kind, which is also the shape of its export.

One data sheet per spec sheet (header row, then data from row 2, lists on fixed-value columns,
code-like columns stored as text so leading zeros survive), and an instructions sheet holding
what each column means and an example row. The parser reads only the data sheets, so the
example is never imported by accident.
"""

from __future__ import annotations

import io
from typing import Any

from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from app.imports import cells
from app.imports.specs import BOOL, DATE, ENUM, INT, LIST, TEXT, Column, Kind, Sheet
from app.spreadsheet import safe

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FONT = Font(bold=True, color="C00000")
HEADER_FONT = Font(bold=True)
LAST_ROW = 1048576


def sheet_title(sheet: Sheet) -> str:
    """The sheet's tab name in the current language."""
    return sheet_title_text(str(sheet.title))


def sheet_title_text(text: str) -> str:
    """Excel allows 31 characters in a tab name, none of []:*?/\\."""
    for ch in "[]:*?/\\":
        text = text.replace(ch, " ")
    return text[:31]


def header_labels(sheet: Sheet) -> list[str]:
    return [str(c.label) for c in sheet.columns]


def choice_labels(column: Column) -> list[str]:
    if column.type == BOOL:
        return [str(cells.YES), str(cells.NO)]
    if column.choices is None:
        return []
    return [str(label).replace(",", "，") for _value, label in column.choices()]


def render(column: Column, value: Any) -> Any:
    """A stored value as a person reads it in a cell (labels in the current language)."""
    if value is None:
        return None
    if isinstance(value, LazyString):  # a template example's text, in the current language
        return str(value)
    if column.type == BOOL:
        return str(cells.YES if value else cells.NO)
    if column.type == ENUM:
        value = getattr(value, "value", value)
        labels = dict(column.choices()) if column.choices else {}
        return str(labels.get(value, value))
    if column.type == LIST:
        return ", ".join(str(v) for v in value) if not isinstance(value, str) else value
    return value


def _setup_data_sheet(ws: Worksheet, sheet: Sheet) -> None:
    ws.title = sheet_title(sheet)
    for index, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(row=1, column=index, value=str(column.label))
        cell.font = REQUIRED_FONT if column.required else HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if column.note is not None:
            cell.comment = Comment(str(column.note), "")
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = column.width
        if column.type in (TEXT, LIST):
            ws.column_dimensions[letter].number_format = "@"
        elif column.type == DATE:
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
        labels = choice_labels(column) if column.type in (BOOL, ENUM, LIST) else []
        if labels:
            rule = DataValidation(
                type="list",
                formula1='"' + ",".join(labels) + '"',
                allow_blank=not column.required,
                showErrorMessage=column.type != LIST,
            )
            rule.error = _("Choose a value from the list.")
            rule.add(f"{letter}2:{letter}{LAST_ROW}")
            ws.add_data_validation(rule)
        elif column.type == INT:
            rule = DataValidation(
                type="whole",
                operator="greaterThanOrEqual",
                formula1=str(column.minimum or 0),
                allow_blank=not column.required,
            )
            rule.add(f"{letter}2:{letter}{LAST_ROW}")
            ws.add_data_validation(rule)
    ws.freeze_panes = "A2"


def write_row(ws: Worksheet, sheet: Sheet, row: int, values: dict) -> None:
    for index, column in enumerate(sheet.columns, start=1):
        value = safe(render(column, values.get(column.key)))
        cell = ws.cell(row=row, column=index, value=value)
        if column.type == DATE and cell.value is not None:
            cell.number_format = "yyyy-mm-dd"
        elif column.type in (TEXT, LIST):
            cell.number_format = "@"


def _instructions(ws: Worksheet, kind: Kind) -> None:
    ws.title = sheet_title_text(_("Instructions"))
    ws.column_dimensions["A"].width = 30
    row = 1
    ws.cell(row=row, column=1, value=str(kind.title)).font = Font(bold=True, size=14)
    row += 1
    lines = [
        _("Fill in the data sheets from the second row; do not change the header row."),
        _("Columns with a red header are required."),
        _("The same code again updates the existing record instead of adding a new one."),
        *[str(note) for note in kind.notes],
    ]
    for line in lines:
        ws.cell(row=row, column=1, value=line)
        row += 1
    for sheet in kind.sheets:
        row += 1
        ws.cell(
            row=row, column=1, value=_("Example: %(sheet)s", sheet=sheet_title(sheet))
        ).font = Font(bold=True)
        row += 1
        for index, column in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=row, column=index, value=str(column.label))
            cell.font = REQUIRED_FONT if column.required else HEADER_FONT
            cell.fill = HEADER_FILL
            ws.column_dimensions[get_column_letter(index)].width = max(column.width, 14)
        for example in sheet.example:
            row += 1
            write_row(ws, sheet, row, example)
        row += 1
        for index, column in enumerate(sheet.columns, start=1):
            hint = _column_hint(column)
            if hint:
                ws.cell(row=row, column=index, value=hint).alignment = Alignment(
                    wrap_text=True, vertical="top"
                )


def _column_hint(column: Column) -> str:
    parts = []
    if column.required:
        parts.append(_("Required."))
    if choice_labels(column):
        parts.append(_("One of: %(values)s", values=" / ".join(choice_labels(column))))
    elif column.type == INT:
        parts.append(_("A whole number."))
    elif column.type == DATE:
        parts.append(_("A date, e.g. 2027-01-01."))
    if column.max_length and column.type == TEXT:
        parts.append(_("At most %(count)s characters.", count=column.max_length))
    if column.note is not None:
        parts.append(str(column.note))
    return " ".join(parts)


def build_workbook(kind: Kind) -> tuple[Workbook, dict[str, Worksheet]]:
    """A workbook with the kind's empty data sheets and its instructions sheet."""
    wb = Workbook()
    sheets: dict[str, Worksheet] = {}
    for index, sheet in enumerate(kind.sheets):
        ws = wb.active if index == 0 else wb.create_sheet()
        _setup_data_sheet(ws, sheet)
        sheets[sheet.key] = ws
    _instructions(wb.create_sheet(), kind)
    return wb, sheets


def to_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def template_bytes(kind: Kind) -> bytes:
    """The empty template of ``kind`` in the current language."""
    wb, _sheets = build_workbook(kind)
    return to_bytes(wb)
