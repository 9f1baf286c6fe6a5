"""Reads. `petition_visibility` is the one rule that decides which petitions a user may see, built on
the units and regions the user reaches (xinfang.org.scope) and the Art. 30 rule (`accused_of`); every
list, page, export, statistic and API goes through `petition_list_for`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from xinfang.org.models import UnitKind, User
from xinfang.org.roles import (
    ROLES_WHO_HANDLE_ACCUSATIONS,
    ROLES_WHO_REVEAL_PERSONAL_DATA,
    ROLES_WHO_SUPERVISE,
    administers,
)
from xinfang.org.scope import scope_for
from xinfang.petitions.crypto import id_number_normalise, lookup_digest, phone_normalise
from xinfang.petitions.models import OPEN_STATES_SORTED, CoHandling, Kind, Petition, State
from xinfang.petitions.workflow import TERMINAL


def accused_of(user: User) -> Q:
    """Accusations against the user or the user's unit (Art. 30: never shown to them). Also the rule of
    the pre-aggregated statistics (xinfang.assessment.selectors), whose rows carry the same three fields."""
    return Q(kind=Kind.ACCUSATION) & accusation_against(user)


def accusation_against(user: User) -> Q:
    """accused_of without the kind: for rows whose accused fields only an accusation fills (the
    dashboard's roll-ups, which have no kind)."""
    return Q(accused_user_id=user.pk) | Q(accused_unit_id=user.unit_id) if user.unit_id else Q(accused_user_id=user.pk)


# An accusation whose accused are only proposed (accused_confirmed False) is seen, besides by discipline
# inspection, by the staff of the unit that holds it who handle accusations (ROLES_WHO_HANDLE_ACCUSATIONS:
# the bureau staff of the bureau that received it, or the handlers of the body it went to because it
# accuses the bureau), never by its clerks, leaders, supervisors or administrators (Art. 30).


def unconfirmed_accusation() -> Q:
    return Q(kind=Kind.ACCUSATION, accused_confirmed=False)


def _unconfirmed_reach(user: User) -> Q | None:
    """The unconfirmed accusations `user` may see among those the rest of the rule lets through, as a
    filter; None: every one of them (the user handles accusations in the unit that holds them, or is
    discipline inspection, which sees every one placed in its region)."""
    if user.unit_id is not None and user.unit.kind == UnitKind.DISCIPLINE:
        return None
    if user.role in ROLES_WHO_HANDLE_ACCUSATIONS:
        return Q(owner_unit_id=user.unit_id)
    return Q(pk__in=[])


def petition_visibility(user: User) -> Q:
    """The petitions `user` may see, as a filter.

    What the user's scope reaches (xinfang.org.scope): everything for an administrator; for bureau
    staff, leaders and supervisors everything placed in their unit's region subtree; and for everyone
    with a unit whatever their unit owns, registered or co-handles. In every case an accusation is
    hidden from the unit and the official it accuses (Art. 30), and one whose accused are not yet
    confirmed from everyone but the staff who handle accusations where it is held and discipline
    inspection of its region (which sees them all: it handles accusations, Art. 30).
    """
    scope = scope_for(user)
    if scope.everything:
        return ~accused_of(user) & ~unconfirmed_accusation()
    if scope.nothing:
        return Q(pk__in=[])
    own = scope.own_or_region_q(
        Q(owner_unit_id=scope.unit_id)
        | Q(registering_unit_id=scope.unit_id)
        | Q(Exists(CoHandling.objects.filter(petition=OuterRef("pk"), unit_id=scope.unit_id)))
    )
    reach = _unconfirmed_reach(user)
    if reach is None:  # discipline inspection
        own |= unconfirmed_accusation() & Q(region__prefix__startswith=user.unit.region.prefix)
        return own & ~accused_of(user)
    return own & ~accused_of(user) & (~unconfirmed_accusation() | reach)


def petition_owned_list_for(user: User) -> QuerySet[Petition]:
    """What the user's unit owns and the user may see: `petition_list_for(user)` narrowed to
    owner_unit = the user's unit, written without the other branches of the rule (every user sees
    what their unit owns, but for accusations against them), so that a work queue is one index
    range. tests/test_queue.py checks that the two agree."""
    if not user.is_authenticated or not user.is_active or user.unit_id is None:
        return Petition.objects.none()
    owned = Q(owner_unit_id=user.unit_id) & ~accused_of(user)
    if _unconfirmed_reach(user) is None or user.role in ROLES_WHO_HANDLE_ACCUSATIONS:
        return Petition.objects.filter(owned)
    return Petition.objects.filter(owned & ~unconfirmed_accusation())


def petition_list_for(user: User) -> QuerySet[Petition]:
    return Petition.objects.filter(petition_visibility(user))


def petition_get_for(user: User, pk: int) -> Petition:
    """The petition if `user` may see it; Petition.DoesNotExist otherwise (same answer as missing)."""
    return petition_list_for(user).get(pk=pk)


def petition_is_visible(user: User, petition: Petition) -> bool:
    return petition_list_for(user).filter(pk=petition.pk).exists()


def may_reveal_personal_data(user: User, petition: Petition) -> bool:
    """The one rule of who may reveal a petitioner's personal data on `petition` (which the caller has
    already found through petition_list_for): administrators, and the staff who contact petitioners
    (registration clerk, bureau staff, unit handler, unit head) of the unit that owns the petition or
    registered it. Not leaders or supervisors (they oversee; they do not call petitioners), not
    co-handling units, not a unit the petition has moved on from. No query: the petition's unit ids and
    the user's role and unit. API clients: their personal:read scope decides instead."""
    if not user.is_authenticated or not user.is_active:
        return False
    if administers(user):
        return True
    return (
        user.role in ROLES_WHO_REVEAL_PERSONAL_DATA
        and user.unit_id is not None
        and user.unit_id in (petition.owner_unit_id, petition.registering_unit_id)
    )


# ---------------------------------------------------------------- work queues

ACCEPT_STATES = (State.REGISTERED, State.FORWARDED, State.ASSIGNED)
ANSWER_STATES = (State.REVIEW_REQUESTED, State.REEXAMINATION_REQUESTED)
CLOSE_STATES = (State.DECIDED, State.EVALUATED, State.REVIEWED, State.REEXAMINED)
OPEN = OPEN_STATES_SORTED  # sorted(OPEN_STATES), as the open queues' partial index names them
CONCLUDED = tuple(sorted(TERMINAL))
SOON_DAYS = 3


def _supervised() -> Q:
    from xinfang.oversight.models import Supervision

    return Q(pk__in=Supervision.objects.filter(is_open=True).values("petition_id"))


# tab -> the filter it adds, given today. Every tab but "concluded" is a part of the open petitions.
QUEUE_TABS: dict[str, Callable[[dt.date], Q]] = {
    "open": lambda today: Q(),
    "accept": lambda today: Q(state__in=ACCEPT_STATES),
    "handle": lambda today: Q(state=State.ACCEPTED),
    "answer": lambda today: Q(state__in=ANSWER_STATES),
    "close": lambda today: Q(state__in=CLOSE_STATES),
    "soon": lambda today: Q(due_on__gte=today, due_on__lte=today + dt.timedelta(days=SOON_DAYS)),
    "overdue": lambda today: Q(due_on__lt=today),
    "supervised": lambda today: _supervised(),
    "concluded": lambda today: Q(),
    "all": lambda today: Q(),  # every state (the dashboard's drill-down to what was received)
}
OPEN_TABS = tuple(t for t in QUEUE_TABS if t not in ("concluded", "all"))

QUEUE_SORTS: dict[str, tuple[str, ...]] = {
    "due": ("due_on", "-priority", "pk"),
    "received": ("-received_at", "-pk"),
    "priority": ("-priority", "due_on", "pk"),
}
QUEUE_COUNT_CAP = 10_000  # a list longer than this shows "10,000+" and is narrowed with filters
# A search is counted to a lower cap: its matches are checked row by row (the state and the unit
# are not in the text index), and words that common are narrowed with more words, not counted.
SEARCH_COUNT_CAP = 1_000
# the tabs that keep to some of the open states themselves
STATE_TABS = ("accept", "handle", "answer", "close")
ANY_STATE_TABS = STATE_TABS + ("all",)


@dataclass(frozen=True)
class QueueQuery:
    """What a work queue shows: tab, filters and sort (empty values: no filter)."""

    tab: str = "open"
    channel: str = ""
    kind: str = ""
    state: str = ""
    category_ids: tuple[int, ...] = ()
    region_prefix: str = ""
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    text: str = ""
    sort: str = ""
    # the leaders' dashboard drills down here: everything the user may see (not only what the unit
    # owns), and petitions evaluated with one satisfaction between two dates
    area: bool = False
    satisfaction: str = ""
    evaluated_from: dt.date | None = None
    evaluated_to: dt.date | None = None

    @property
    def order(self) -> str:
        return self.sort or ("received" if self.tab == "concluded" else "due")

    @property
    def filtered(self) -> bool:
        """Whether anything beyond the tab narrows the list (else the tab's count is the list's)."""
        return bool(
            self.channel
            or self.kind
            or self.state
            or self.category_ids
            or self.region_prefix
            or self.received_from
            or self.received_to
            or self.text.strip()
            or self.area
            or self.satisfaction
        )


def _queue_base(user: User, tab: str, area: bool = False) -> QuerySet[Petition]:
    """What the user's unit owns; for a supervisor or leader, the "under supervision" tab holds what
    their unit has put under supervision, whoever owns it; with `area`, everything the user may see."""
    if area:
        return petition_list_for(user)
    if tab == "supervised" and user.role in ROLES_WHO_SUPERVISE and user.unit_id:
        from xinfang.oversight.models import Supervision

        # supervising_unit: the opener's unit, or the unit an automatic rule supervises for
        ids = Supervision.objects.filter(is_open=True, supervising_unit_id=user.unit_id).values("petition_id")
        return petition_list_for(user).filter(pk__in=ids)
    return petition_owned_list_for(user)


def petition_queue_for(user: User, query: QueueQuery, today: dt.date) -> QuerySet[Petition]:
    """The petitions of one work queue, filtered (not yet ordered: see queue_page)."""
    qs = _queue_base(user, query.tab, query.area)
    if query.tab not in ANY_STATE_TABS:  # (said twice, PostgreSQL would count its selectivity twice)
        qs = qs.filter(state__in=CONCLUDED if query.tab == "concluded" else OPEN)
    qs = qs.filter(QUEUE_TABS[query.tab](today))
    for field in ("channel", "kind", "state"):
        if getattr(query, field):
            qs = qs.filter(**{field: getattr(query, field)})
    if query.category_ids:
        qs = qs.filter(category_id__in=query.category_ids)
    if query.region_prefix:  # the place's ids first: one index scan of the unit's rows, not one per place
        from xinfang.org.models import Region

        places = Region.objects.filter(prefix__startswith=query.region_prefix).values_list("pk", flat=True)
        qs = qs.filter(region_id__in=list(places))
    tz = timezone.get_current_timezone()
    if query.received_from:
        qs = qs.filter(received_at__gte=dt.datetime.combine(query.received_from, dt.time.min, tzinfo=tz))
    if query.received_to:
        end = query.received_to + dt.timedelta(days=1)
        qs = qs.filter(received_at__lt=dt.datetime.combine(end, dt.time.min, tzinfo=tz))
    if query.satisfaction:
        from xinfang.petitions.models import Evaluation

        evaluations = Evaluation.objects.filter(satisfaction=query.satisfaction)
        if query.evaluated_from:
            evaluations = evaluations.filter(evaluated_on__gte=query.evaluated_from)
        if query.evaluated_to:
            evaluations = evaluations.filter(evaluated_on__lte=query.evaluated_to)
        qs = qs.filter(pk__in=evaluations.values("petition_id"))
    if query.text.strip():
        from xinfang.petitions.search import search_filter

        qs = search_filter(qs, query.text)
    return qs


def queue_tab_counts(user: User, today: dt.date) -> dict[str, int]:
    """How many open petitions each tab holds, in one query ("concluded" is not counted), or two for
    a supervisor or leader, whose "under supervision" tab is counted apart."""
    tabs = OPEN_TABS
    apart = user.role in ROLES_WHO_SUPERVISE
    if apart:
        tabs = tuple(t for t in OPEN_TABS if t != "supervised")
    qs = petition_owned_list_for(user).filter(state__in=OPEN)
    counts = qs.aggregate(**{tab: Count("pk", filter=QUEUE_TABS[tab](today)) for tab in tabs})
    if apart:
        counts["supervised"] = _queue_base(user, "supervised").filter(state__in=OPEN).count()
    return {tab: counts[tab] or 0 for tab in OPEN_TABS}


@dataclass
class QueuePage:
    rows: list[Petition]
    number: int
    per_page: int
    count: int  # at most the cap
    capped: bool  # more rows than the cap

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def queue_page(
    qs: QuerySet[Petition],
    sort: str,
    page: int = 1,
    per_page: int = 50,
    *,
    clamp: bool = False,
    cap: int | None = None,
    count: int | None = None,
) -> QueuePage:
    """One page of `qs` in `sort` order, and how many rows there are (counted up to `cap`, by default
    QUEUE_COUNT_CAP; not counted again when the caller knows it: `count`, e.g. from queue_tab_counts).
    A page past the end is empty, or the last page if `clamp` (what a person paging expects).

    The page's ids are found first, from the unit's covering index (petition_unit_state_idx) without
    reading a row, and only those rows are read. By due date, dated rows come first and the undated
    ones follow: they are asked for apart because SQLite sorts NULL first, and a unit's closed
    petitions (due_on NULL) would otherwise be read before its first open one. A further query runs
    only on the page where the dated rows end.
    """
    cap = cap or QUEUE_COUNT_CAP
    if count is None:
        count = qs.order_by().values("pk")[: cap + 1].count()
    capped = count > cap
    count = min(count, cap)
    number = max(1, page)
    if clamp:
        number = min(number, max(1, -(-count // per_page)))
    start, stop = (number - 1) * per_page, number * per_page
    ids: list[int] = []
    if start < count:
        if sort != "due":
            ids = list(qs.order_by(*QUEUE_SORTS[sort]).values_list("pk", flat=True)[start:stop])
        else:
            dated = qs.filter(due_on__isnull=False)
            ids = list(dated.order_by(*QUEUE_SORTS["due"]).values_list("pk", flat=True)[start:stop])
            if len(ids) < per_page and count > start + len(ids):
                # the undated rows continue where the dated ones ended
                undated_start = 0 if ids else max(0, start - dated.count())
                undated = qs.filter(due_on__isnull=True).order_by("-priority", "pk").values_list("pk", flat=True)
                ids += list(undated[undated_start : undated_start + per_page - len(ids)])
    found = {p.pk: p for p in qs.filter(pk__in=ids)} if ids else {}
    return QueuePage([found[pk] for pk in ids if pk in found], number, per_page, count, capped)


def work_queue_for(user: User, *, page: int = 1, per_page: int = 50) -> list[Petition]:
    """The open petitions the user's unit owns, earliest due date first, undated ones last."""
    qs = petition_queue_for(user, QueueQuery(), timezone.localdate()).select_related("category", "region")
    return queue_page(qs, "due", page, per_page).rows


# ---------------------------------------------------------------- registration desk: earlier petitioners

LOOKUP_PEOPLE = 10  # petitioners shown at most
LOOKUP_PETITIONS = 30  # of their petitions, newest first
LOOKUP_PER_PERSON = 10


class PetitionerMatch:
    """An earlier petitioner found by the desk's lookup, with what matched and their petitions (the
    person's phone, ID number and address are shown masked: `person.phone_masked` …)."""

    def __init__(self, person, matched_on: tuple[str, ...], petitions: list[Petition]) -> None:
        self.person, self.matched_on, self.petitions = person, matched_on, petitions


def petitioner_lookup_for(user: User, *, name: str = "", phone: str = "", id_number: str = "") -> list[PetitionerMatch]:
    """Earlier petitioners whose exact name, phone number or ID number is what the clerk typed, each
    with their petitions that `user` may see (people with none are not shown), those matching more
    of the three first. Bounded: LOOKUP_PEOPLE people, LOOKUP_PETITIONS petitions.

    The one place where personal data is matched: equality on indexed columns (never a LIKE scan);
    phone and ID number, encrypted at rest, by their keyed hashes (crypto.lookup_digest).
    """
    from django.db.models import Case, F, IntegerField, Value, When

    from xinfang.petitions.models import Petitioner

    name, phone, id_number = name.strip(), phone_normalise(phone), id_number_normalise(id_number)
    typed = {
        "name": name if len(name) >= 2 else "",
        "phone": phone if len(phone) >= 7 else "",
        "id_number": id_number if len(id_number) in (15, 18) else "",
    }
    # what each typed key is compared with: the name itself, the digests of phone and ID number
    keys = {
        k if k == "name" else f"{k}_digest": v if k == "name" else lookup_digest(k, v) for k, v in typed.items() if v
    }
    if not keys:
        return []
    weight = {"id_number_digest": 4, "phone_digest": 4, "name": 1}
    visible = petition_list_for(user).filter(parties__petitioner_id=OuterRef("pk"))
    # per key, the latest LOOKUP_PEOPLE people with a visible petition: a backward scan of the key's
    # index that stops there (a common name does not make every namesake's petitions be read)
    any_key = Q()
    for k, v in keys.items():
        latest = (
            Petitioner.objects.filter(**{k: v}).filter(Exists(visible)).order_by("-pk").values("pk")[:LOOKUP_PEOPLE]
        )
        any_key |= Q(pk__in=latest)
    score = sum(
        (
            Case(When(**{k: v}, then=Value(weight[k])), default=Value(0), output_field=IntegerField())
            for k, v in keys.items()
        ),
        Value(0),
    )
    people = list(Petitioner.objects.filter(any_key).annotate(score=score).order_by("-score", "-pk")[:LOOKUP_PEOPLE])
    if not people:
        return []
    rows = list(
        petition_list_for(user)
        .filter(parties__petitioner_id__in=[p.pk for p in people])
        .annotate(person_id=F("parties__petitioner_id"))
        .select_related("owner_unit")
        .only("pk", "query_code", "title", "received_at", "state", "owner_unit__name")
        .order_by("-received_at", "-pk")[:LOOKUP_PETITIONS]
    )
    by_person: dict[int, list[Petition]] = {p.pk: [] for p in people}
    for row in rows:
        if len(by_person[row.person_id]) < LOOKUP_PER_PERSON:
            by_person[row.person_id].append(row)
    return [
        PetitionerMatch(
            p, tuple(k.removesuffix("_digest") for k, v in keys.items() if getattr(p, k) == v), by_person[p.pk]
        )
        for p in people
    ]
