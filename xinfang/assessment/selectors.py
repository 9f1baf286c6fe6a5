"""Reads of the assessment tables: statistics for dashboards and reports (fact_sums), the monthly
ranking and each score's explanation. Nothing here reads petitions: only DailyFact, UnitMonth and the
published MonthRank rows."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Substr, TruncMonth

from xinfang.assessment import indicators
from xinfang.assessment.models import (
    MEASURES,
    AssessmentSettings,
    DailyFact,
    IndicatorWeight,
    KeyManagement,
    MonthClose,
    MonthRank,
    PlaceDay,
    PlaceMonth,
    QualitativeScore,
    RuleFiring,
    UnitMonth,
)
from xinfang.lib.months import month_bounds, month_start
from xinfang.org.models import PREFIX_LENGTH, Region, RegionLevel, Unit, User
from xinfang.org.roles import ROLES_WHO_SEE_THE_RANKING
from xinfang.org.scope import scope_for
from xinfang.petitions.selectors import accusation_against, accused_of

# ---------------------------------------------------------------- statistics (dashboards, reports)


def facts_scope_for(user: User) -> Q:
    """The DailyFact rows a user may see, as petitions.selectors.petition_visibility draws it from the
    user's scope (xinfang.org.scope): an administrator all; everyone with a unit their unit's rows, and
    bureau staff, leaders and supervisors also the rows placed in their unit's region subtree. Never the
    accusations against the user or the user's unit (Art. 30)."""
    scope = scope_for(user)
    if scope.nothing:
        return Q(pk__in=[])
    return scope.own_or_region_q(scope.own_unit_q("unit")) & ~accused_of(user)


def place_scope_for(user: User) -> Q:
    """The PlaceMonth and PlaceDay rows (the dashboard's roll-ups, which have no unit and no kind) a user
    may see: facts_scope_for's area without its unit branch, the regions the user's scope reaches. An
    administrator all; bureau staff, leaders and supervisors what is placed in their unit's region
    subtree; nobody else any. Never the accusations against the user or the user's unit (Art. 30:
    accusation_against, as the roll-ups keep the accused of accusations only). So a dashboard counts what
    happened in the user's area (属地), and leaves out the rare petition the user's unit owns about a place
    outside it."""
    scope = scope_for(user)
    if not scope.reaches_regions:
        return Q(pk__in=[])
    return scope.region_q("region") & ~accusation_against(user)


GROUPS = ("day", "month", "unit", "region", "category", "channel", "kind")


def _grouped_sums(
    qs: QuerySet,
    group_by: Sequence[str],
    region_level: int | None,
    measures: Sequence[str],
    filters: dict | None,
    date_field: str = "day",
) -> list[dict]:
    """The measures of `qs` summed per group, in one query (fact_sums, place_sums); "month" truncates
    `date_field`."""
    f = filters or {}
    for key in ("channel", "kind", "unit_id", "category_id"):
        if f.get(key) not in (None, ""):
            qs = qs.filter(**{key: f[key]})
    if f.get("region_prefix"):
        qs = qs.filter(region__prefix__startswith=f["region_prefix"])
    keys: dict = {}
    for g in group_by:
        if g not in GROUPS:
            raise ValueError(f"unknown group {g!r}")
        if g == "month":
            keys["g_month"] = TruncMonth(date_field)
        elif g == "region" and region_level:
            keys["g_region"] = Substr("region__prefix", 1, PREFIX_LENGTH[RegionLevel(region_level)])
        elif g in ("unit", "region", "category"):
            keys[f"g_{g}"] = F(f"{g}_id")
        else:
            keys[f"g_{g}"] = F(g)
    sums = {m: Coalesce(Sum(m), 0) for m in measures}
    rows = qs.values(**keys).annotate(**sums).order_by(*keys) if keys else [qs.aggregate(**sums)]
    return [{(k[2:] if k.startswith("g_") else k): v for k, v in row.items()} for row in rows]


def fact_sums(
    user: User,
    *,
    start: dt.date,
    end: dt.date,
    group_by: Sequence[str] = (),
    region_level: int | None = None,
    filters: dict | None = None,
    measures: Sequence[str] = MEASURES,
) -> list[dict]:
    """The measures summed over [start, end) per group, in one query, within what the user may see.

    group_by: any of GROUPS; "region" with region_level (e.g. RegionLevel.TOWNSHIP) rolls the places up
    to that level and gives its prefix as "region" (a place above that level keeps its own prefix);
    without region_level "region" is the recorded place's id. filters: channel, kind, unit_id,
    category_id, region_prefix (a subtree). Each dict holds the group keys and the measures."""
    qs = DailyFact.objects.filter(facts_scope_for(user), day__gte=start, day__lt=end)
    return _grouped_sums(qs, group_by, region_level, measures, filters)


def place_sums(
    user: User,
    *,
    start: dt.date,
    end: dt.date,
    by_day: bool,
    group_by: Sequence[str] = (),
    region_level: int | None = None,
    measures: Sequence[str] = MEASURES,
) -> list[dict]:
    """fact_sums from the dashboard's roll-ups, within place_scope_for(user): PlaceMonth for the whole
    months in [start, end) (groups: month, region, category, channel), or PlaceDay for the days
    (by_day; groups: day, month, region; measures: received, concluded, open_overdue)."""
    if by_day:
        qs = PlaceDay.objects.filter(place_scope_for(user), day__gte=start, day__lt=end)
        return _grouped_sums(qs, group_by, region_level, measures, None)
    qs = PlaceMonth.objects.filter(place_scope_for(user), month__gte=start, month__lt=end)
    return _grouped_sums(qs, group_by, region_level, measures, None, date_field="month")


# ---------------------------------------------------------------- configuration as plain values


def weights_load() -> dict[str, indicators.Weight]:
    """The indicators' weights as the admin set them (the defaults for any not in the table)."""
    weights = indicators.default_weights()
    for w in IndicatorWeight.objects.all():
        if w.key in weights:
            weights[w.key] = indicators.Weight(w.weight, w.target, w.floor, w.direction, w.claim_mix)
    return weights


def settings_load() -> AssessmentSettings:
    return AssessmentSettings.objects.filter(pk=1).first() or AssessmentSettings(pk=1)


def scoring_settings(s: AssessmentSettings) -> indicators.Settings:
    return indicators.Settings(s.population_floor, s.expected_per_10k, s.claim_mix_allowance)


def key_managed_units(month: dt.date) -> set[int]:
    month = month_start(month)
    return set(
        KeyManagement.objects.filter(
            Q(to_month__isnull=True) | Q(to_month__gte=month), from_month__lte=month
        ).values_list("unit_id", flat=True)
    )


def qualitative_for(month: dt.date, unit_id: int | None = None) -> dict[int, dict[str, Decimal]]:
    qs = QualitativeScore.objects.filter(month=month_start(month))
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    out: dict[int, dict[str, Decimal]] = {}
    for unit, source, value in qs.values_list("unit_id", "source", "score"):
        out.setdefault(unit, {})[source] = value
    return out


def unit_month_rows(month: dt.date) -> list[UnitMonth]:
    """Every unit's month (UnitMonth) with its unit, in one query."""
    return list(UnitMonth.objects.filter(month=month_start(month)).select_related("unit").order_by("unit__name"))


def sums_of(row: UnitMonth) -> dict[str, int | None]:
    return {**{m: getattr(row, m) for m in MEASURES}, "claims": row.claims, "population": row.population}


# ---------------------------------------------------------------- ranking


@dataclass
class RankRow:
    unit_id: int
    unit_name: str
    score: Decimal
    rank: int = 0
    bottom_rank: int = 0
    top: bool = False
    excellent: bool = False
    bottom: bool = False
    key_management: bool = False
    rates: dict = field(default_factory=dict)  # indicator → rate (a decimal as text, or None)
    firings: list[str] = field(default_factory=list)

    def rate(self, key: str) -> str | None:
        return self.rates.get(key)


@dataclass
class Ranking:
    month: dt.date
    published: bool
    rows: list[RankRow]
    top_n: int
    bottom_n: int


def places_assign(rows: list[RankRow], key_managed: set[int], top_n: int, bottom_n: int) -> list[RankRow]:
    """Competition ranks (ties share a place: 1, 2, 2, 4), the same from the bottom; the top places and
    the bottom places include every unit tied at the edge. Excellent (评先, rewarded): the best top_n
    among the units not under key management (重点管理期间不得评先)."""
    scores = sorted(r.score for r in rows)
    eligible = sorted(r.score for r in rows if r.unit_id not in key_managed)

    def higher(values: list[Decimal], s: Decimal) -> int:
        return len(values) - bisect.bisect_right(values, s)

    for r in rows:
        r.rank = 1 + higher(scores, r.score)
        r.bottom_rank = 1 + bisect.bisect_left(scores, r.score)
        r.key_management = r.unit_id in key_managed
        r.top = r.rank <= top_n
        r.bottom = r.bottom_rank <= bottom_n and not r.top  # (a few units: the top is never named last)
        r.excellent = not r.key_management and 1 + higher(eligible, r.score) <= top_n
    rows.sort(key=lambda r: (r.rank, r.unit_name, r.unit_id))
    return rows


def ranking_compute(month: dt.date) -> Ranking:
    """The provisional ranking of a month: the units of the ranked kinds that take part, by the scores kept
    in UnitMonth (aggregates.unit_months_score); 4 queries, no scoring."""
    month = month_start(month)
    s = settings_load()
    kinds = [k.strip() for k in s.ranked_kinds.split(",") if k.strip()]
    key_managed = key_managed_units(month)
    rows = [
        RankRow(unit_id, name, score or Decimal(0), rates=rates or {})
        for unit_id, name, score, rates in UnitMonth.objects.filter(
            month=month, ranked=True, unit__kind__in=kinds
        ).values_list("unit_id", "unit__name", "score", "rates")
    ]
    return Ranking(month, False, places_assign(rows, key_managed, s.top_n, s.bottom_n), s.top_n, s.bottom_n)


def ranking_for(month: dt.date) -> Ranking:
    """The month's ranking: as published when the month is closed (MonthRank), else provisional. With
    the rules that fired for each unit."""
    month = month_start(month)
    close = MonthClose.objects.filter(month=month).first()
    if close is None:
        ranking = ranking_compute(month)
    else:
        s = settings_load()
        rows = [
            RankRow(*values[:-1], rates=values[-1])
            for values in MonthRank.objects.filter(month=month)
            .order_by("rank", "unit__name")
            .values_list(
                "unit_id",
                "unit__name",
                "score",
                "rank",
                "bottom_rank",
                "top",
                "excellent",
                "bottom",
                "key_management",
                "rates",
            )
        ]
        ranking = Ranking(month, True, rows, s.top_n, s.bottom_n)
    fired: dict[int, list[str]] = {}
    for unit_id, rule in RuleFiring.objects.filter(month=month).values_list("unit_id", "rule"):
        fired.setdefault(unit_id, []).append(rule)
    for r in ranking.rows:
        r.firings = fired.get(r.unit_id, [])
    return ranking


@dataclass
class Explanation:
    month: dt.date
    unit: Unit
    published: bool
    score: indicators.Score | None
    detail: dict
    rank: MonthRank | None
    key_management: bool
    firings: list[RuleFiring]


def explanation_for(month: dt.date, unit: Unit) -> Explanation:
    """Every indicator of the unit's month: numerator, denominator, rate, normalised value, weight, points;
    as published when the month is closed, else computed now."""
    month = month_start(month)
    rank = MonthRank.objects.filter(month=month, unit=unit).first()
    firings = list(RuleFiring.objects.filter(month=month, unit=unit))
    if rank is not None:
        return Explanation(month, unit, True, None, rank.detail, rank, rank.key_management, firings)
    detail = explanations_for(month, [unit.pk])[unit.pk]
    return Explanation(month, unit, False, None, detail, None, unit.pk in key_managed_units(month), firings)


def explanations_for(month: dt.date, unit_ids: Sequence[int]) -> dict[int, dict]:
    """Each unit's score explained (indicators.Score.as_dict), computed now with the weights in force."""
    month = month_start(month)
    weights, scoring = weights_load(), scoring_settings(settings_load())
    qualitative = qualitative_for(month)
    sums = {um.unit_id: sums_of(um) for um in UnitMonth.objects.filter(month=month, unit_id__in=unit_ids)}
    return {
        u: indicators.score(sums.get(u, {"population": None}), weights, scoring, qualitative.get(u, {})).as_dict()
        for u in unit_ids
    }


def ranking_visible_to(user: User) -> bool:
    return user.is_authenticated and (user.role in ROLES_WHO_SEE_THE_RANKING or user.is_superuser)


def explanation_visible_to(user: User, unit: Unit) -> bool:
    return ranking_visible_to(user) or (user.is_authenticated and user.unit_id == unit.pk)


def rule_firings_for(user: User) -> QuerySet[RuleFiring]:
    """The bulletin's firings (rectification notices …) a user may see: those of the units the user
    reaches (xinfang.org.scope: a leader, supervisor or bureau staff the units in their region, an
    administrator all, others their own unit). The ranking itself is shown whole to the roles who see it
    (ranking_visible_to), and each unit's explanation to them and to the unit."""
    return scope_for(user).units(RuleFiring.objects)


# ---------------------------------------------------------------- indicators per region


@dataclass
class RegionIndicators:
    prefix: str
    name: str
    population: int | None
    sums: dict
    score: indicators.Score


def region_indicators(user: User, month: dt.date, parent: Region) -> list[RegionIndicators]:
    """The indicators of each region one level below `parent` (by the petitions' places), for the month:
    two queries. Points are shown with the weights in force; regions are not ranked."""
    start, end = month_bounds(month)
    level = min(parent.level + 1, RegionLevel.VILLAGE)
    rows = fact_sums(
        user, start=start, end=end, group_by=("region",), region_level=level, filters={"region_prefix": parent.prefix}
    )
    children = {r.prefix: r for r in Region.objects.filter(parent=parent)}
    weights, scoring = weights_load(), scoring_settings(settings_load())
    out = []
    for row in rows:
        child = children.get(row["region"])
        if child is None:
            continue
        sums = {**row, "population": child.population}
        out.append(
            RegionIndicators(child.prefix, child.name, child.population, sums, indicators.score(sums, weights, scoring))
        )
    return out
