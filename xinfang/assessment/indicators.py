"""The indicators (考核指标), their default weights with the seeds they come from, and the scoring.

Every indicator is a numerator over a denominator from UnitMonth (or DailyFact summed for a region);
its normalised value is the rate's place between "no points at" (floor) and "full points at" (target);
its points are weight × normalised value × coverage. Scoring is pure Python over one unit-month's
sums: no query.

Low counts are never rewarded (seed 000 (十三): 不简单以信访数量多少为标准进行考评):
- every rate has the unit's own registered or due petitions as its denominator, and a rate with nothing
  to measure (denominator 0) earns no points, whichever way it points;
- coverage: a territorial unit (township, village) that registered fewer petitions than its population
  leads one to expect (population × expected per 10,000) earns only that share of its rate points, so
  registering fewer petitions lowers, never raises, its score (population floor, a setting);
- incidence per 10,000 residents is reported and explained but weighs 0 by default: a weight on it would
  pay a unit for not registering (a county that wants it sets a weight in the admin, knowingly).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from xinfang.assessment.models import MEASURES, Direction

RATE, INCIDENCE, QUALITATIVE = "rate", "incidence", "qualitative"


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    kind: str
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    direction: str = Direction.HIGHER
    weight: str = "0"
    target: str = "1"
    floor: str = "0"
    claim_mix: bool = False
    source: str = ""


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "timely_acceptance",
        _("timely acceptance rate"),
        RATE,
        ("accept_on_time",),
        ("accept_on_time", "accept_late"),
        weight="15",
        target="1",
        floor="0.6",
        source="《信访工作条例》第二十二、二十三条：15日内转送交办、告知是否受理",
    ),
    Indicator(
        "on_time_conclusion",
        _("on-time conclusion rate"),
        RATE,
        ("handling_on_time",),
        ("handling_on_time", "handling_late"),
        weight="15",
        target="1",
        floor="0.6",
        claim_mix=True,
        source="《信访工作条例》第三十四条：60日内办结",
    ),
    Indicator(
        "satisfaction",
        _("satisfaction rate"),
        RATE,
        ("satisfied", "basically"),
        ("evaluated",),
        weight="15",
        target="0.95",
        floor="0.5",
        claim_mix=True,
        source="国信发〔2022〕11号 满意度评价；种子001：三方满意",
    ),
    Indicator(
        "participation",
        _("evaluation participation rate"),
        RATE,
        ("evaluated",),
        ("concluded",),
        weight="10",
        target="0.8",
        floor="0.2",
        source="《信访工作条例》第二十一条：可查询、可评价",
    ),
    Indicator(
        "resolution",
        _("resolution rate"),
        RATE,
        ("resolved",),
        ("concluded",),
        weight="10",
        target="0.97",
        floor="0.5",
        claim_mix=True,
        source="种子001：化解率达到97%",
    ),
    Indicator(
        "local_resolution",
        _("local resolution rate"),
        RATE,
        ("resolved_locally",),
        ("concluded",),
        weight="10",
        target="0.9",
        floor="0.4",
        source="种子004：把信访问题的发生率、就地化解率和越级上访率作为基层信访工作的根本标准",
    ),
    Indicator(
        "repeat",
        _("repeat petition rate"),
        RATE,
        ("repeat",),
        ("received",),
        Direction.LOWER,
        weight="5",
        target="0.05",
        floor="0.3",
        source="种子000（十一）：避免重复上访",
    ),
    Indicator(
        "skip_level",
        _("skip-level visit rate"),
        RATE,
        ("skip_level",),
        ("received",),
        Direction.LOWER,
        weight="5",
        target="0",
        floor="0.1",
        source="种子004：越级上访率；《信访工作条例》第十七条 逐级走访",
    ),
    Indicator(
        "incidence",
        _("petitions per 10,000 residents"),
        INCIDENCE,
        ("received",),
        ("population",),
        Direction.LOWER,
        weight="0",
        target="2",
        floor="10",
        source="种子004：发生率；种子000（十三）：不简单以信访数量多少为标准进行考评（默认不计分）",
    ),
    Indicator(
        "superior_review",
        _("review by superiors"),
        QUALITATIVE,
        weight="10",
        target="1",
        floor="0",
        source="种子000（十三）：上级评议和群众评议相结合",
    ),
    Indicator(
        "public_review",
        _("review by the public"),
        QUALITATIVE,
        weight="5",
        target="1",
        floor="0",
        source="种子000（十三）：群众评议",
    ),
)
BY_KEY = {i.key: i for i in INDICATORS}
QUALITATIVE_SOURCE = {"superior_review": "superior", "public_review": "public"}
PER_10K = Decimal(10000)


@dataclass(frozen=True)
class Weight:
    """What the admin set for one indicator (IndicatorWeight), as plain values."""

    weight: Decimal
    target: Decimal
    floor: Decimal
    direction: str
    claim_mix: bool = False


@dataclass(frozen=True)
class Settings:
    population_floor: bool = True
    expected_per_10k: Decimal = Decimal("2")
    claim_mix_allowance: Decimal = Decimal("0.10")


def default_weights() -> dict[str, Weight]:
    return {
        i.key: Weight(Decimal(i.weight), Decimal(i.target), Decimal(i.floor), i.direction, i.claim_mix)
        for i in INDICATORS
    }


@dataclass
class Line:
    """One indicator of one unit's month, explained."""

    key: str
    label: str
    numerator: Decimal
    denominator: Decimal
    rate: Decimal | None
    normalised: Decimal
    weight: Decimal
    points: Decimal
    target: Decimal
    floor: Decimal
    direction: str
    note: str = ""

    def as_dict(self) -> dict:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in self.__dict__.items()}


@dataclass
class Score:
    total: Decimal
    coverage: Decimal
    expected: Decimal | None
    lines: list[Line] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "total": str(self.total),
            "coverage": str(self.coverage),
            "expected": None if self.expected is None else str(self.expected),
            "lines": [line.as_dict() for line in self.lines],
        }


def _clamp(x: Decimal) -> Decimal:
    return min(Decimal(1), max(Decimal(0), x))


def normalise(rate: Decimal, w: Weight, target: Decimal) -> Decimal:
    """The rate's place between floor (0) and target (1), clamped; reversed when lower is better."""
    if w.direction == Direction.LOWER:
        span = w.floor - target
        if span <= 0:
            return Decimal(1) if rate <= target else Decimal(0)
        return _clamp((w.floor - rate) / span)
    span = target - w.floor
    if span <= 0:
        return Decimal(1) if rate >= target else Decimal(0)
    return _clamp((rate - w.floor) / span)


def coverage_of(sums: Mapping[str, int | None], s: Settings) -> tuple[Decimal, Decimal | None]:
    """The share of the expected petitions a territorial unit registered (1 without a population)."""
    population = sums.get("population")
    if not s.population_floor or not population:
        return Decimal(1), None
    expected = Decimal(population) * s.expected_per_10k / PER_10K
    if expected <= 0:
        return Decimal(1), expected
    return min(Decimal(1), Decimal(sums.get("received") or 0) / expected), expected


def _q(x: Decimal, places: str = "0.0001") -> Decimal:
    return x.quantize(Decimal(places))


def score(
    sums: Mapping[str, int | None],
    weights: Mapping[str, Weight],
    s: Settings,
    qualitative: Mapping[str, Decimal] | None = None,
) -> Score:
    """Score one unit's month from its sums (UnitMonth's measures, claims, population) and its
    qualitative scores (source → 0–100)."""
    qualitative = qualitative or {}
    cover, expected = coverage_of(sums, s)
    received = Decimal(sums.get("received") or 0)
    claim_share = Decimal(sums.get("claims") or 0) / received if received else Decimal(0)
    lines: list[Line] = []
    for ind in INDICATORS:
        w = weights.get(ind.key)
        if w is None:
            continue
        target = w.target
        note = ""
        if ind.kind == QUALITATIVE:
            given = qualitative.get(QUALITATIVE_SOURCE[ind.key])
            num, den = (Decimal(given), Decimal(100)) if given is not None else (Decimal(0), Decimal(0))
            rate = num / den if den else None
            norm = _clamp(rate) if rate is not None else Decimal(0)
            points = w.weight * norm
            if rate is None:
                note = str(_("not entered: no points"))
        else:
            num = Decimal(sum(sums.get(m) or 0 for m in ind.numerator))
            den = Decimal(sum(sums.get(m) or 0 for m in ind.denominator))
            if ind.kind == INCIDENCE:
                rate = num / den * PER_10K if den else None
            else:
                rate = num / den if den else None
            if w.claim_mix and ind.kind == RATE:
                target = max(w.floor, w.target - s.claim_mix_allowance * claim_share)
            if rate is None:
                norm, points = Decimal(0), Decimal(0)
                note = str(_("nothing to measure: no points"))
            else:
                norm = normalise(rate, w, target)
                points = w.weight * norm * cover
                if cover < 1:
                    note = str(
                        _("× coverage %(c)s (fewer petitions than the population leads one to expect)")
                        % {"c": _q(cover, "0.01")}
                    )
        lines.append(
            Line(
                ind.key,
                str(ind.label),
                num,
                den,
                None if rate is None else _q(rate),
                _q(norm),
                w.weight,
                _q(points, "0.01"),
                _q(target),
                w.floor,
                w.direction,
                note,
            )
        )
    total = sum((line.points for line in lines), Decimal(0))
    return Score(_q(total, "0.01"), _q(cover), None if expected is None else _q(expected, "0.01"), lines)


def ranked(sums: Mapping[str, int | None], s: Settings) -> bool:
    """Whether a unit takes part in the month's ranking: it had something to measure, or its population
    leads one to expect at least one petition (a silent township is ranked; a quiet small village not)."""
    if any(sums.get(m) for m in MEASURES):
        return True
    _, expected = coverage_of(sums, s)
    return expected is not None and expected >= 1
