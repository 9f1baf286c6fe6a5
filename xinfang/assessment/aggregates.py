"""Filling the pre-aggregated tables by SQL: one INSERT … SELECT … GROUP BY per measure family.

Each family's SELECT is written with the ORM (so that the local day of a timestamp, LEAST, LIKE on a
column and the joins are right on SQLite and PostgreSQL alike), compiled, and wrapped as
`INSERT INTO assessment_dailyfact (…) SELECT … FROM (<that query>)`. No petition is read into Python.

What each family counts, on which day and for which unit, is said in README ("Assessment"); the
definitions are the querysets below.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least, TruncDate
from django.utils import timezone

from xinfang.assessment import indicators
from xinfang.assessment.models import (
    MEASURE_FAMILIES,
    MEASURES,
    DailyFact,
    MonthClose,
    PlaceDay,
    PlaceMonth,
    QualitativeScore,
    UnitMonth,
)
from xinfang.assessment.selectors import qualitative_for, scoring_settings, settings_load, sums_of, weights_load
from xinfang.lib.months import month_next, month_start
from xinfang.org.models import RegionLevel, Unit, UnitKind
from xinfang.petitions.deadlines import OBLIGATIONS
from xinfang.petitions.models import (
    Channel,
    Deadline,
    DeadlineKind,
    Decision,
    DecisionStage,
    Evaluation,
    Kind,
    Petition,
    Satisfaction,
    State,
)
from xinfang.petitions.rules import COLLECTIVE_VISIT_MIN_PEOPLE

DIMENSIONS = ("day", "unit_id", "region_id", "category_id", "channel", "kind", "accused_unit_id", "accused_user_id")
TOWNSHIP = int(RegionLevel.TOWNSHIP)
OVERDUE_LOOKBACK_DAYS = 366  # a deadline met later than this after falling due is not in a past month's snapshot
Progress = Callable[[str], object]


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def _top_category(prefix: str = "") -> Coalesce:
    """The first-level ancestor of the petition's category (the tree is three levels deep)."""
    return Coalesce(
        f"{prefix}category__parent__parent_id",
        f"{prefix}category__parent_id",
        f"{prefix}category_id",
        output_field=IntegerField(),
    )


def _petition_dims(prefix: str) -> dict:
    """The petition's dimensions, under the aliases the INSERT reads (`d_` + column: an alias may not be
    the name of a field of the model queried)."""
    accusation = Q(**{f"{prefix}kind": Kind.ACCUSATION})
    return {
        "d_region_id": F(f"{prefix}region_id"),
        "d_category_id": _top_category(prefix),
        "d_channel": F(f"{prefix}channel"),
        "d_kind": F(f"{prefix}kind"),
        "d_accused_unit_id": Case(
            When(accusation, then=F(f"{prefix}accused_unit_id")), default=None, output_field=IntegerField()
        ),
        "d_accused_user_id": Case(
            When(accusation, then=F(f"{prefix}accused_user_id")), default=None, output_field=IntegerField()
        ),
    }


def receipts(start: dt.date, end: dt.date, today: dt.date) -> QuerySet:
    """Petitions received on the day (local date), for the unit that owns them now.
    repeat: linked (Petition.related) to a petition received earlier. skip_level: a visit registered by a
    unit whose region is more than one level above the place's (township or higher) level (逐级走访)."""
    related = Petition.related.through.objects.filter(
        from_petition_id=OuterRef("pk"), to_petition__received_at__lt=OuterRef("received_at")
    )
    skip = Q(channel=Channel.VISIT) & Q(
        registering_unit__region__level__lt=Least(F("region__level"), Value(TOWNSHIP)) - 1
    )
    return (
        Petition.objects.filter(received_at__gte=_local_midnight(start), received_at__lt=_local_midnight(end))
        .values(d_day=TruncDate("received_at"), d_unit_id=F("owner_unit_id"), **_petition_dims(""))
        .annotate(
            received=Count("pk"),
            collective=Count("pk", filter=Q(headcount__gte=COLLECTIVE_VISIT_MIN_PEOPLE)),
            repeat=Count("pk", filter=Q(Exists(related))),
            skip_level=Count("pk", filter=skip),
        )
    )


def _timeliness(
    kinds: tuple[str, ...], names: tuple[str, str, str], start: dt.date, end: dt.date, today: dt.date
) -> QuerySet:
    """Deadlines of `kinds` falling due on the day, for the unit that must meet them: met on or before
    the due date (on time), met after it or still open after it (late)."""
    due, on_time, late = names
    return (
        Deadline.objects.filter(kind__in=kinds, due_on__gte=start, due_on__lt=end, unit_id__isnull=False)
        .values(d_day=F("due_on"), d_unit_id=F("unit_id"), **_petition_dims("petition__"))
        .annotate(
            **{
                due: Count("pk"),
                on_time: Count("pk", filter=Q(met_on__lte=F("due_on"))),
                late: Count("pk", filter=Q(met_on__gt=F("due_on")) | Q(met_on__isnull=True, due_on__lt=today)),
            }
        )
    )


def acceptance(start: dt.date, end: dt.date, today: dt.date) -> QuerySet:
    """及时受理: the 15 days to route or accept after registration (intake) and to tell whether a
    forwarded or assigned petition is accepted (acceptance)."""
    return _timeliness(
        (DeadlineKind.INTAKE, DeadlineKind.ACCEPTANCE),
        ("accept_due", "accept_on_time", "accept_late"),
        start,
        end,
        today,
    )


def handling(start: dt.date, end: dt.date, today: dt.date) -> QuerySet:
    """按期办结: the handling period (60 days from acceptance, plus any extension)."""
    return _timeliness(
        (DeadlineKind.HANDLING,), ("handling_due", "handling_on_time", "handling_late"), start, end, today
    )


APPEALED_STATES = (State.REVIEW_REQUESTED, State.REVIEWED, State.REEXAMINATION_REQUESTED, State.REEXAMINED)


def conclusions(start: dt.date, end: dt.date, today: dt.date) -> QuerySet:
    """办结: handling opinions given on the day, for the deciding unit. resolved (化解): no review was
    asked for and the petitioner did not rate it dissatisfied. resolved_locally (就地化解): resolved by a
    unit of the place's own line at or below the township (or the place itself when it is a county or
    higher): the place lies in the unit's region and the unit's region is at least at the place's level,
    capped at township."""
    appealed = Exists(
        Decision.objects.filter(
            petition_id=OuterRef("petition_id"), stage__in=(DecisionStage.REVIEW, DecisionStage.REEXAMINATION)
        )
    )
    dissatisfied = Exists(
        Evaluation.objects.filter(petition_id=OuterRef("petition_id"), satisfaction=Satisfaction.DISSATISFIED)
    )
    resolved = ~Q(petition__state__in=APPEALED_STATES) & ~Q(appealed) & ~Q(dissatisfied)
    local = Q(petition__region__prefix__startswith=F("unit__region__prefix")) & Q(
        unit__region__level__gte=Least(F("petition__region__level"), Value(TOWNSHIP))
    )
    return (
        Decision.objects.filter(stage=DecisionStage.HANDLING, decided_on__gte=start, decided_on__lt=end)
        .values(d_day=F("decided_on"), d_unit_id=F("unit_id"), **_petition_dims("petition__"))
        .annotate(
            concluded=Count("pk"),
            resolved=Count("pk", filter=resolved),
            resolved_locally=Count("pk", filter=resolved & local),
        )
    )


def evaluations(start: dt.date, end: dt.date, today: dt.date) -> QuerySet:
    """满意度评价 on the day, for the unit whose decision (the latest on or before that day) was rated."""
    rated_unit = Subquery(
        Decision.objects.filter(petition_id=OuterRef("petition_id"), decided_on__lte=OuterRef("evaluated_on"))
        .order_by("-decided_on", "-pk")
        .values("unit_id")[:1]
    )
    return (
        Evaluation.objects.filter(evaluated_on__gte=start, evaluated_on__lt=end)
        .annotate(rated_unit=rated_unit)
        .filter(rated_unit__isnull=False)
        .values(d_day=F("evaluated_on"), d_unit_id=F("rated_unit"), **_petition_dims("petition__"))
        .annotate(
            evaluated=Count("pk"),
            satisfied=Count("pk", filter=Q(satisfaction=Satisfaction.SATISFIED)),
            basically=Count("pk", filter=Q(satisfaction=Satisfaction.BASICALLY)),
            dissatisfied=Count("pk", filter=Q(satisfaction=Satisfaction.DISSATISFIED)),
        )
    )


def snapshot_day(start: dt.date, end: dt.date, today: dt.date) -> dt.date | None:
    """The day the month's overdue snapshot is taken: its last day, or today in the current month."""
    if today < start:
        return None
    return min(end - dt.timedelta(days=1), today)


def overdue(start: dt.date, end: dt.date, today: dt.date) -> QuerySet | None:
    """Obligations (deadlines that bind a unit) overdue at the end of the snapshot day: due before it and
    not met by it."""
    day = snapshot_day(start, end, today)
    if day is None:
        return None
    late_then = Q(is_open=True, due_on__lt=day) | Q(
        met_on__gt=day, due_on__lt=day, due_on__gte=day - dt.timedelta(days=OVERDUE_LOOKBACK_DAYS)
    )
    return (
        Deadline.objects.filter(late_then, kind__in=sorted(OBLIGATIONS), unit_id__isnull=False)
        .values(d_day=Value(day), d_unit_id=F("unit_id"), **_petition_dims("petition__"))
        .annotate(open_overdue=Count("pk"))
    )


FAMILIES: dict[str, Callable[[dt.date, dt.date, dt.date], QuerySet | None]] = {
    "receipts": receipts,
    "acceptance": acceptance,
    "handling": handling,
    "conclusions": conclusions,
    "evaluations": evaluations,
    "overdue": overdue,
}


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _insert_select(table: str, columns: tuple[str, ...], qs: QuerySet, dims: tuple[str, ...] = ()) -> int:
    """INSERT INTO table (columns) SELECT … FROM (qs): qs names each column by its own name, but the
    dimensions `dims` by `d_` + name."""
    sql, params = qs.query.sql_with_params()
    cols = ", ".join(_qn(c) for c in columns)
    aliases = ", ".join(_qn(f"d_{c}" if c in dims else c) for c in columns)
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {_qn(table)} ({cols}) SELECT {aliases} FROM ({sql}) family", params)
        return cur.rowcount


# Units answerable for a territory (属地管理): their region's population is theirs (incidence, the
# population floor). A department or bureau at the county serves the county but does not own its petitions.
TERRITORIAL_KINDS = (UnitKind.TOWNSHIP_OFFICE, UnitKind.VILLAGE_COMMITTEE)
TERRITORIAL_POPULATION = Case(When(unit__kind__in=TERRITORIAL_KINDS, then=F("unit__region__population")), default=None)


def unit_month_fill(month: dt.date) -> int:
    """UnitMonth for the month: DailyFact summed per unit, with the claims and the unit's population; and
    a row of zeros for every other active unit (every active unit is ranked: registering nothing does
    not take a unit out of the ranking)."""
    start, end = month, month_next(month)
    sums = {f"d_{m}": Coalesce(Sum(m), 0) for m in MEASURES}
    qs = (
        DailyFact.objects.filter(day__gte=start, day__lt=end)
        .values(d_unit_id=F("unit_id"))
        .annotate(
            d_month=Value(start),
            **sums,
            d_claims=Coalesce(Sum("received", filter=Q(kind=Kind.CLAIM)), 0),
            d_population=Max(TERRITORIAL_POPULATION),
        )
    )
    columns = ("month", "unit_id", *MEASURES, "claims", "population")
    n = _insert_select(UnitMonth._meta.db_table, columns, qs, dims=columns)
    quiet = (
        Unit.objects.filter(is_active=True)
        .exclude(pk__in=UnitMonth.objects.filter(month=start).values("unit_id"))
        .values(d_unit_id=F("pk"))
        .annotate(
            d_month=Value(start),
            d_population=Case(When(kind__in=TERRITORIAL_KINDS, then=F("region__population")), default=None),
        )
    )
    columns = ("month", "unit_id", "population")
    return n + _insert_select(UnitMonth._meta.db_table, columns, quiet, dims=columns)


PLACE_DIMENSIONS = ("region_id", "accused_unit_id", "accused_user_id")  # the accused: only an accusation's
PLACE_DAY_MEASURES = ("received", "concluded", "open_overdue")


def place_fill(month: dt.date) -> dict[str, int]:
    """PlaceMonth and PlaceDay for the month: its DailyFact summed without the unit (the dashboard's
    roll-ups), two INSERT … SELECT."""
    start, end = month, month_next(month)
    facts = DailyFact.objects.filter(day__gte=start, day__lt=end)
    dims = {f"d_{d}": F(d) for d in PLACE_DIMENSIONS}
    by_month = facts.values(**dims, d_category_id=F("category_id"), d_channel=F("channel")).annotate(
        d_month=Value(start), **{m: Sum(m) for m in MEASURES}
    )
    columns = ("month", *PLACE_DIMENSIONS, "category_id", "channel", *MEASURES)
    months = _insert_select(
        PlaceMonth._meta.db_table, columns, by_month, dims=("month", *PLACE_DIMENSIONS, "category_id", "channel")
    )
    by_day = (
        facts.filter(Q(received__gt=0) | Q(concluded__gt=0) | Q(open_overdue__gt=0))
        .values(**dims, d_day=F("day"))
        .annotate(**{m: Sum(m) for m in PLACE_DAY_MEASURES})
    )
    columns = ("day", *PLACE_DIMENSIONS, *PLACE_DAY_MEASURES)
    days = _insert_select(PlaceDay._meta.db_table, columns, by_day, dims=("day", *PLACE_DIMENSIONS))
    return {"place_month": months, "place_day": days}


def aggregates_rebuild(
    month: dt.date, *, today: dt.date | None = None, progress: Progress | None = None
) -> dict[str, int]:
    """Delete and refill the month's DailyFact, UnitMonth, PlaceMonth and PlaceDay rows in one
    transaction. Returns the rows inserted per family (and "unit_month", "place_month", "place_day").
    Idempotent; safe while petitions are being written (the month is read as one snapshot on
    PostgreSQL; SQLite writers wait)."""
    month = month_start(month)
    today = today or timezone.localdate()
    start, end = month, month_next(month)
    rows: dict[str, int] = {}
    say = progress or (lambda text: None)
    with transaction.atomic():
        t0 = time.perf_counter()
        DailyFact.objects.filter(day__gte=start, day__lt=end).delete()
        UnitMonth.objects.filter(month=start).delete()
        PlaceMonth.objects.filter(month=start).delete()
        PlaceDay.objects.filter(day__gte=start, day__lt=end).delete()
        say(f"{start:%Y-%m}: old rows deleted ({time.perf_counter() - t0:.1f} s)")
        for name, family in FAMILIES.items():
            t1 = time.perf_counter()
            qs = family(start, end, today)
            rows[name] = (
                0
                if qs is None
                else _insert_select(
                    DailyFact._meta.db_table, (*DIMENSIONS, *MEASURE_FAMILIES[name]), qs, dims=DIMENSIONS
                )
            )
            say(f"{start:%Y-%m}: {name} {rows[name]} rows ({time.perf_counter() - t1:.1f} s)")
        t1 = time.perf_counter()
        rows["unit_month"] = unit_month_fill(start)
        say(f"{start:%Y-%m}: unit months {rows['unit_month']} rows ({time.perf_counter() - t1:.1f} s)")
        t1 = time.perf_counter()
        rows |= place_fill(start)
        say(
            f"{start:%Y-%m}: places {rows['place_month']} month rows, {rows['place_day']} day rows "
            f"({time.perf_counter() - t1:.1f} s)"
        )
        t1 = time.perf_counter()
        unit_months_score(start)
        say(f"{start:%Y-%m}: provisional scores ({time.perf_counter() - t1:.1f} s)")
    return rows


def unit_months_score(month: dt.date) -> int:
    """Score every unit's month with the weights, settings and qualitative scores in force, and keep the
    score, the rates of the ranking's columns and whether the unit takes part (UnitMonth.score, rates,
    ranked): the provisional ranking only reads them. Python over one row per unit (not per petition);
    run at every rebuild and when weights, settings or qualitative scores change."""
    month = month_start(month)
    weights, scoring = weights_load(), scoring_settings(settings_load())
    qualitative = qualitative_for(month)
    rows = list(UnitMonth.objects.filter(month=month))
    for um in rows:
        sums, q = sums_of(um), qualitative.get(um.unit_id, {})
        sc = indicators.score(sums, weights, scoring, q)
        um.score = sc.total
        um.rates = {line.key: None if line.rate is None else str(line.rate) for line in sc.lines}
        um.ranked = indicators.ranked(sums, scoring) or bool(q)
    UnitMonth.objects.bulk_update(rows, ["score", "rates", "ranked"], batch_size=500)
    return len(rows)


def open_months_rescore(months: list[dt.date] | None = None) -> None:
    """Score again the months not yet closed (all of them, or `months`): after the weights, the settings
    or a qualitative score changed. A closed month keeps its published ranking."""
    closed = set(MonthClose.objects.values_list("month", flat=True))
    wanted = months if months is not None else UnitMonth.objects.values_list("month", flat=True).distinct()
    for month in sorted({month_start(m) for m in wanted} - closed):
        unit_months_score(month)


def rescore_on_change(sender, instance, **kwargs) -> None:
    """post_save / post_delete of IndicatorWeight, AssessmentSettings and QualitativeScore (apps.ready)."""
    open_months_rescore([instance.month] if isinstance(instance, QualitativeScore) else None)
