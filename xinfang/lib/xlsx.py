"""The one Excel writer of every export (work queue, supervision, follow-up, ranking, the admin's audit log).

A cell a spreadsheet could read as a formula is written inert (OWASP "CSV injection", which applies to
.xlsx as much): text starting with =, +, -, @, a tab or a carriage return gets a leading apostrophe and
is stored as a string, never as a formula, so a petitioner's title "=HYPERLINK(...)" or a user name
typed at the sign-in form shows as the text it is. Characters XML cannot carry (NUL and the other
control characters) are dropped instead of failing the export.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_MAX_ROWS = 100_000  # a bigger list is cut here, with a note in the last row
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class Formatted:
    """A value with its own number format (e.g. a timestamp to the second)."""

    value: object
    number_format: str


def inert(text: str) -> str:
    """`text` as a spreadsheet shows it and never evaluates it."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(ws, value: object):
    from openpyxl.cell import WriteOnlyCell

    number_format = None
    if isinstance(value, Formatted):
        value, number_format = value.value, value.number_format
    if isinstance(value, dt.datetime):
        value = value.replace(tzinfo=None)
        number_format = number_format or DATETIME_FORMAT
    elif isinstance(value, dt.date):
        number_format = number_format or DATE_FORMAT
    elif value is not None and not isinstance(value, (int, float)):
        value = inert(str(value))
    c = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        c.data_type = "s"  # openpyxl would store a leading "=" as a formula otherwise
    if number_format:
        c.number_format = number_format
    return c


def xlsx_write(
    sheet: str, header: Sequence[str], rows: Iterable[Sequence[object]], max_rows: int | None = None
) -> bytes:
    """A write-only workbook (memory does not grow with the rows) of `rows` under `header`, at most
    `max_rows` (EXPORT_MAX_ROWS) rows, then a note that the list was cut."""
    from openpyxl import Workbook

    limit = EXPORT_MAX_ROWS if max_rows is None else max_rows
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    ws.append([_cell(ws, h) for h in header])
    for n, row in enumerate(rows):
        if n == limit:
            ws.append(
                [
                    _("Only the first %(n)s rows are exported: narrow the filters to export the rest.")
                    % {"n": f"{limit:,}"}
                ]
            )
            break
        ws.append([_cell(ws, v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
