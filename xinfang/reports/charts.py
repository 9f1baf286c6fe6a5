"""Charts of the report documents as PNG, drawn with Pillow (already installed: fpdf2 needs it) in the
CJK font the PDF notices embed (settings.NOTICE_FONT, its Simplified Chinese face). The same picture goes
into the Word document (python-docx places pictures only) and the PDF, so the two look alike.

Two kinds, enough for the four reports: horizontal bars (a figure per category, channel, place or unit,
largest first) and columns over days (a series per day, with the days labelled every few columns).
Drawn at three times the printed size and reduced, so that lines and letters are smooth.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings

from xinfang.documents.layout import face_index, font_paths

SCALE = 3
WIDTH = 640  # px at 1x; the documents scale it to the text width (156 mm): 12 px ≈ 8.5 pt
BAR_ROW = 26  # height of one bar row
INK = (40, 40, 40)
GRID = (215, 215, 215)
BAR = (196, 61, 52)  # the dashboard's red
BAR_2 = (70, 110, 170)
MUTED = (120, 120, 120)


@functools.lru_cache(maxsize=16)
def _font(size: int, bold: bool = False):
    from PIL import ImageFont

    regular, heavy = font_paths()
    path = Path(heavy if bold else regular)
    return ImageFont.truetype(str(path), size * SCALE, index=face_index(path))


def _png(image) -> bytes:
    from PIL import Image

    small = image.resize((image.width // SCALE, image.height // SCALE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _text_w(draw, text: str, font) -> float:
    return draw.textlength(text, font=font)


def _fit(draw, text: str, font, width: float) -> str:
    """`text`, cut with an ellipsis to `width`."""
    if _text_w(draw, text, font) <= width:
        return text
    while text and _text_w(draw, text + "…", font) > width:
        text = text[:-1]
    return text + "…"


def bar_chart_png(
    title: str, labels: Sequence[str], values: Sequence[int | float], *, unit: str = "件", width: int = WIDTH
) -> bytes:
    """Horizontal bars, one row per label in the order given, the value written after each bar."""
    from PIL import Image, ImageDraw

    s = SCALE
    rows = max(1, len(labels))
    title_h, pad = 40, 12
    height = title_h + rows * BAR_ROW + 2 * pad
    image = Image.new("RGB", (width * s, height * s), "white")
    draw = ImageDraw.Draw(image)
    title_font, label_font = _font(15, bold=True), _font(12)
    draw.text((pad * s, pad * s), title, font=title_font, fill=INK)
    label_w = min(200, max([_text_w(draw, str(x), label_font) / s for x in labels] + [40]) + 10)
    value_w = max([_text_w(draw, f"{v:,}{unit}", label_font) / s for v in values] + [40]) + 10
    left, right = pad + label_w, width - pad - value_w
    top = title_h + pad
    largest = max([v for v in values] + [0]) or 1
    if not labels:
        draw.text((left * s, top * s), "（无数据）", font=label_font, fill=MUTED)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * BAR_ROW
        text = _fit(draw, str(label), label_font, (label_w - 10) * s)
        draw.text(((left - 8) * s, (y + BAR_ROW / 2) * s), text, font=label_font, fill=INK, anchor="rm")
        length = (right - left) * value / largest
        if value:
            draw.rectangle([left * s, (y + 5) * s, (left + max(length, 1.5)) * s, (y + BAR_ROW - 5) * s], fill=BAR)
        draw.text(
            ((left + length + 6) * s, (y + BAR_ROW / 2) * s), f"{value:,}{unit}", font=label_font, fill=INK, anchor="lm"
        )
    draw.line([left * s, top * s, left * s, (top + rows * BAR_ROW) * s], fill=MUTED, width=s)
    return _png(image)


def _nice_step(largest: float, ticks: int = 4) -> int:
    """A round step (1, 2, 5 × 10ⁿ) that divides 0..largest into about `ticks` parts."""
    raw = max(largest / ticks, 1)
    magnitude = 10 ** (len(str(int(raw))) - 1)
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def column_chart_png(
    title: str,
    labels: Sequence[str],
    values: Sequence[int | float],
    *,
    unit: str = "件",
    width: int = WIDTH,
    height: int = 220,
) -> bytes:
    """Columns in the order given (days, usually), with a value axis and every few labels shown."""
    from PIL import Image, ImageDraw

    s = SCALE
    image = Image.new("RGB", (width * s, height * s), "white")
    draw = ImageDraw.Draw(image)
    title_font, small = _font(15, bold=True), _font(11)
    pad, title_h, axis_h = 12, 40, 26
    draw.text((pad * s, pad * s), f"{title}（{unit}）", font=title_font, fill=INK)
    largest = max(list(values) + [0])
    step = _nice_step(largest)
    top_value = max(step, -(-largest // step) * step)
    axis_w = _text_w(draw, f"{top_value:,}", small) / s + 10
    left, right = pad + axis_w, width - pad
    top, bottom = title_h + pad, height - axis_h
    for tick in range(0, int(top_value) + 1, int(step)):
        y = bottom - (bottom - top) * tick / top_value
        draw.line([left * s, y * s, right * s, y * s], fill=GRID, width=s)
        draw.text(((left - 5) * s, y * s), f"{tick:,}", font=small, fill=MUTED, anchor="rm")
    n = max(1, len(values))
    slot = (right - left) / n
    every = max(1, -(-n // 12))  # at most about 12 labels under the axis
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x0 = left + i * slot + slot * 0.15
        x1 = left + (i + 1) * slot - slot * 0.15
        y = bottom - (bottom - top) * value / top_value
        if value:
            draw.rectangle([x0 * s, y * s, x1 * s, bottom * s], fill=BAR_2)
        if n <= 16 and value:
            draw.text((((x0 + x1) / 2) * s, (y - 2) * s), f"{value:,}", font=small, fill=INK, anchor="md")
        if i % every == 0:
            draw.text((((x0 + x1) / 2) * s, (bottom + 5) * s), str(label), font=small, fill=INK, anchor="ma")
    draw.line([left * s, bottom * s, right * s, bottom * s], fill=MUTED, width=s)
    return _png(image)


def font_available() -> bool:
    return Path(settings.NOTICE_FONT).is_file()
