"""Reads of the stored reports: who may see which. A report states figures of a whole region, so it is
listed to those who reach that whole region (xinfang.org.scope): an administrator, and the bureau staff,
leaders and supervisors of a unit whose region contains it."""

from __future__ import annotations

from django.db.models import QuerySet

from xinfang.org.models import User
from xinfang.org.scope import scope_for
from xinfang.reports.models import Report


def report_list_for(user: User, kind: str = "") -> QuerySet[Report]:
    """The reports the user may see, newest period first, without their documents (read on download)."""
    qs = scope_for(user).regions(Report.objects).select_related("region").defer("docx", "pdf", "figures")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-period_start", "kind", "region__code")


def report_get_for(user: User, pk: int) -> Report:
    """Report.DoesNotExist if missing or not the user's to see (the same answer)."""
    return scope_for(user).regions(Report.objects).get(pk=pk)
