"""The case file's PDF: the printed forms, the timeline, then the signed papers.

Laid out with reportlab (A4, a plain layout): each form starts on its own page, the timeline
follows as one table, then every attachment not voided in the order it was filed: an image
becomes a page of its own (scaled to fit, with its kind and name above it), a PDF's pages are
merged as they are (pypdf). A file that cannot be read (missing from the store, damaged) gets a
page saying so, so the bundle always shows that the paper existed.

The font: a TrueType face embedded in the file when the system has one (``ARCHIVE_FONT``,
default Debian's WenQuanYi Micro Hei from ``fonts-wqy-microhei``), so any viewer shows the
Chinese; otherwise reportlab's built-in ``STSong-Light`` (not embedded: the viewer supplies it).
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass
from xml.sax.saxutils import escape

from flask import current_app
from flask_babel import gettext as _
from pypdf import PdfReader, PdfWriter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Image,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from app.archive.documents import Document

log = logging.getLogger(__name__)

DEFAULT_FONT_FILE = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
_FONTS: dict[str, str] = {}


def font_name() -> str:
    """The registered font for Chinese text (embedded TrueType if available)."""
    path = current_app.config.get("ARCHIVE_FONT", DEFAULT_FONT_FILE)
    if path in _FONTS:
        return _FONTS[path]
    name = "STSong-Light"
    if path and os.path.isfile(path):
        try:
            pdfmetrics.registerFont(TTFont("ArchiveCJK", path, subfontIndex=0))
            name = "ArchiveCJK"
        except Exception as exc:  # a broken font file: fall back, never fail the archiving
            log.warning("archive font %s not usable (%s); using STSong-Light", path, exc)
    if name == "STSong-Light":
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    _FONTS[path] = name
    return name


@dataclass
class Header:
    """What every generated page repeats at its top and bottom."""

    case_number: str
    archive_number: str
    unit: str


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=10.5, leading=15, wordWrap="CJK")
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=9, leading=12),
        "title": ParagraphStyle(
            "title", parent=base, fontSize=17, leading=24, alignment=1, spaceAfter=4
        ),
        "meta": ParagraphStyle("meta", parent=base, fontSize=10, alignment=2, spaceAfter=6),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=13),
        "th": ParagraphStyle("th", parent=base, fontSize=9.5, leading=13),
    }


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)


def _page_decor(header: Header, font: str):
    def draw(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 8.5)
        width, height = A4
        canvas.drawString(
            18 * mm,
            height - 11 * mm,
            f"{_('Case number')}：{header.case_number}",
        )
        canvas.drawRightString(
            width - 18 * mm,
            height - 11 * mm,
            _("Case file number") + "：" + header.archive_number,
        )
        canvas.drawString(18 * mm, 10 * mm, header.unit)
        canvas.drawRightString(width - 18 * mm, 10 * mm, str(doc.page))
        canvas.restoreState()

    return draw


def _build(story, header: Header, font: str) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=header.archive_number,
        author=header.unit,
    )
    decor = _page_decor(header, font)
    doc.build(story, onFirstPage=decor, onLaterPages=decor)
    return out.getvalue()


def _grid(style_rows) -> TableStyle:
    return TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            *style_rows,
        ]
    )


def forms_pdf(documents: list[Document], header: Header) -> bytes:
    """Every form on its own page(s)."""
    font = font_name()
    st = _styles(font)
    width = A4[0] - 36 * mm
    story = []
    for index, document in enumerate(documents):
        if index:
            story.append(PageBreak())
        story += [_p(document.title, st["title"]), _p(document.date_line, st["meta"])]
        if document.rows:
            table = Table(
                [[_p(label, st["th"]), _p(value, st["cell"])] for label, value in document.rows],
                colWidths=[width * 0.28, width * 0.72],
            )
            table.setStyle(_grid([("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f0f0f0"))]))
            story += [table, Spacer(1, 4 * mm)]
        if document.table:
            cols = len(document.table[0])
            widths = [width * w for w in (0.08, 0.3, 0.1, 0.14, 0.38)][:cols]
            table = Table(
                [[_p(cell, st["cell"]) for cell in row] for row in document.table],
                colWidths=widths,
                repeatRows=1,
            )
            table.setStyle(_grid([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f0f0"))]))
            story += [table, Spacer(1, 4 * mm)]
        for statement in document.statements:
            story += [_p(statement, st["body"]), Spacer(1, 2 * mm)]
        if document.signatures:
            story.append(Spacer(1, 8 * mm))
            cells = [
                [_p(f"{label}：______________", st["body"]) for label in document.signatures],
                [_p(f"{_('Date')}：______________", st["body"]) for _label in document.signatures],
            ]
            story.append(Table(cells, colWidths=[width / len(document.signatures)] * len(cells[0])))
    return _build(story, header, font)


def timeline_pdf(title: str, rows: list[list[str]], header: Header) -> bytes:
    """The timeline as one table (its first row the header), continued over pages."""
    font = font_name()
    st = _styles(font)
    width = A4[0] - 36 * mm
    table = Table(
        [[_p(cell, st["cell"]) for cell in row] for row in rows],
        colWidths=[width * w for w in (0.2, 0.15, 0.13, 0.2, 0.32)],
        repeatRows=1,
    )
    table.setStyle(_grid([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f0f0"))]))
    return _build([_p(title, st["title"]), Spacer(1, 3 * mm), table], header, font)


def _notice_page(caption: str, text: str, header: Header) -> bytes:
    font = font_name()
    st = _styles(font)
    return _build([_p(caption, st["body"]), Spacer(1, 6 * mm), _p(text, st["body"])], header, font)


def image_page(caption: str, data: bytes, header: Header) -> bytes:
    """One page: the caption, then the image scaled to fit the rest of the page."""
    font = font_name()
    st = _styles(font)
    reader = ImageReader(io.BytesIO(data))  # raises on a file Pillow cannot read
    w, h = reader.getSize()
    max_w, max_h = A4[0] - 36 * mm, A4[1] - 36 * mm - 14 * mm
    scale = min(max_w / w, max_h / h)
    image = Image(io.BytesIO(data), width=w * scale, height=h * scale)
    return _build([_p(caption, st["small"]), Spacer(1, 2 * mm), image], header, font)


@dataclass
class Attached:
    """A paper to put in the bundle: its caption and content (None: could not be read)."""

    caption: str
    content_type: str
    data: bytes | None


@dataclass
class Made:
    data: bytes
    pages: int
    form_pages: int
    timeline_pages: int
    attachment_pages: int


def _pages(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def _unreadable(paper: Attached, header: Header) -> bytes:
    return _notice_page(
        paper.caption, _("This file could not be read when the case was archived."), header
    )


def _paper(paper: Attached, header: Header) -> bytes:
    """The pages of one attachment, or a page saying it could not be read."""
    if paper.data is None:
        return _unreadable(paper, header)
    try:
        if paper.content_type == "application/pdf":
            _pages(paper.data)  # parses, and refuses an encrypted file
            return paper.data
        return image_page(paper.caption, paper.data, header)
    except Exception as exc:  # any damaged upload (pypdf and Pillow raise many kinds)
        log.warning("archive: paper %s not readable: %s", paper.caption, exc)
        return _unreadable(paper, header)


def assemble(
    documents: list[Document],
    timeline_title: str,
    timeline_rows: list[list[str]],
    papers: list[Attached],
    header: Header,
) -> Made:
    """The whole bundle as one PDF, and how many pages each part took."""
    writer = PdfWriter()
    forms = forms_pdf(documents, header)
    timeline = timeline_pdf(timeline_title, timeline_rows, header)
    form_pages, timeline_pages = _pages(forms), _pages(timeline)
    writer.append(io.BytesIO(forms))
    writer.append(io.BytesIO(timeline))
    attachment_pages = 0
    for paper in papers:
        part = _paper(paper, header)
        try:
            PdfWriter().append(io.BytesIO(part))  # copies cleanly before it joins the bundle
        except Exception as exc:  # a PDF pypdf reads but cannot copy: the notice instead
            log.warning("archive: paper %s not merged: %s", paper.caption, exc)
            part = _unreadable(paper, header)
        before = len(writer.pages)
        writer.append(io.BytesIO(part))
        attachment_pages += len(writer.pages) - before
    writer.add_metadata({"/Title": header.archive_number, "/Subject": header.case_number})
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    return Made(data, _pages(data), form_pages, timeline_pages, attachment_pages)
