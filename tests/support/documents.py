"""What a printed notice says: the text of a PDF (shared by the notice and supervision tests)."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader


def pdf_text(body: bytes) -> str:
    """The PDF's text without the spaces and line breaks the layout put in. pypdf reads the two-byte
    codes of fpdf2's embedded encoding CMap as one-byte ones and puts a NUL before every character;
    poppler reads the same file cleanly (test_pdftotext_reads_the_pdf)."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    return re.sub(r"\s+", "", text.replace("\x00", ""))
