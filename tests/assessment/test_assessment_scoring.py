"""Indicators and scores: each score explains itself, and a unit cannot raise its score by registering
fewer petitions (seed 000 (十三): 不简单以信访数量多少为标准进行考评)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import D, act, at, owner_handler, register
from xinfang.assessment import indicators
from xinfang.assessment.aggregates import aggregates_rebuild
from xinfang.assessment.indicators import Settings, default_weights, score
from xinfang.assessment.models import AssessmentSettings, IndicatorWeight, UnitMonth
from xinfang.assessment.selectors import explanation_for, ranking_compute
from xinfang.org.models import Region

W = default_weights()
S = Settings()
MONTH = D(2026, 3, 1)


def line(sc: indicators.Score, key: str) -> indicators.Line:
    return next(x for x in sc.lines if x.key == key)


def test_every_line_explains_itself():
    sums = {
        "received": 10,
        "claims": 0,
        "accept_on_time": 8,
        "accept_late": 2,
        "concluded": 5,
        "evaluated": 4,
        "satisfied": 3,
        "basically": 0,
        "population": None,
    }
    sc = score(sums, W, S, {"superior": Decimal(90)})
    ta = line(sc, "timely_acceptance")
    assert (ta.numerator, ta.denominator, ta.rate) == (8, 10, Decimal("0.8000"))
    assert ta.normalised == Decimal("0.5000")  # halfway between 0.6 (no points) and 1 (full points)
    assert ta.points == Decimal("7.50")  # weight 15
    sat = line(sc, "satisfaction")
    assert (sat.numerator, sat.denominator, sat.rate) == (3, 4, Decimal("0.7500"))
    assert line(sc, "superior_review").points == Decimal("9.00")
    assert line(sc, "public_review").points == 0 and line(sc, "public_review").note
    assert sc.total == sum(x.points for x in sc.lines)


def test_nothing_to_measure_earns_nothing_whichever_way_it_points():
    sc = score({"received": 0, "population": None}, W, S)
    assert sc.total == 0
    assert line(sc, "skip_level").rate is None and line(sc, "skip_level").points == 0  # lower is better


def test_the_claim_mix_lowers_the_target():
    base = {"received": 10, "concluded": 10, "resolved": 8, "population": None}
    suggestions = line(score(base | {"claims": 0}, W, S), "resolution")
    claims = line(score(base | {"claims": 10}, W, S), "resolution")
    assert claims.target == suggestions.target - Decimal("0.10")
    assert claims.points > suggestions.points


def test_incidence_is_reported_but_not_scored_by_default():
    sc = score({"received": 20, "population": 40000}, W, S)
    inc = line(sc, "incidence")
    assert inc.rate == Decimal("5.0000") and inc.weight == 0 and inc.points == 0


# ---------------------------------------------------------------- registering fewer never pays

counts = st.integers(min_value=0, max_value=6)


@st.composite
def copy_of_a_month(draw):
    """One 'copy' of a unit's work: n petitions and how they went (all counts ≤ n)."""
    n = draw(st.integers(min_value=1, max_value=6))
    part = lambda: draw(st.integers(min_value=0, max_value=n))  # noqa: E731
    on_time = part()
    concluded = part()
    evaluated = draw(st.integers(min_value=0, max_value=concluded))
    satisfied = draw(st.integers(min_value=0, max_value=evaluated))
    resolved = draw(st.integers(min_value=0, max_value=concluded))
    return {
        "received": n,
        "claims": part(),
        "accept_on_time": on_time,
        "accept_late": n - on_time,
        "handling_on_time": on_time,
        "handling_late": n - on_time,
        "concluded": concluded,
        "resolved": resolved,
        "resolved_locally": draw(st.integers(min_value=0, max_value=resolved)),
        "evaluated": evaluated,
        "satisfied": satisfied,
        "basically": 0,
        "dissatisfied": evaluated - satisfied,
        "repeat": part(),
        "skip_level": part(),
    }


@given(
    copy_of_a_month(),
    st.integers(min_value=1, max_value=8),
    st.integers(min_value=0, max_value=8),
    st.sampled_from([None, 5000, 40000, 200000]),
    st.sampled_from(["0", "5"]),
)
def test_fewer_registrations_of_the_same_work_never_score_higher(
    base, registered, dropped, population, incidence_weight
):
    """A unit that registers fewer petitions of the same kind and quality (`dropped` of `registered`
    copies of its month not registered) does not score higher, whatever its population, and even when
    the county puts a weight on incidence (lower is better) — coverage takes back what it would give."""
    dropped = min(dropped, registered)
    weights = dict(W)
    weights["incidence"] = indicators.Weight(Decimal(incidence_weight), Decimal("2"), Decimal("10"), "lower")
    q = {"superior": Decimal(80), "public": Decimal(70)}

    def month(copies: int) -> dict:
        return {k: v * copies for k, v in base.items()} | {"population": population}

    full = score(month(registered), weights, S, q).total
    fewer = score(month(registered - dropped), weights, S, q).total
    if incidence_weight == "0" or population is None:
        assert fewer <= full
    else:
        # with a weight on incidence, low counts are paid only up to the expected volume: registering
        # fewer than that never pays; above it, fewer petitions from the same population do mean less
        # incidence, and the county chose to reward that (the reason the default weight is 0)
        expected = Decimal(population) * S.expected_per_10k / 10000
        if month(registered)["received"] <= expected:
            assert fewer <= full


def test_a_township_that_registers_half_its_petitions_scores_lower(org):
    """Through the whole stack: two townships with the same population and the same handling; one
    registers every petition, the other half of them. The second does not come out ahead."""
    for key in ("town_a", "town_b"):
        Region.objects.filter(pk=org.units[key].region_id).update(population=40000)  # expected: 8 a month
    for key, n in (("town_a", 6), ("town_b", 3)):
        clerk = org.users[f"{key}_clerk"]
        for i in range(n):
            p = register(org, on=at(2026, 3, 2 + i), actor=clerk, region=org.regions[key])
            act(org, "accept", p, owner_handler(org, p), at(2026, 3, 3 + i))
            act(org, "decide", p, owner_handler(org, p), at(2026, 3, 10 + i))
            act(org, "evaluate", p, clerk, at(2026, 3, 12 + i))
    aggregates_rebuild(MONTH, today=D(2026, 9, 1))
    ranking = {r.unit_id: r for r in ranking_compute(MONTH).rows}
    a, b = ranking[org.units["town_a"].pk], ranking[org.units["town_b"].pk]
    assert a.rates["timely_acceptance"] == b.rates["timely_acceptance"]  # the same quality
    assert b.score < a.score
    assert a.rank < b.rank


def test_weights_come_from_the_admin(org):
    UnitMonth.objects.create(month=MONTH, unit=org.units["hrss"], received=10, accept_on_time=10)
    before = explanation_for(MONTH, org.units["hrss"]).detail["total"]
    IndicatorWeight.objects.filter(key="timely_acceptance").update(weight=30)
    after = explanation_for(MONTH, org.units["hrss"]).detail["total"]
    assert Decimal(after) - Decimal(before) == 15


def test_the_population_floor_is_a_setting(org):
    Region.objects.filter(pk=org.units["town_a"].region_id).update(population=40000)
    UnitMonth.objects.create(month=MONTH, unit=org.units["town_a"], received=2, accept_on_time=2, population=40000)
    with_floor = explanation_for(MONTH, org.units["town_a"]).detail
    assert with_floor["coverage"] == "0.2500"
    AssessmentSettings.objects.update_or_create(pk=1, defaults={"population_floor": False})
    without = explanation_for(MONTH, org.units["town_a"]).detail
    assert Decimal(without["total"]) > Decimal(with_floor["total"])
