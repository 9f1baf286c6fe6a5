"""Lay out a filled-in notice as a Word document or a PDF, in the style of GB/T 9704 (党政机关公文格式):
A4, 3号 (16 pt) 仿宋 body with a first-line indent of two characters, 2号 (22 pt) 小标宋 title
centred, 22 lines to a page, the issuing unit and the date at the end, the date four characters
from the right and the unit centred over it.

Word: fonts are named (仿宋 and 宋体, as every Chinese Windows and WPS has them), with the
East-Asian font set in w:eastAsia. PDF: fpdf2 embeds a subset of a local CJK font (by default
Noto Serif CJK SC from Debian's fonts-noto-cjk; fpdf2 embeds its CFF outlines as they are).
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# ---------------------------------------------------------------- the notice as text


@dataclass(frozen=True)
class Paragraph:
    text: str
    indent: bool = True  # first-line indent of two characters; the addressee line has none


@dataclass(frozen=True)
class Notice:
    title: str
    paragraphs: list[Paragraph] = field(default_factory=list)
    issuer: str = ""
    date: str = ""

    @classmethod
    def from_text(cls, title: str, body: str, *, issuer: str, date: str) -> Notice:
        """One paragraph per non-empty line; a first line ending with a colon is the addressee."""
        lines = [line.strip().lstrip("\u3000").strip() for line in body.splitlines()]
        lines = [line for line in lines if line]
        paragraphs = [
            Paragraph(line, indent=not (i == 0 and line.endswith(("：", ":")))) for i, line in enumerate(lines)
        ]
        return cls(" ".join(title.split()), paragraphs, issuer.strip(), date.strip())


# ---------------------------------------------------------------- measures (points)

MM = 72 / 25.4
PAGE_W, PAGE_H = 210 * MM, 297 * MM
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 37 * MM, 35 * MM, 28 * MM, 26 * MM
TEXT_W = PAGE_W - MARGIN_LEFT - MARGIN_RIGHT
BODY_PT = 16  # 3号
TITLE_PT = 22  # 2号
PAGE_NO_PT = 14  # 4号
LINE = 225 * MM / 22  # 22 lines in the 225 mm text block
TITLE_LINE = 35.0
DATE_RIGHT_CHARS = 4  # 成文日期右空四字
ISSUER_MIN_RIGHT_CHARS = 2
SEAL_SPACE_LINES = 2  # blank lines between the text and the issuer: room for the seal

BODY_FONT = "仿宋"
TITLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"


def _ems(text: str) -> float:
    """Width in characters of the body size, for Word (no font metrics there): ASCII is half wide."""
    return sum(0.5 if ord(ch) < 0x2000 else 1.0 for ch in text)


def _signature_indents(issuer: str, date: str) -> tuple[float, float]:
    """Right indents (in characters) of the issuer line and the date line: the date four characters
    from the right, the issuer centred over it; a long issuer keeps two characters and moves the date."""
    w_issuer, w_date = _ems(issuer), _ems(date)
    date_right = float(DATE_RIGHT_CHARS)
    issuer_right = date_right + (w_date - w_issuer) / 2
    if issuer_right < ISSUER_MIN_RIGHT_CHARS:
        issuer_right = ISSUER_MIN_RIGHT_CHARS
        date_right = issuer_right + (w_issuer - w_date) / 2
    return issuer_right, date_right


# ---------------------------------------------------------------- Word


def docx_fonts(rpr_owner, east_asia: str) -> None:
    """A Word run's (or style's) fonts: LATIN_FONT for Latin text, `east_asia` for Chinese, marked zh-CN."""
    from docx.oxml.ns import qn

    rpr = rpr_owner.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:hint"), "eastAsia")
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = rpr.makeelement(qn("w:lang"), {})
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")


def docx_bytes(notice: Notice) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml.ns import qn
    from docx.shared import Pt

    fonts = docx_fonts

    def layout(p, *, align, before: float = 0, after: float = 0, line: float = LINE) -> None:
        f = p.paragraph_format
        f.alignment = align
        f.space_before, f.space_after = Pt(before), Pt(after)
        f.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        f.line_spacing = Pt(line)
        f.widow_control = False

    def run(p, text: str, *, east_asia: str, size: int, bold: bool = False) -> None:
        r = p.add_run(text)
        r.font.size = Pt(size)
        r.font.bold = bold
        fonts(r._r, east_asia)

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Pt(PAGE_W), Pt(PAGE_H)
    section.top_margin, section.bottom_margin = Pt(MARGIN_TOP), Pt(MARGIN_BOTTOM)
    section.left_margin, section.right_margin = Pt(MARGIN_LEFT), Pt(MARGIN_RIGHT)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    fonts(normal.element, BODY_FONT)
    doc.core_properties.title = notice.title
    doc.core_properties.language = "zh-CN"

    title = doc.add_paragraph()
    layout(title, align=WD_ALIGN_PARAGRAPH.CENTER, after=LINE, line=TITLE_LINE)
    run(title, notice.title, east_asia=TITLE_FONT, size=TITLE_PT, bold=True)

    for para in notice.paragraphs:
        p = doc.add_paragraph()
        layout(p, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        if para.indent:
            p.paragraph_format.first_line_indent = Pt(2 * BODY_PT)
            p._p.get_or_add_pPr().get_or_add_ind().set(qn("w:firstLineChars"), "200")
        run(p, para.text, east_asia=BODY_FONT, size=BODY_PT)

    issuer_right, date_right = _signature_indents(notice.issuer, notice.date)
    for text, right, before in ((notice.issuer, issuer_right, SEAL_SPACE_LINES * LINE), (notice.date, date_right, 0)):
        if not text:
            continue
        p = doc.add_paragraph()
        layout(p, align=WD_ALIGN_PARAGRAPH.RIGHT, before=before)
        p.paragraph_format.right_indent = Pt(right * BODY_PT)
        p.paragraph_format.keep_with_next = text == notice.issuer
        run(p, text, east_asia=BODY_FONT, size=BODY_PT)

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- PDF


class FontMissing(ImproperlyConfigured):
    pass


def font_paths() -> tuple[Path, Path]:
    """The regular and bold CJK font files for PDF notices and charts; FontMissing if either is absent."""
    regular, bold = Path(settings.NOTICE_FONT), Path(settings.NOTICE_FONT_BOLD)
    for path in (regular, bold):
        if not path.is_file():
            raise FontMissing(
                f"生成 PDF 需要中文字体文件 {path}，但找不到它。请安装 Debian 软件包 fonts-noto-cjk"
                "（apt-get install fonts-noto-cjk；make install 会自动安装），或者用环境变量 "
                "XINFANG_NOTICE_FONT、XINFANG_NOTICE_FONT_BOLD 指向本机的中文 TrueType/OpenType 字体。"
            )
    return regular, bold


@functools.lru_cache(maxsize=8)
def face_index(path: Path) -> int:
    """The Simplified Chinese face of a font collection (.ttc/.otc); 0 for a single font."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(path), lazy=True)
    names = [str(font["name"].getDebugName(1) or "") for font in collection.fonts]
    for wanted in (" SC", "SC", "GB", "Hans", "CN"):
        for i, name in enumerate(names):
            if name.endswith(wanted) or wanted in name.split():
                return i
    return 0


# Chinese line breaking (禁则): these never start a line, those never end one.
NO_LINE_START = set("，。、；：？！）》」』】〉〕”’…%％,.;:?!)]}·")
NO_LINE_END = set("（《「『【〈〔“‘([{")
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-./:][A-Za-z0-9]+)*|\s+|.", re.DOTALL)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _break_lines(text: str, width_of, first_width: float, width: float) -> list[str]:
    """Greedy line breaking for Chinese: break between any two characters, keep Latin words and
    numbers whole, let closing punctuation hang into the line (it is squeezed when justified), and
    carry an opening bracket or quote to the next line."""
    lines: list[list[str]] = [[]]
    used, avail = 0.0, first_width
    for tok in _tokens(text):
        if tok.isspace():
            if lines[-1]:
                tok = " "
            else:
                continue
        w = width_of(tok)
        line = lines[-1]
        if line and used + w > avail + 0.01:
            if tok in NO_LINE_START and used + w <= avail + width_of("字"):
                line.append(tok)  # hang it: justification squeezes the line
                lines.append([])
                used, avail = 0.0, width
                continue
            carry = []
            while len(line) > 1 and line[-1] in NO_LINE_END:
                carry.insert(0, line.pop())
            while line and line[-1].isspace():
                line.pop()
            lines.append(carry)
            line = lines[-1]
            used, avail = sum(width_of(t) for t in carry), width
            if tok == " ":
                continue
        if not line and w > avail:  # a Latin word longer than the line: cut it
            for ch in tok:
                if used + width_of(ch) > avail and lines[-1]:
                    lines.append([])
                    used = 0.0
                lines[-1].append(ch)
                used += width_of(ch)
            continue
        line.append(tok)
        used += w
    return ["".join(t).rstrip() for t in lines if "".join(t).strip()]


class PdfDocument:
    """An A4 PDF page flow on fpdf2 with the CJK fonts, our own Chinese line breaking and
    justification (character spacing) in points; `y` is the top of the next line."""

    def __init__(self, title: str) -> None:
        from fpdf import FPDF

        regular, bold = font_paths()
        pdf = FPDF(orientation="P", unit="pt", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(MARGIN_LEFT, MARGIN_TOP, MARGIN_RIGHT)
        pdf.add_font("cjk", "", str(regular), collection_font_number=face_index(regular))
        pdf.add_font("cjk", "B", str(bold), collection_font_number=face_index(bold))
        pdf.set_title(title)
        pdf.set_lang("zh-CN")
        pdf.set_creator("Xinfang")
        self.pdf = pdf
        self.y = 0.0
        self.page()

    def page(self) -> None:
        self.pdf.add_page()
        self.y = MARGIN_TOP

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font("cjk", "B" if bold else "", size)
        self.pdf.set_char_spacing(0)

    def width(self, text: str) -> float:
        return self.pdf.get_string_width(text)

    def line(self, text: str, x: float, height: float, spacing: float = 0.0) -> None:
        """One line whose top is at self.y (moving to a new page when it does not fit)."""
        if self.y + height > PAGE_H - MARGIN_BOTTOM + 0.5:
            self.page()
        size = self.pdf.font_size_pt
        baseline = self.y + (height - size) / 2 + size * 0.88
        self.pdf.set_char_spacing(spacing)
        self.pdf.text(x, baseline, text)
        self.pdf.set_char_spacing(0)
        self.y += height

    def paragraph(
        self, text: str, *, size: float, height: float, indent: float = 0.0, align: str = "J", bold: bool = False
    ) -> None:
        self.font(size, bold)
        lines = _break_lines(text, self.width, TEXT_W - indent, TEXT_W)
        for i, line in enumerate(lines):
            start = indent if i == 0 else 0.0
            natural = self.width(line)
            spacing, x = 0.0, MARGIN_LEFT + start
            if align == "C":
                x = MARGIN_LEFT + (TEXT_W - natural) / 2
            elif align == "J" and i < len(lines) - 1 and len(line) > 1:
                spacing = (TEXT_W - start - natural) / (len(line) - 1)
                if spacing > size / 2:  # a line cut short by a long word: leave it ragged
                    spacing = 0.0
            self.line(line, x, height, spacing)

    def page_numbers(self) -> None:
        """— 1 — under the text block, when there is more than one page."""
        pdf = self.pdf
        total = pdf.pages_count
        if total < 2:
            return
        for n in range(1, total + 1):
            pdf.page = n
            self.font(PAGE_NO_PT)
            label = f"— {n} —"
            pdf.text(
                MARGIN_LEFT + (TEXT_W - self.width(label)) / 2, PAGE_H - MARGIN_BOTTOM + 7 * MM + PAGE_NO_PT, label
            )


def pdf_bytes(notice: Notice) -> bytes:
    doc = PdfDocument(notice.title)
    doc.paragraph(notice.title, size=TITLE_PT, height=TITLE_LINE, align="C", bold=True)
    doc.y += LINE  # a blank line under the title
    for para in notice.paragraphs:
        doc.paragraph(para.text, size=BODY_PT, height=LINE, indent=2 * BODY_PT if para.indent else 0.0)

    doc.font(BODY_PT)
    right_edge = MARGIN_LEFT + TEXT_W
    needed = (SEAL_SPACE_LINES + 2) * LINE
    if doc.y + needed > PAGE_H - MARGIN_BOTTOM + 0.5:
        doc.page()
    else:
        doc.y += SEAL_SPACE_LINES * LINE
    # The same rule as in Word, with real widths: the date four characters from the right, the
    # issuer centred over it (a long issuer two characters from the right, the date under its centre).
    w_issuer, w_date = doc.width(notice.issuer), doc.width(notice.date)
    date_x = right_edge - DATE_RIGHT_CHARS * BODY_PT - w_date
    issuer_x = date_x + (w_date - w_issuer) / 2
    if issuer_x + w_issuer > right_edge - ISSUER_MIN_RIGHT_CHARS * BODY_PT:
        issuer_x = right_edge - ISSUER_MIN_RIGHT_CHARS * BODY_PT - w_issuer
        date_x = issuer_x + (w_issuer - w_date) / 2
    if notice.issuer:
        doc.line(notice.issuer, issuer_x, LINE)
    if notice.date:
        doc.line(notice.date, date_x, LINE)
    doc.page_numbers()
    return bytes(doc.pdf.output())
