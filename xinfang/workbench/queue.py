"""The work queue's rows and its Excel export. What a queue holds is decided by
workbench.selectors.petition_queue_for (which starts from the one visibility rule); this module only
presents it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from xinfang.lib.xlsx import xlsx_write
from xinfang.petitions.models import Channel, Kind, Petition, Priority, State
from xinfang.petitions.services import query_code_display
from xinfang.workbench.selectors import QUEUE_SORTS

ROW_RELATED = ("category", "region", "region__parent")


def export_order(qs: QuerySet[Petition], sort: str) -> QuerySet[Petition]:
    """The export's order: the page's order, undated rows last."""
    order = [
        F(f[1:]).desc(nulls_last=True) if f.startswith("-") else F(f).asc(nulls_last=True) for f in QUEUE_SORTS[sort]
    ]
    return qs.order_by(*order)


@dataclass
class Row:
    """One petition of a queue with what its cells show, worked out once (the page shows 50 rows:
    `get_FOO_display` and `{% url %}` per cell were a third of the page's time)."""

    petition: Petition
    days_left: int | None
    href: str = ""
    channel: str = ""
    kind: str = ""
    state: str = ""
    priority: str = ""

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

    @property
    def html(self) -> SafeString:
        """The row's <tr>, escaped by format_html. Built here rather than cell by cell in the template:
        fifty rows of eleven cells were half of a queue page's time."""
        p = self.petition
        priority = (
            format_html('<span class="prio prio-{}">{}</span>', p.priority, self.priority)
            if p.priority
            else self.priority
        )
        received = timezone.localtime(p.received_at).strftime("%Y-%m-%d %H:%M")
        return format_html(
            '<tr class="u-{}"><td class="left">{}</td><td class="nowrap">{}</td>'
            '<td class="mono"><a href="{}">{}</a></td><td><a href="{}">{}</a></td>'
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            '<td class="nowrap">{}</td></tr>',
            self.urgency,
            self.time_left,
            p.due_on.isoformat() if p.due_on else "—",
            self.href,
            p.query_code,
            self.href,
            Truncator(p.title).chars(30),
            self.channel,
            self.kind,
            p.category.name if p.category_id else "—",
            self.place,
            self.state,
            priority,
            received,
        )


def rows(petitions: Iterable[Petition], today: dt.date) -> list[Row]:
    labels = {
        name: {k: str(v) for k, v in choices.choices}
        for name, choices in (("channel", Channel), ("kind", Kind), ("state", State), ("priority", Priority))
    }
    href = reverse("workbench:petition", args=[0])[:-2]  # "/p/"
    return [
        Row(
            p,
            (p.due_on - today).days if p.due_on else None,
            href=f"{href}{p.pk}/",
            channel=labels["channel"].get(p.channel, p.channel),
            kind=labels["kind"].get(p.kind, p.kind),
            state=labels["state"].get(p.state, p.state),
            priority=labels["priority"].get(p.priority, ""),
        )
        for p in petitions
    ]


def export_xlsx(petitions: Iterable[Petition], today: dt.date) -> bytes:
    """The rows as an .xlsx workbook (lib.xlsx: write-only, inert, cut at EXPORT_MAX_ROWS with a note)."""
    header = [
        _("query code"),
        _("title"),
        _("channel"),
        _("kind"),
        _("category"),
        _("place"),
        _("state"),
        _("priority"),
        _("received at"),
        _("due on"),
        _("time left"),
    ]

    def cells(p: Petition) -> list[object]:
        row = Row(p, (p.due_on - today).days if p.due_on else None)
        received = timezone.localtime(p.received_at).replace(second=0, microsecond=0)
        return [
            query_code_display(p.query_code),
            p.title,
            p.get_channel_display(),
            p.get_kind_display(),
            p.category.path if p.category else "",
            row.place,
            p.get_state_display(),
            p.get_priority_display(),
            received,
            p.due_on,
            row.time_left,
        ]

    return xlsx_write(_("work queue"), header, (cells(p) for p in petitions))
