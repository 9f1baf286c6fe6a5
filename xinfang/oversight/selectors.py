"""Reads of supervision (督办), recommendations, follow-ups (回访) and findings (假化解).

What a user sees of a petition's supervision follows the one visibility rule (`petition_list_for`); a
supervision of a whole unit is seen by those who reach the unit (xinfang.org.scope: the bureau staff,
leaders and supervisors of its region or any region above, administrators, and the unit's own staff;
`supervision_visibility`). The assessment work reads findings per unit and month through
`findings_per_unit_month`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Mod, TruncMonth
from django.utils import timezone

from xinfang.org.models import Unit, User
from xinfang.org.scope import scope_for
from xinfang.oversight.models import (
    AWAITING_ANSWER,
    Finding,
    FollowUp,
    FollowUpRule,
    Recommendation,
    RecommendationState,
    Supervision,
)
from xinfang.petitions.models import Decision, Measure, Petition, State
from xinfang.petitions.selectors import petition_list_for

# Concluded petitions (办结: the handling unit has given its written reply) that a follow-up may check.
FOLLOW_UP_STATES = (State.DECIDED, State.EVALUATED, State.REVIEWED, State.REEXAMINED, State.CLOSED)
SAMPLE_SPREAD = 37  # the sample takes the petitions whose (id × 37) mod 100 is below the percentage


def supervision_visibility(user: User) -> Q:
    """The supervisions `user` may see, as a filter on Supervision: of a petition the user may see, or of
    a whole unit the user reaches (org.scope)."""
    visible = petition_list_for(user).values("pk")
    units = scope_for(user).units(Unit.objects, "").values("pk")
    return Q(petition__in=visible) | Q(petition__isnull=True, unit__in=units)


def supervision_list_for(user: User) -> QuerySet[Supervision]:
    return Supervision.objects.filter(supervision_visibility(user))


def supervision_get_for(user: User, pk: int) -> Supervision:
    """The supervision if `user` may see it; Supervision.DoesNotExist otherwise."""
    return (
        supervision_list_for(user)
        .select_related(
            "petition", "unit", "unit__region", "supervising_unit", "opened_by", "answered_by", "closed_by", "rule"
        )
        .get(pk=pk)
    )


def overdue_q(today: dt.date) -> Q:
    """Supervisions whose answer is late: still owed and past its date."""
    return Q(is_open=True, state__in=AWAITING_ANSWER, answer_due_on__lt=today)


@dataclass(frozen=True)
class SupervisionQuery:
    subject: str = ""  # "petition" | "unit" | ""
    mode: str = ""
    state: str = ""  # a SupervisionState, or "open" / "overdue"
    source: str = ""  # "manual" | "rule" | ""
    unit: int | None = None
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None


def supervision_search_for(user: User, query: SupervisionQuery, today: dt.date | None = None) -> QuerySet[Supervision]:
    """The supervision list (督办台账) of `user`, filtered, most urgent first; rows carry what the page
    and the export show (one query)."""
    today = today or timezone.localdate()
    qs = supervision_list_for(user)
    if query.subject == "petition":
        qs = qs.filter(petition__isnull=False)
    elif query.subject == "unit":
        qs = qs.filter(petition__isnull=True)
    if query.mode:
        qs = qs.filter(mode=query.mode)
    if query.state == "open":
        qs = qs.filter(is_open=True)
    elif query.state == "overdue":
        qs = qs.filter(overdue_q(today))
    elif query.state:
        qs = qs.filter(state=query.state)
    if query.source == "manual":
        qs = qs.filter(rule__isnull=True)
    elif query.source == "rule":
        qs = qs.filter(rule__isnull=False)
    if query.unit:
        qs = qs.filter(unit_id=query.unit)
    if query.opened_from:
        qs = qs.filter(opened_at__date__gte=query.opened_from)
    if query.opened_to:
        qs = qs.filter(opened_at__date__lte=query.opened_to)
    return qs.select_related("petition", "unit", "supervising_unit", "rule").order_by(
        "-is_open", "answer_due_on", "-pk"
    )


def supervision_counts_for(user: User, today: dt.date | None = None) -> dict[str, int]:
    """Open, answered (to check) and overdue supervisions the user may see (one query)."""
    today = today or timezone.localdate()
    return supervision_list_for(user).aggregate(
        open=Count("pk", filter=Q(is_open=True)),
        answered=Count("pk", filter=Q(is_open=True, state="answered")),
        overdue=Count("pk", filter=overdue_q(today)),
    )


# ---------------------------------------------------------------- recommendations


def recommendation_visibility(user: User) -> Q:
    """Recommendations about a petition the user may see or a unit in the user's reach, and those
    addressed to the user's unit."""
    visible = petition_list_for(user).values("pk")
    units = scope_for(user).units(Unit.objects, "").values("pk")
    q = Q(petition__in=visible) | Q(petition__isnull=True, about_unit__in=units)
    return q | Q(to_unit_id=user.unit_id) if user.unit_id else q


def recommendation_list_for(user: User, *, state: str = "", kind: str = "") -> QuerySet[Recommendation]:
    qs = Recommendation.objects.filter(recommendation_visibility(user))
    if state == "overdue":
        qs = qs.filter(
            state__in=(RecommendationState.WAITING, RecommendationState.RETURNED), due_on__lt=timezone.localdate()
        )
    elif state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("petition", "about_unit", "to_unit", "made_by").order_by("state", "due_on", "-pk")


def recommendation_get_for(user: User, pk: int) -> Recommendation:
    return recommendation_list_for(user).get(pk=pk)


# ---------------------------------------------------------------- follow-up (回访)


def latest_decision(petition_ref: OuterRef | int):
    """The latest decision of a petition (the one its conclusion rests on), as a subquery base."""
    return Decision.objects.filter(petition=petition_ref).order_by("-decided_on", "-pk")


def follow_up_due_for(user: User, today: dt.date | None = None) -> QuerySet[Petition]:
    """Concluded petitions the user may see that an active sample rule selects and nobody has followed
    up yet, the longest-waiting first; each carries `concluded_on` and `concluded_measure` (one query)."""
    today = today or timezone.localdate()
    rules = list(FollowUpRule.objects.filter(is_active=True))
    if not rules:
        return Petition.objects.none()
    latest = latest_decision(OuterRef("pk"))
    qs = (
        petition_list_for(user)
        .filter(state__in=FOLLOW_UP_STATES)
        .annotate(
            concluded_on=Subquery(latest.values("decided_on")[:1]),
            concluded_measure=Subquery(latest.values("measure")[:1]),
            sample=Mod(F("pk") * SAMPLE_SPREAD, Value(100), output_field=IntegerField()),
        )
        .filter(concluded_on__isnull=False)
        .exclude(Exists(FollowUp.objects.filter(petition=OuterRef("pk"))))
    )
    chosen = Q(pk__in=[])
    for rule in rules:
        q = Q(concluded_on__gte=today - dt.timedelta(days=rule.within_days), sample__lt=rule.percent)
        if rule.resolved_only:
            q &= Q(concluded_measure=Measure.RESOLVED)
        chosen |= q
    return qs.filter(chosen).select_related("owner_unit", "region", "category").order_by("concluded_on", "pk")


def follow_up_list_for(user: User, petition: Petition) -> list[FollowUp]:
    return list(FollowUp.objects.filter(petition=petition).select_related("by", "by_unit").order_by("at", "pk"))


def finding_list_for(user: User) -> QuerySet[Finding]:
    return (
        Finding.objects.filter(petition__in=petition_list_for(user).values("pk"))
        .select_related("unit", "petition", "follow_up", "supervision")
        .order_by("-found_on", "-pk")
    )


def findings_per_unit_month(
    start: dt.date, end: dt.date, *, units: list[int] | None = None
) -> list[tuple[int, dt.date, int]]:
    """Findings of fake resolution (假化解) per unit and month, found from `start` to `end` inclusive:
    (unit id, first day of the month, count), ordered by unit and month. One query; for the assessment
    of units (the deduction they bring is decided there)."""
    qs = Finding.objects.filter(found_on__gte=start, found_on__lte=end)
    if units is not None:
        qs = qs.filter(unit_id__in=units)
    rows = (
        qs.annotate(month=TruncMonth("found_on"))
        .values("unit_id", "month")
        .annotate(n=Count("pk"))
        .order_by("unit_id", "month")
    )
    return [(r["unit_id"], r["month"] if isinstance(r["month"], dt.date) else r["month"].date(), r["n"]) for r in rows]


def follow_up_counts_per_unit_month(start: dt.date, end: dt.date) -> list[tuple[int, dt.date, int, int]]:
    """Follow-ups per handling unit and month: (unit id, month, follow-ups that reached the petitioner,
    of which the petitioner said the matter is really settled). One query."""
    rows = (
        FollowUp.objects.filter(at__date__gte=start, at__date__lte=end, reached=True)
        .annotate(month=TruncMonth("at"), unit=F("petition__owner_unit_id"))
        .values("unit", "month")
        .annotate(n=Count("pk"), settled=Count("pk", filter=Q(settled=True)))
        .order_by("unit", "month")
    )
    return [
        (
            r["unit"],
            timezone.localtime(r["month"]).date() if isinstance(r["month"], dt.datetime) else r["month"],
            r["n"],
            r["settled"],
        )
        for r in rows
    ]
