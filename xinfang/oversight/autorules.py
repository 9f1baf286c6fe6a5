"""Automatic supervision rules (自动督办规则): `manage.py supervision_rules_apply` puts the open petitions
that an active SupervisionRule matches on the supervision list by themselves.

Each rule is one SQL select over the open petitions of its place (`rule_matches`): received more than N
days ago; N or more people; N or more petitions on the same matter (this one and the ones linked to it);
or high attention (urgent or special priority, or a member of a hot issue of the latest build). Left out:
petitions under supervision now, and petitions this rule has put on the list before (a supervisor who
ended the item is not overruled by the rule) — so running it twice changes nothing. Only the matches are
read one by one, each opened in its own transaction with its event (`services.supervision_auto_open`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from xinfang.org.models import Unit, UnitKind
from xinfang.oversight.models import HotIssue, HotIssueMember, RuleKind, Supervision, SupervisionRule
from xinfang.oversight.services import supervision_auto_open
from xinfang.petitions.models import Petition, Priority
from xinfang.petitions.workflow import OPEN_STATES


def _same_matter_count() -> Subquery:
    through = Petition.related.through
    return Subquery(
        through.objects.filter(from_petition=OuterRef("pk"))
        .values("from_petition")
        .annotate(n=Count("pk"))
        .values("n")[:1],
        output_field=IntegerField(),
    )


def _latest_hot_title() -> Subquery:
    latest = HotIssue.objects.order_by("-built_at").values("built_at")[:1]
    return Subquery(
        HotIssueMember.objects.filter(petition=OuterRef("pk"), hot_issue__built_at=Subquery(latest)).values(
            "hot_issue__title"
        )[:1]
    )


def _scope(rule: SupervisionRule) -> Q:
    region = rule.region or (rule.unit.region if rule.unit else None)
    return Q(region__prefix__startswith=region.prefix) if region else Q()


def rule_matches(rule: SupervisionRule, now: dt.datetime) -> QuerySet[Petition]:
    """The open petitions `rule` puts on the supervision list now (one SQL select)."""
    qs = (
        Petition.objects.filter(_scope(rule), state__in=sorted(OPEN_STATES))
        .exclude(Exists(Supervision.objects.filter(petition=OuterRef("pk"), is_open=True)))
        .exclude(Exists(Supervision.objects.filter(petition=OuterRef("pk"), rule=rule)))
    )
    n = rule.threshold
    if rule.kind == RuleKind.OPEN_DAYS:
        qs = qs.filter(received_at__lt=now - dt.timedelta(days=n))
    elif rule.kind == RuleKind.HEADCOUNT:
        qs = qs.filter(headcount__gte=n)
    elif rule.kind == RuleKind.REPEATS:
        qs = qs.annotate(same_matter=Coalesce(_same_matter_count(), 0) + 1).filter(same_matter__gte=n)
    elif rule.kind == RuleKind.ATTENTION:
        qs = qs.annotate(hot_title=_latest_hot_title()).filter(
            Q(priority__gte=Priority.URGENT) | Q(hot_title__isnull=False)
        )
    else:
        return Petition.objects.none()
    return qs.annotate(region_prefix=F("region__prefix")).order_by("pk")


def _reason(rule: SupervisionRule, p: Petition, now: dt.datetime) -> str:
    if rule.kind == RuleKind.OPEN_DAYS:
        days = (timezone.localdate(now) - timezone.localdate(p.received_at)).days
        detail = f"{timezone.localdate(p.received_at):%Y-%m-%d}收到，已{days}日仍未办结"
    elif rule.kind == RuleKind.HEADCOUNT:
        detail = f"{p.headcount}人集体反映"
    elif rule.kind == RuleKind.REPEATS:
        detail = f"同一事项已信访{p.same_matter}次"
    elif p.priority >= Priority.URGENT:
        detail = f"优先级为“{Priority(p.priority).label}”"
    else:
        detail = f"属于热点问题“{p.hot_title}”"
    return f"自动督办（{rule.name}）：{detail}。"


def _bureaus() -> list[tuple[str, Unit]]:
    """The petition bureaus, the deepest region first (the one nearest above a place comes first)."""
    rows = Unit.objects.filter(kind=UnitKind.BUREAU, is_active=True).select_related("region")
    return sorted(((u.region.prefix, u) for u in rows), key=lambda t: -len(t[0]))


def _bureau_for(prefix: str, bureaus: list[tuple[str, Unit]]) -> Unit | None:
    return next((u for p, u in bureaus if prefix.startswith(p)), None)


def rules_apply(now: dt.datetime | None = None, rules: Iterable[SupervisionRule] | None = None) -> dict[str, int]:
    """Apply the active rules (or `rules`) once: {rule name: petitions put on the list}."""
    now = now or timezone.now()
    rules = list(
        rules
        if rules is not None
        else SupervisionRule.objects.filter(is_active=True).select_related("unit", "unit__region", "region")
    )
    bureaus = _bureaus() if any(r.unit_id is None for r in rules) else []
    done: dict[str, int] = {}
    for rule in rules:
        count = 0
        for p in rule_matches(rule, now).iterator(chunk_size=500):
            unit = rule.unit or _bureau_for(p.region_prefix, bureaus)
            if supervision_auto_open(p.pk, rule=rule, reason=_reason(rule, p, now), supervising_unit=unit, at=now):
                count += 1
        done[rule.name] = count
    return done
