"""The written report as a .docx a leader expects: A4, 仿宋_GB2312 body, 黑体 headings, 方正小标宋
title (the fonts of a government document, named in the styles; Word falls back when a font is
missing), tables of figures, then the manager's text sections. python-docx builds it.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from flask_babel import gettext as _

from app import models as m
from app.assessment.reports import title
from app.enums import Indicator

# The font names a government document's styles carry (data: app/assessment/document.json).
FONTS = json.loads((Path(__file__).with_name("document.json")).read_text(encoding="utf-8"))["fonts"]
BODY_FONT, HEADING_FONT, TITLE_FONT = FONTS["body"], FONTS["heading"], FONTS["title"]
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _font(style_or_run, name: str, size: float | None = None, bold: bool | None = None) -> None:
    font = style_or_run.font
    font.name = name
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    element = style_or_run.element
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), name)


def pct(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.2f}%"


def indicator_text(indicator: Indicator, value) -> str:
    if value is None:
        return "—"
    return pct(value) if indicator.is_rate else str(value)


def render(report: m.PeriodicReport, unit_name: str) -> bytes:
    """The report's .docx bytes (figures as stored, text sections as written)."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    _font(doc.styles["Normal"], BODY_FONT, 16)
    for level in (1, 2):
        _font(doc.styles[f"Heading {level}"], HEADING_FONT, 16, bold=False)
        doc.styles[f"Heading {level}"].font.color.rgb = None
    _font(doc.styles["Title"], TITLE_FONT, 22)
    doc.styles["Title"].font.color.rgb = None

    f = report.figures or {}
    heading = doc.add_paragraph(title(report, unit_name), style="Title")
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    note = doc.add_paragraph(
        _(
            "Period: %(start)s – %(end)s. Figures: the cases applied in the period, as counted "
            "on %(at)s (the work ledger's selection).",
            start=report.period_start.isoformat(),
            end=report.period_end.isoformat(),
            at=report.figures_at.strftime("%Y-%m-%d %H:%M"),
        )
    )
    note.alignment = WD_ALIGN_PARAGRAPH.CENTER

    t, s = f.get("totals", {}), f.get("satisfaction", {})
    doc.add_heading(_("1. Overview"), level=1)
    doc.add_paragraph(
        _(
            "%(cases)s cases were applied for in the period: %(completed)s completed, "
            "%(terminated)s terminated, %(open)s still open, %(overdue)s overdue. On-time "
            "completion rate %(on_time)s; satisfaction rate %(satisfaction)s of %(evaluated)s "
            "evaluations.",
            cases=t.get("cases", 0),
            completed=t.get("completed", 0),
            terminated=t.get("terminated", 0),
            open=t.get("open", 0),
            overdue=t.get("overdue", 0),
            on_time=pct(t.get("on_time_rate")),
            satisfaction=pct(s.get("rate")),
            evaluated=s.get("evaluated", 0),
        )
    )
    _table(
        doc,
        [
            _("Cases"),
            _("Completed"),
            _("Terminated"),
            _("Open"),
            _("Overdue"),
            _("On-time rate"),
            _("Satisfaction rate"),
        ],
        [
            (
                t.get("cases", 0),
                t.get("completed", 0),
                t.get("terminated", 0),
                t.get("open", 0),
                t.get("overdue", 0),
                pct(t.get("on_time_rate")),
                pct(s.get("rate")),
            )
        ],
    )
    booked = f.get("appointments")
    if booked:  # reports drafted before appointments were counted have none
        doc.add_paragraph(
            _(
                "Appointments for the period's days: %(booked)s booked, %(case)s turned into a "
                "case, %(walk_in)s recorded as walk-in help, %(no_show)s did not come, "
                "%(cancelled)s cancelled.",
                booked=booked.get("booked", 0),
                case=booked.get("case", 0),
                walk_in=booked.get("walk_in", 0),
                no_show=booked.get("no_show", 0),
                cancelled=booked.get("cancelled", 0),
            )
        )
    for heading_text, key in (
        (_("2. Cases by kind"), "by_kind"),
        (_("3. Cases by status"), "by_status"),
        (_("4. Cases by service item"), "by_item"),
        (_("5. Cases by unit"), "by_unit"),
    ):
        doc.add_heading(heading_text, level=1)
        _table(doc, [_("Item"), _("Cases")], [(r["label"], r["count"]) for r in f.get(key, [])])

    doc.add_heading(_("6. Satisfaction"), level=1)
    _table(
        doc,
        [_("Rating"), _("Evaluations")],
        [(r["label"], r["count"]) for r in s.get("levels", [])],
    )

    doc.add_heading(_("7. Indicators against targets"), level=1)
    unit = (f.get("assessment") or {}).get("unit", {})
    rows = []
    for ind in Indicator:
        row = unit.get(ind.value)
        if row is None:
            continue
        verdict = {True: _("Met"), False: _("Not met"), None: "—"}[row["meets"]]
        rows.append(
            (
                str(ind.label),
                indicator_text(ind, row["value"]),
                indicator_text(ind, row["target"]),
                verdict,
            )
        )
    _table(doc, [_("Indicator"), _("Value"), _("Target"), _("Result")], rows)

    doc.add_heading(_("8. Common problems and how they were solved"), level=1)
    _text(doc, report.problems_text)
    doc.add_heading(_("9. Good practice"), level=1)
    _text(doc, report.practice_text)
    if report.remarks_text.strip():
        doc.add_heading(_("10. Remarks"), level=1)
        _text(doc, report.remarks_text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _table(doc, header, rows) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = str(text)
        for run in cell.paragraphs[0].runs:
            _font(run, HEADING_FONT, 12)
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = "" if value is None else str(value)
            for run in cell.paragraphs[0].runs:
                _font(run, BODY_FONT, 12)


def _text(doc, text: str) -> None:
    paragraphs = [p for p in (text or "").split("\n") if p.strip()] or ["—"]
    for p in paragraphs:
        para = doc.add_paragraph(_clean(p))
        para.paragraph_format.first_line_indent = Pt(32)


def _clean(text: str) -> str:
    """XML 1.0 keeps no control characters but tab (the input guard refuses them already)."""
    return "".join(ch for ch in text if ch == "\t" or ord(ch) >= 32)
