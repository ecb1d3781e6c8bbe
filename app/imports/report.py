"""The per-row result of an import: kept as JSON, rendered as .xlsx in the reader's language.

Problems are stored as msgids with parameters, so the same results read in Chinese for one user
and in English for another. The report repeats each row as it was read, then its outcome and
every problem with the column it concerns; generated passwords of new accounts are listed too.
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from app.imports import cells, template
from app.imports.specs import Kind
from app.imports.validate import Parsed
from app.spreadsheet import safe

OUTCOMES = {
    "created": _l("Created as new"),
    "updated": _l("Updated"),
    "unchanged": _l("Unchanged"),
    "refused": _l("Refused"),
    "skipped": _l("Not imported: the file has errors"),
}
REFUSED_FILL = PatternFill("solid", fgColor="F8CBAD")


def results_json(parsed: Parsed) -> bytes:
    """Every row's raw cells, outcome, problems and notes, as JSON (readable by the owner only)."""
    data = {
        "kind": parsed.kind.key,
        "file_problems": parsed.file_problems,
        "rows": [
            {
                "sheet": row.sheet,
                "number": row.number,
                "key": row.key,
                "raw": {k: cells.as_text(v) for k, v in row.raw.items()},
                "outcome": row.outcome,
                "problems": row.problems,
                "note": row.note,
            }
            for row in parsed.all_rows()
        ],
    }
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def load_results(data: bytes) -> dict[str, Any]:
    return json.loads(data.decode("utf-8"))


def outcome_label(outcome: str) -> str:
    label = OUTCOMES.get(outcome)
    return str(label) if label is not None else outcome


def describe(problems: list[dict], labels: dict[str, str]) -> str:
    """Problems as one cell: "column: message; column: message" in the current language."""
    parts = []
    for item in problems:
        text = cells.render_problem(item)
        column = labels.get(item.get("column") or "")
        parts.append(f"{column}: {text}" if column else text)
    return "; ".join(parts)


def report_bytes(kind: Kind, results: dict[str, Any]) -> bytes:
    """The report workbook: one sheet per data sheet, plus file-level problems if any."""
    wb = Workbook()
    first = True
    if results.get("file_problems"):
        ws = wb.active
        ws.title = template.sheet_title_text(_("File problems"))
        ws.cell(row=1, column=1, value=_("Errors")).font = Font(bold=True)
        for index, item in enumerate(results["file_problems"], start=2):
            ws.cell(row=index, column=1, value=cells.render_problem(item)).fill = REFUSED_FILL
        ws.column_dimensions["A"].width = 80
        first = False
    show_password = any(r.get("note", {}).get("password") for r in results["rows"])
    for sheet in kind.sheets:
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = template.sheet_title(sheet)
        labels = {c.key: str(c.label) for c in sheet.columns}
        header = [_("Row"), *labels.values(), _("Result"), _("Errors")]
        if show_password and sheet.key == "staff":
            header.append(_("Generated password"))
        for index, text in enumerate(header, start=1):
            ws.cell(row=1, column=index, value=text).font = Font(bold=True)
        ws.freeze_panes = "B2"
        out = 2
        for row in results["rows"]:
            if row["sheet"] != sheet.key:
                continue
            values = [row["number"], *(row["raw"].get(k, "") for k in labels)]
            values += [outcome_label(row["outcome"]), describe(row["problems"], labels)]
            if show_password and sheet.key == "staff":
                values.append(row.get("note", {}).get("password", ""))
            for index, value in enumerate(values, start=1):
                cell = ws.cell(row=out, column=index, value=safe(value))
                if row["problems"]:
                    cell.fill = REFUSED_FILL
            out += 1
        ws.column_dimensions["A"].width = 6
    return template.to_bytes(wb)
