"""How well the same-matter lookup (`similar.similar_petitions_for`) finds repeat petitions, measured on
the natural repeats of the 2020 泰迪杯 附件3 (datasets/tipdm2020c_attachments34), the only labeled
set: a message is a repeat when an earlier message has the same 留言详情 (whitespace aside) or the same
留言用户 and 留言主题 (its "twins").

The messages are replayed in time order as petitions of a scratch county (评测县, created and rolled
back by `manage.py repeats_evaluate`, so that nothing is kept and no other petition is a candidate):
before each is registered, the lookup is asked what a clerk's desk asks (title, content, place, and the
petitioner when the same 留言用户 petitioned before: one synthetic petitioner per user), seen by the
county bureau's staff, and its list is compared with the twins.

Places: 附件3's places are anonymised (A市, A1区 … A6区, A7县, A8县, A9市) and 38% of the messages name
none. `townships` (the default) makes each named district a township of the county and leaves the
others at the county itself, as a clerk who knows only "the city" would: the lookup's candidates are then
those of the district, as at a real desk. `one` puts every message in one township: the harder test of
the text alone (every earlier message competes for the candidate places).

Counts: a message with a twin is a positive; a hit@k when a twin is among the first k listed.
recall@k = hits@k / positives; precision@1 = messages whose first listed petition is a twin / messages
with a list; precision@5 = listed petitions that are twins / listed petitions. The labels know only these
two kinds of repeat: another user's message on the same matter counts against precision, so precision
is a lower bound.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import timezone

from xinfang.lib.datasets import csv_open
from xinfang.org.models import Region, RegionLevel, Role, Unit, UnitKind, User
from xinfang.petitions import registration, similar
from xinfang.petitions.models import Channel, Kind, Petitioner

DISTRICT = re.compile(r"A\d{1,2}[区县市]")  # the anonymised districts of 附件3
PLACE_MODES = ("townships", "one")
_SPACE = re.compile(r"\s+")
# the scratch county: province code 98 is not assigned in GB/T 2260 (99 is the demo county's)
SCRATCH_CODES = ("980000", "980100", "980101")
SCRATCH_USERS = ("repeats_eval_clerk", "repeats_eval_viewer")


@dataclass(frozen=True)
class Message:
    number: str
    user: str
    title: str
    content: str
    received_at: dt.datetime
    district: str  # the first district the title or else the content names; "" if none


def _time(text: str) -> dt.datetime:
    naive = dt.datetime.strptime(text.strip().replace("-", "/"), "%Y/%m/%d %H:%M:%S")
    return timezone.make_aware(naive)


def district_of(title: str, content: str) -> str:
    found = DISTRICT.search(title) or DISTRICT.search(content)
    return found.group(0) if found else ""


def messages_read(path: Path | str) -> list[Message]:
    """附件3's rows (留言编号, 留言用户, 留言主题, 留言时间, 留言详情) in time order."""
    with csv_open(path) as f:
        rows = [
            Message(
                number=r["留言编号"].strip(),
                user=r["留言用户"].strip(),
                title=r["留言主题"].strip(),
                content=r["留言详情"].strip(),
                received_at=_time(r["留言时间"]),
                district=district_of(r["留言主题"], r["留言详情"]),
            )
            for r in csv.DictReader(f)
        ]
    rows.sort(key=lambda m: (m.received_at, int(m.number) if m.number.isdigit() else 0, m.number))
    return rows


def twins_find(messages: list[Message]) -> list[set[int]]:
    """For each message, the earlier ones with the same details (whitespace aside) or the same user and
    subject."""
    by_text: dict[str, set[int]] = {}
    by_subject: dict[tuple[str, str], set[int]] = {}
    twins: list[set[int]] = []
    for i, m in enumerate(messages):
        text, subject = _SPACE.sub("", m.content), (m.user, m.title)
        twins.append(by_text.get(text, set()) | by_subject.get(subject, set()))
        by_text.setdefault(text, set()).add(i)
        by_subject.setdefault(subject, set()).add(i)
    return twins


# ---------------------------------------------------------------- the scratch county


@dataclass
class Scratch:
    county: Region
    clerk: User  # registers the petitions
    viewer: User  # asks the lookup: bureau staff, who see the whole county
    townships: dict[str, Region] = field(default_factory=dict)

    def place(self, message: Message, mode: str) -> Region:
        if mode == "one":
            return self.townships["评测镇"]
        return self.townships.get(message.district, self.county)


def _region(code: str, name: str, level: int, parent: Region | None) -> Region:
    return Region.objects.get_or_create(code=code, defaults={"name": name, "level": level, "parent": parent})[0]


def scratch_county(districts: list[str]) -> Scratch:
    """评测县 with a township per district (and 评测镇), its petition bureau, a clerk and a staff member.
    Call it inside a transaction that is rolled back."""
    province = _region(SCRATCH_CODES[0], "评测省", RegionLevel.PROVINCE, None)
    city = _region(SCRATCH_CODES[1], "评测市", RegionLevel.CITY, province)
    county = _region(SCRATCH_CODES[2], "评测县", RegionLevel.COUNTY, city)
    bureau = Unit.objects.get_or_create(name="评测县信访局", region=county, defaults={"kind": UnitKind.BUREAU})[0]
    clerk, viewer = (
        User.objects.get_or_create(username=name, defaults={"unit": bureau, "role": role})[0]
        for name, role in zip(SCRATCH_USERS, (Role.CLERK, Role.BUREAU_STAFF))
    )
    scratch = Scratch(county, clerk, viewer)
    for n, name in enumerate(["评测镇", *sorted(set(districts) - {""})], start=1):
        scratch.townships[name] = _region(f"{SCRATCH_CODES[2]}{n:03d}", name, RegionLevel.TOWNSHIP, county)
    return scratch


# ---------------------------------------------------------------- the replay


@dataclass
class Counts:
    messages: int = 0
    positives: int = 0
    positives_same_user: int = 0  # … whose twin is the same user's (the others: same text, another user)
    hits1: int = 0
    hits5: int = 0
    hits5_same_user: int = 0
    with_list: int = 0  # messages for which something was listed
    top1_twin: int = 0
    listed: int = 0
    listed_twins: int = 0
    false_alarms: int = 0  # messages without a twin for which something was listed
    lookup_ms: list[float] = field(default_factory=list)

    def figures(self) -> dict:
        def ratio(a: int, b: int) -> float | None:
            return round(a / b, 3) if b else None

        return {
            "precision_at_1": ratio(self.top1_twin, self.with_list),
            "precision_at_5": ratio(self.listed_twins, self.listed),
            "recall_at_1": ratio(self.hits1, self.positives),
            "recall_at_5": ratio(self.hits5, self.positives),
            "recall_at_5_same_user": ratio(self.hits5_same_user, self.positives_same_user),
            "recall_at_5_other_user": ratio(
                self.hits5 - self.hits5_same_user, self.positives - self.positives_same_user
            ),
            "messages": self.messages,
            "positives": self.positives,
            "positives_same_user": self.positives_same_user,
            "hits_at_1": self.hits1,
            "hits_at_5": self.hits5,
            "messages_with_a_list": self.with_list,
            "listed": self.listed,
            "listed_twins": self.listed_twins,
            "listed_for_messages_without_twin": self.false_alarms,
            "lookup_median_ms": round(statistics.median(self.lookup_ms), 2) if self.lookup_ms else None,
        }


@contextmanager
def thresholds(threshold: float | None, same_petitioner: float | None) -> Iterator[dict[str, float]]:
    """The lookup's thresholds, changed for the replay if given, and put back after."""
    saved = similar.THRESHOLD, similar.THRESHOLD_SAME_PETITIONER
    if threshold is not None:
        similar.THRESHOLD = threshold
    if same_petitioner is not None:
        similar.THRESHOLD_SAME_PETITIONER = same_petitioner
    try:
        yield {"threshold": similar.THRESHOLD, "threshold_same_petitioner": similar.THRESHOLD_SAME_PETITIONER}
    finally:
        similar.THRESHOLD, similar.THRESHOLD_SAME_PETITIONER = saved


def repeats_replay(
    messages: list[Message],
    scratch: Scratch,
    *,
    mode: str = "townships",
    with_petitioner: bool = True,
    progress: Callable[[int, Counts], None] | None = None,
) -> Counts:
    """Ask the lookup for each message against the earlier ones, then register it (see the module)."""
    twins = twins_find(messages)
    index_of: dict[int, int] = {}  # petition id -> message index
    people: dict[str, Petitioner] = {}
    counts = Counts()
    for i, m in enumerate(messages):
        region = scratch.place(m, mode)
        known = people.get(m.user) if with_petitioner else None
        started = time.perf_counter()
        found = similar.similar_petitions_for(
            scratch.viewer, title=m.title, content=m.content, region=region, petitioner=known
        )
        counts.lookup_ms.append((time.perf_counter() - started) * 1000)
        listed = [index_of[s.petition.pk] for s in found]
        _count(counts, i, messages, twins[i], listed)
        person = people.setdefault(m.user, Petitioner(name=f"评测用户{len(people) + 1}"))
        p = registration.petition_register(
            actor=scratch.clerk,
            channel=Channel.WEB,
            kind=Kind.SUGGESTION,
            region=region,
            title=m.title[:200],
            content=m.content or m.title,
            received_at=m.received_at,
            at=m.received_at,
            petitioners=[person],
        )
        index_of[p.pk] = i
        if progress:
            progress(i + 1, counts)
    return counts


def _count(counts: Counts, i: int, messages: list[Message], twins: set[int], listed: list[int]) -> None:
    counts.messages += 1
    counts.listed += len(listed)
    counts.listed_twins += sum(j in twins for j in listed)
    if listed:
        counts.with_list += 1
        counts.top1_twin += listed[0] in twins
        counts.false_alarms += not twins
    if not twins:
        return
    same_user = any(messages[j].user == messages[i].user for j in twins)
    counts.positives += 1
    counts.positives_same_user += same_user
    hit5 = any(j in twins for j in listed[:5])
    counts.hits1 += bool(listed) and listed[0] in twins
    counts.hits5 += hit5
    counts.hits5_same_user += hit5 and same_user


# ---------------------------------------------------------------- the threshold rule

FALSE_LISTING_BUDGET = 100  # registrations per unrelated petition listed, from each source of candidates


def thresholds_calibrate(path: Path | str, *, pairs: int = 2_000_000, seed: int = 1) -> dict[str, float]:
    """The rule the thresholds follow, on messages *other* than the labeled ones (附件4), never tuned on
    附件3: an unrelated petition is listed for at most 1 registration in FALSE_LISTING_BUDGET from each
    source. With n candidates a random pair may reach the threshold with probability 1 / (100 n): the
    places give some TOWNSHIP_RECENT + PLACE_OWN = 400 candidates (2.5e-5), the petitioner's own at most
    PETITIONER_RECENT = 50 (2e-4). The probabilities are those of random pairs of different users' messages;
    some of them are the same matter, so the thresholds err on the high side."""
    with csv_open(path) as f:
        rows = [(r["留言用户"], similar.features(r["留言主题"], r["留言详情"])) for r in csv.DictReader(f)]
    rng = random.Random(seed)
    scores: list[float] = []
    while len(scores) < pairs:
        (user_a, a), (user_b, b) = rng.choice(rows), rng.choice(rows)
        if user_a != user_b:
            scores.append(similar.similarity(a, b))
    scores.sort()

    def reached_by(candidates: int) -> float:
        return round(scores[int(len(scores) * (1 - 1 / (FALSE_LISTING_BUDGET * candidates)))], 3)

    return {
        "threshold": reached_by(similar.TOWNSHIP_RECENT + similar.PLACE_OWN),
        "threshold_same_petitioner": reached_by(similar.PETITIONER_RECENT),
        "pairs": len(scores),
    }
