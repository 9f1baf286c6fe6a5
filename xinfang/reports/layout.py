"""Lay out a report (title, sections of text, tables and charts) as Word and PDF, in the style of the
notices (xinfang.documents.layout: A4, the GB/T 9704 margins, 宋体 bold title, 仿宋 body) with what a
statistical report adds: headings, tables in 小四 (12 pt) and charts (PNG from xinfang.reports.charts)
the width of the text.

PDF: the notices' fpdf2 page (their CJK font, Chinese line breaking and page numbers), with fpdf2's own
table for the tables. Word: python-docx, fonts named as in the notices.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from xinfang.documents import layout as notice_layout
from xinfang.documents.layout import (
    BODY_FONT,
    BODY_PT,
    LINE,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    MM,
    PAGE_H,
    PAGE_W,
    TEXT_W,
    TITLE_FONT,
    TITLE_LINE,
    TITLE_PT,
)

HEADING_FONT = "黑体"
HEADING_PT = 16
TABLE_PT = 12  # 小四
NOTE_PT = 12
SUBTITLE_PT = 14


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Text:
    text: str
    note: bool = False  # a small note (source of the figures), not body text


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    widths: list[float] | None = None  # relative column widths


@dataclass(frozen=True)
class Chart:
    png: bytes


@dataclass
class ReportDoc:
    title: str
    subtitle: str = ""
    blocks: list[Heading | Text | Table | Chart] = field(default_factory=list)
    issuer: str = ""
    date: str = ""

    def add(self, *blocks: Heading | Text | Table | Chart) -> None:
        self.blocks.extend(blocks)


# ---------------------------------------------------------------- Word


def docx_bytes(doc: ReportDoc) -> bytes:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Pt

    fonts = notice_layout.docx_fonts

    def paragraph(
        container,
        text: str,
        *,
        font: str = BODY_FONT,
        size: float = BODY_PT,
        bold: bool = False,
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
        indent: bool = False,
        line: float | None = LINE,
        after: float = 0,
    ):
        p = container.add_paragraph()
        f = p.paragraph_format
        f.alignment = align
        f.space_before, f.space_after = Pt(0), Pt(after)
        if line:
            f.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            f.line_spacing = Pt(line)
        if indent:
            f.first_line_indent = Pt(2 * size)
        r = p.add_run(text)
        r.font.size, r.font.bold = Pt(size), bold
        fonts(r._r, font)
        return p

    d = Document()
    section = d.sections[0]
    section.page_width, section.page_height = Pt(PAGE_W), Pt(PAGE_H)
    section.top_margin, section.bottom_margin = Pt(MARGIN_TOP), Pt(MARGIN_BOTTOM)
    section.left_margin, section.right_margin = Pt(MARGIN_LEFT), Pt(MARGIN_RIGHT)
    fonts(d.styles["Normal"].element, BODY_FONT)
    d.core_properties.title = doc.title
    d.core_properties.language = "zh-CN"

    paragraph(d, doc.title, font=TITLE_FONT, size=TITLE_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, line=TITLE_LINE)
    if doc.subtitle:
        paragraph(d, doc.subtitle, size=SUBTITLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER, after=LINE / 2)
    for block in doc.blocks:
        if isinstance(block, Heading):
            paragraph(d, block.text, font=HEADING_FONT, size=HEADING_PT, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
        elif isinstance(block, Text):
            if block.note:
                paragraph(d, block.text, size=NOTE_PT, line=None, after=4)
            else:
                paragraph(d, block.text, indent=True)
        elif isinstance(block, Table):
            table = d.add_table(rows=1, cols=len(block.header))
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            for cells, row, bold in [(table.rows[0].cells, block.header, True)] + [
                (table.add_row().cells, r, False) for r in block.rows
            ]:
                for cell, text in zip(cells, row, strict=True):
                    cell.text = ""
                    p = cell.paragraphs[0]
                    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                    r = p.add_run(text)
                    r.font.size, r.font.bold = Pt(TABLE_PT), bold
                    fonts(r._r, BODY_FONT)
            paragraph(d, "", size=6, line=None)
        elif isinstance(block, Chart):
            d.add_picture(io.BytesIO(block.png), width=Pt(TEXT_W))
            d.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text in (doc.issuer, doc.date):
        if text:
            p = paragraph(d, text, align=WD_ALIGN_PARAGRAPH.RIGHT)
            p.paragraph_format.right_indent = Pt(4 * BODY_PT)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- PDF


def _room(pdf_doc, height: float) -> None:
    """A new page unless `height` points fit under the current line."""
    if pdf_doc.y + height > PAGE_H - MARGIN_BOTTOM + 0.5:
        pdf_doc.page()


def _table(pdf_doc, block: Table) -> None:
    from fpdf.fonts import FontFace

    pdf = pdf_doc.pdf
    pdf_doc.font(TABLE_PT)
    pdf_doc.y += TABLE_PT / 2
    _room(pdf_doc, 3 * TABLE_PT * 1.8)
    pdf.set_auto_page_break(True, margin=MARGIN_BOTTOM)
    pdf.set_xy(MARGIN_LEFT, pdf_doc.y)
    widths = block.widths or [1.0] * len(block.header)
    with pdf.table(
        width=TEXT_W,
        col_widths=widths,
        text_align="CENTER",
        line_height=TABLE_PT * 1.5,
        headings_style=FontFace(emphasis="BOLD", fill_color=(238, 238, 238)),
        padding=(2, 3),
        repeat_headings=1,
    ) as table:
        for row in [block.header] + block.rows:
            cells = table.row()
            for text in row:
                cells.cell(text)
    pdf.set_auto_page_break(False)
    pdf_doc.y = pdf.get_y() + TABLE_PT


def _chart(pdf_doc, block: Chart) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(block.png)) as image:
        w, h = image.size
    height = TEXT_W * h / w
    _room(pdf_doc, height)
    pdf_doc.pdf.image(io.BytesIO(block.png), x=MARGIN_LEFT, y=pdf_doc.y, w=TEXT_W, h=height)
    pdf_doc.y += height + 4 * MM


def pdf_bytes(doc: ReportDoc) -> bytes:
    pdf_doc = notice_layout.PdfDocument(doc.title)
    pdf_doc.paragraph(doc.title, size=TITLE_PT, height=TITLE_LINE, align="C", bold=True)
    if doc.subtitle:
        pdf_doc.paragraph(doc.subtitle, size=SUBTITLE_PT, height=SUBTITLE_PT * 1.6, align="C")
    pdf_doc.y += LINE / 2
    for block in doc.blocks:
        if isinstance(block, Heading):
            _room(pdf_doc, 3 * LINE)  # a heading is never the last line of a page
            pdf_doc.paragraph(block.text, size=HEADING_PT, height=LINE, align="L", bold=True)
        elif isinstance(block, Text):
            if block.note:
                pdf_doc.paragraph(block.text, size=NOTE_PT, height=NOTE_PT * 1.5, align="L")
                pdf_doc.y += 3
            else:
                pdf_doc.paragraph(block.text, size=BODY_PT, height=LINE, indent=2 * BODY_PT)
        elif isinstance(block, Table):
            _table(pdf_doc, block)
        elif isinstance(block, Chart):
            _chart(pdf_doc, block)
    pdf_doc.font(BODY_PT)
    right_edge = MARGIN_LEFT + TEXT_W
    for text in (doc.issuer, doc.date):
        if text:
            pdf_doc.line(text, right_edge - 4 * BODY_PT - pdf_doc.width(text), LINE)
    pdf_doc.page_numbers()
    return bytes(pdf_doc.pdf.output())
