"""The work queue: the open petitions the user's unit owns, filtered, counted per tab and exported.

Every list here starts from selectors.petition_list_for (the one visibility rule) and costs a
fixed number of queries whatever the number of rows.
"""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from xinfang.org.models import User
from xinfang.petitions.models import Petition
from xinfang.petitions.selectors import petition_list_for
from xinfang.petitions.services import query_code_display
from xinfang.petitions.workflow import OPEN_STATES
from xinfang.workbench.forms import QUEUE_TABS, SORTS, QueueFilterForm

ROW_RELATED = ("category", "region", "region__parent")


def open_owned(user: User) -> QuerySet[Petition]:
    """The open petitions the user's unit owns (empty for a user without a unit)."""
    if user.unit_id is None:
        return Petition.objects.none()
    return petition_list_for(user).filter(owner_unit_id=user.unit_id, state__in=OPEN_STATES)


def tab_counts(user: User, today: dt.date) -> dict[str, int]:
    """How many petitions each tab holds, in one query."""
    counts = open_owned(user).aggregate(**{key: Count("pk", filter=q(today)) for key, (_label, q) in QUEUE_TABS.items()})
    return {key: counts[key] or 0 for key in QUEUE_TABS}


def filtered(user: User, form: QueueFilterForm, today: dt.date) -> QuerySet[Petition]:
    """The queue after the tab, filters and sort of `form` (an invalid value is ignored)."""
    qs = open_owned(user)
    data = form.cleaned_data if form.is_valid() else {}
    tab = data.get("tab") or "all"
    qs = qs.filter(QUEUE_TABS[tab][1](today))
    for field in ("channel", "kind", "state"):
        if data.get(field):
            qs = qs.filter(**{field: data[field]})
    if data.get("region"):
        qs = qs.filter(region__prefix__startswith=data["region"])
    tz = timezone.get_current_timezone()
    if data.get("received_from"):
        qs = qs.filter(received_at__gte=dt.datetime.combine(data["received_from"], dt.time.min, tzinfo=tz))
    if data.get("received_to"):
        end = data["received_to"] + dt.timedelta(days=1)
        qs = qs.filter(received_at__lt=dt.datetime.combine(end, dt.time.min, tzinfo=tz))
    order = SORTS[data.get("sort") or "due"][1]
    return qs.select_related(*ROW_RELATED).order_by(*order)


@dataclass
class Row:
    petition: Petition
    days_left: int | None

    @property
    def urgency(self) -> str:
        """A CSS class by time left: overdue, today, soon (≤3 days), near (≤7 days), ok, none."""
        d = self.days_left
        if d is None:
            return "none"
        if d < 0:
            return "overdue"
        if d == 0:
            return "today"
        if d <= 3:
            return "soon"
        if d <= 7:
            return "near"
        return "ok"

    @property
    def time_left(self) -> str:
        d = self.days_left
        if d is None:
            return "—"
        if d < 0:
            return _("%(n)s days overdue") % {"n": -d}
        if d == 0:
            return _("due today")
        return _("%(n)s days left") % {"n": d}

    @property
    def place(self) -> str:
        r = self.petition.region
        return f"{r.parent.name} · {r.name}" if r.level == 5 and r.parent else r.name


def rows(petitions: Iterable[Petition], today: dt.date) -> list[Row]:
    return [Row(p, (p.due_on - today).days if p.due_on else None) for p in petitions]


def export_xlsx(petitions: Iterable[Petition], today: dt.date) -> bytes:
    """The rows as an .xlsx workbook (write-only: memory does not grow with the styles of each cell)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("work queue"))
    ws.append([_("query code"), _("title"), _("channel"), _("kind"), _("category"), _("place"), _("state"),
               _("priority"), _("received at"), _("due on"), _("time left")])
    def cell(value: object, number_format: str) -> WriteOnlyCell:
        c = WriteOnlyCell(ws, value=value)
        c.number_format = number_format
        return c

    for row in rows(petitions, today):
        p = row.petition
        received = timezone.localtime(p.received_at).replace(tzinfo=None, second=0, microsecond=0)
        ws.append([
            query_code_display(p.query_code), p.title, p.get_channel_display(), p.get_kind_display(),
            p.category.path if p.category else "", row.place, p.get_state_display(), p.get_priority_display(),
            cell(received, "yyyy-mm-dd hh:mm"), cell(p.due_on, "yyyy-mm-dd") if p.due_on else None, row.time_left,
        ])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
