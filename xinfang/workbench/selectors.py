"""The work queues' reads: which petitions each tab and filter of a unit's queue holds, counted per
tab, one page at a time. They start from the one visibility rule (petitions.selectors.petition_list_for
and petition_owned_list_for); workbench.queue presents the rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from xinfang.org.models import Region, User
from xinfang.org.roles import ROLES_WHO_SUPERVISE
from xinfang.oversight.models import Supervision
from xinfang.petitions.models import OPEN_STATES_SORTED, Evaluation, Petition, State
from xinfang.petitions.search import search_filter
from xinfang.petitions.selectors import petition_list_for, petition_owned_list_for
from xinfang.petitions.workflow import TERMINAL

ACCEPT_STATES = (State.REGISTERED, State.FORWARDED, State.ASSIGNED)
ANSWER_STATES = (State.REVIEW_REQUESTED, State.REEXAMINATION_REQUESTED)
CLOSE_STATES = (State.DECIDED, State.EVALUATED, State.REVIEWED, State.REEXAMINED)
OPEN = OPEN_STATES_SORTED  # sorted(OPEN_STATES), as the open queues' partial index names them
CONCLUDED = tuple(sorted(TERMINAL))
SOON_DAYS = 3


def _supervised() -> Q:
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
        places = Region.objects.filter(prefix__startswith=query.region_prefix).values_list("pk", flat=True)
        qs = qs.filter(region_id__in=list(places))
    tz = timezone.get_current_timezone()
    if query.received_from:
        qs = qs.filter(received_at__gte=dt.datetime.combine(query.received_from, dt.time.min, tzinfo=tz))
    if query.received_to:
        end = query.received_to + dt.timedelta(days=1)
        qs = qs.filter(received_at__lt=dt.datetime.combine(end, dt.time.min, tzinfo=tz))
    if query.satisfaction:
        evaluations = Evaluation.objects.filter(satisfaction=query.satisfaction)
        if query.evaluated_from:
            evaluations = evaluations.filter(evaluated_on__gte=query.evaluated_from)
        if query.evaluated_to:
            evaluations = evaluations.filter(evaluated_on__lte=query.evaluated_to)
        qs = qs.filter(pk__in=evaluations.values("petition_id"))
    if query.text.strip():
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
