"""Reads of the stored reports: who may see which. A report states figures of a whole region, so it is
listed to those who may see that whole region: an administrator, and the bureau staff, leaders and
supervisors of a unit whose region contains it (the region roles of the visibility rule)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from xinfang.org.models import Role, User
from xinfang.petitions.selectors import REGION_ROLES
from xinfang.reports.models import Report


def report_scope(user: User) -> Q:
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.role == Role.ADMIN or user.is_superuser:
        return Q()
    if user.unit_id is None or user.role not in REGION_ROLES:
        return Q(pk__in=[])
    return Q(region__prefix__startswith=user.unit.region.prefix)


def report_list_for(user: User, kind: str = "") -> QuerySet[Report]:
    """The reports the user may see, newest period first, without their documents (read on download)."""
    qs = Report.objects.filter(report_scope(user)).select_related("region").defer("docx", "pdf", "figures")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-period_start", "kind", "region__code")


def report_get_for(user: User, pk: int) -> Report:
    """Report.DoesNotExist if missing or not the user's to see (the same answer)."""
    return Report.objects.filter(report_scope(user)).get(pk=pk)
