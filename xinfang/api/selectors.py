"""Reads of the API: the client behind a token, petition pages and statistics. Every petition read
starts from xinfang.petitions.selectors.petition_list_for (the one visibility rule) for the
client's service user."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Prefetch, QuerySet, When
from django.db.models.functions import Substr, TruncDay, TruncMonth, TruncYear
from django.utils import timezone
from django.utils.translation import gettext as _

from xinfang.api.models import ApiClient
from xinfang.org.models import Region, RegionLevel, User
from xinfang.org.selectors import home_region, upper_regions
from xinfang.petitions.categories import category_rows, category_subtree
from xinfang.petitions.models import Channel, Kind, Petition, PetitionParty, State
from xinfang.petitions.selectors import petition_list_for
from xinfang.petitions.workflow import TERMINAL

TOKEN_PREFIX = "xf_"
PAGE_MAX = 200
# The service user's unit and region, and enough of the region tree to reach the county (registration).
CLIENT_RELATED = ("user__unit__region__parent__parent",)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_client_for_token(token: str) -> ApiClient | None:
    """The active client whose token this is (one indexed query), or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    return (
        ApiClient.objects.select_related(*CLIENT_RELATED)
        .filter(token_hash=token_hash(token), is_active=True, user__is_active=True)
        .first()
    )


class UnknownReference(ValueError):
    """A filter or reference the client sent that names nothing we know; the message says which."""


def unknown_category(category: int) -> str:
    return _("There is no category %(id)s.") % {"id": category}


# ---------------------------------------------------------------- places


def region_prefix_for_code(code: str) -> str:
    """The tree prefix of a region code, from the cached upper tree (villages: the code itself)."""
    if len(code) == 12 and code.isdigit():
        return code
    found = next((r for r in upper_regions.get().values() if r.code == code), None)
    if found is None:
        raise UnknownReference(_("There is no region with the code %(code)s.") % {"code": code})
    return found.prefix


def region_full_name(region: Region) -> str:
    """省市县乡村 names joined, from the region itself and the cached tree above it (no query)."""
    table = upper_regions.get()
    names, parent = [region.name], region.parent_id
    while parent in table:
        names.append(table[parent].name)
        parent = table[parent].parent_id
    return "".join(reversed(names))


def region_for_registration(user: User, code: str) -> Region:
    """The region of `code`, if it lies in the user's home area (the county whose places the
    registration desk offers; the client's user is loaded with CLIENT_RELATED, so no query for it)."""
    home = home_region(user)
    region = Region.objects.filter(code=code).first()
    if region is None or home is None or not region.prefix.startswith(home.prefix):
        raise UnknownReference(
            _("The region code %(code)s does not exist or is not within your unit’s area (%(home)s).")
            % {"code": code, "home": home.name if home else _("none")}
        )
    return region


# ---------------------------------------------------------------- petition lists


@dataclass(frozen=True)
class PetitionFilter:
    """What a list or a statistic is narrowed to (empty values: no filter)."""

    state: str = ""
    kind: str = ""
    channel: str = ""
    category: int | None = None
    region: str = ""
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    updated_since: dt.datetime | None = None


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def petition_filtered_for(user: User, f: PetitionFilter) -> QuerySet[Petition]:
    """The petitions `user` may see, narrowed by `f` (category with its subtree, region with its subtree)."""
    qs = petition_list_for(user)
    for field in ("state", "kind", "channel"):
        if getattr(f, field):
            qs = qs.filter(**{field: getattr(f, field)})
    if f.category is not None:
        ids = category_subtree(f.category)
        if not ids:
            raise UnknownReference(unknown_category(f.category))
        qs = qs.filter(category_id__in=ids)
    if f.region:
        qs = qs.filter(region__prefix__startswith=region_prefix_for_code(f.region))
    if f.received_from:
        qs = qs.filter(received_at__gte=_day_start(f.received_from))
    if f.received_to:
        qs = qs.filter(received_at__lt=_day_start(f.received_to + dt.timedelta(days=1)))
    if f.updated_since:
        qs = qs.filter(updated_at__gte=f.updated_since)
    return qs


ROW_RELATED = ("category", "region", "owner_unit")
# what a listed row shows (not the content, which can be long, nor the search terms)
ROW_FIELDS = (
    "query_code",
    "channel",
    "kind",
    "title",
    "received_at",
    "state",
    "priority",
    "headcount",
    "due_on",
    "updated_at",
    "category__name",
    "category__path",
    "region__code",
    "region__name",
    "region__parent_id",
    "owner_unit__name",
)


def petition_page_for(
    user: User, f: PetitionFilter, *, limit: int, cursor: int | None
) -> tuple[list[Petition], int | None]:
    """One page, newest first, after `cursor` (the last id of the page before), and the cursor of the
    next page (None at the end). Keyset paging, no count and no offset: two queries on any page of any
    table, the page's rows (with their category, place and owner) and their petitioners."""
    limit = max(1, min(limit, PAGE_MAX))
    qs = (
        petition_filtered_for(user, f)
        .select_related(*ROW_RELATED)
        .only(*ROW_FIELDS)
        .order_by("-pk")
        .prefetch_related(Prefetch("parties", PetitionParty.objects.select_related("petitioner")))
    )
    if cursor is not None:
        qs = qs.filter(pk__lt=cursor)
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].pk if more else None)


# ---------------------------------------------------------------- statistics

GROUPS = ("state", "kind", "channel", "category", "region", "period")
PERIODS = {"day": TruncDay, "month": TruncMonth, "year": TruncYear}
REGION_CODE_LENGTH = {RegionLevel.COUNTY: 6, RegionLevel.TOWNSHIP: 9, RegionLevel.VILLAGE: 12}
LABELS = {"state": dict(State.choices), "kind": dict(Kind.choices), "channel": dict(Channel.choices)}
UNSET = "未填写"


@dataclass(frozen=True)
class StatisticRow:
    key: str | None
    label: str
    count: int


def _category_at(level: int):
    """The id of the petition's category at `level` of the tree (coarser categories: themselves)."""
    return Case(
        When(category__level__lte=level, then=F("category_id")),
        When(category__level=level + 1, then=F("category__parent_id")),
        default=F("category__parent__parent_id"),
        output_field=IntegerField(),
    )


def petition_statistics_for(
    user: User,
    f: PetitionFilter,
    *,
    group_by: str,
    category_level: int = 1,
    region_level: int = RegionLevel.TOWNSHIP,
    period: str = "month",
) -> list[StatisticRow]:
    """How many petitions `user` may see per group: one aggregate query in the database (and one for
    the names of regions), never a loop over petitions."""
    qs = petition_filtered_for(user, f).order_by()
    if group_by in LABELS:
        key = F(group_by)
    elif group_by == "category":
        key = _category_at(category_level)
    elif group_by == "region":
        key = Substr("region__code", 1, REGION_CODE_LENGTH[RegionLevel(region_level)])
    else:
        key = PERIODS[period]("received_at", tzinfo=timezone.get_current_timezone())
    counts = list(
        qs.annotate(group=key).values("group").annotate(n=Count("pk")).order_by("group").values_list("group", "n")
    )
    labels = _labels(group_by, [group for group, _ in counts])
    return [StatisticRow(key, label, n) for (key, label), (_, n) in zip(labels, counts, strict=True)]


def _labels(group_by: str, keys: list) -> list[tuple[str | None, str]]:
    if group_by in LABELS:
        return [(k, str(LABELS[group_by].get(k, k))) for k in keys]
    if group_by == "category":
        paths = {c.pk: c.path for c in category_rows()}
        return [(None if k is None else str(k), paths.get(k, UNSET) if k is not None else UNSET) for k in keys]
    if group_by == "region":
        regions = {r.code: r for r in Region.objects.filter(code__in=[k for k in keys if k])}
        return [(k, region_full_name(regions[k]) if k in regions else k) for k in keys]
    days = [_day(k) for k in keys]  # the first day of each period
    return [(d, d) for d in days]


def _day(value: dt.datetime | dt.date) -> str:
    """A truncated period as its first day (SQLite gives a datetime in UTC, PostgreSQL a local one)."""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.isoformat()


# ---------------------------------------------------------------- Open311 GeoReport v2

OPEN311_MAX = 1000  # requests per answer, as the GeoReport v2 spec allows
OPEN311_DEFAULT_DAYS = 90  # without dates (or ids), the most recent 90 days


def open311_requests_for(
    user: User,
    *,
    ids: list[int],
    service_codes: list[int],
    start: dt.datetime | None,
    end: dt.datetime | None,
    statuses: set[str],
) -> list[Petition]:
    """GET requests: by id (the other filters then do not apply), else by service (category), time
    received and open/closed; newest first, at most OPEN311_MAX. One query."""
    qs = petition_list_for(user).select_related(*ROW_RELATED)
    if ids:
        qs = qs.filter(pk__in=ids)
    else:
        if service_codes:
            qs = qs.filter(category_id__in=service_codes)
        if start is None and end is None:
            start = timezone.now() - dt.timedelta(days=OPEN311_DEFAULT_DAYS)
        if start is not None:
            qs = qs.filter(received_at__gte=start)
        if end is not None:
            qs = qs.filter(received_at__lte=end)
        if statuses == {"closed"}:
            qs = qs.filter(state__in=TERMINAL)
        elif statuses == {"open"}:
            qs = qs.exclude(state__in=TERMINAL)
    return list(qs.order_by("-received_at", "-pk")[:OPEN311_MAX])


def region_from_address(user: User, *, address_id: str, address_string: str) -> Region:
    """The place of an Open311 request: `address_id` is a region code; else the most specific region
    of the user's home area named in `address_string` (a village whose township is named too wins)."""
    if address_id:
        return region_for_registration(user, address_id)
    home = home_region(user)
    if address_string and home is not None:
        named = [
            r
            for r in Region.objects.filter(prefix__startswith=home.prefix).only(
                "pk", "code", "name", "level", "parent_id", "prefix"
            )
            if r.name in address_string
        ]
        ids = {r.pk for r in named}
        if named:
            return max(named, key=lambda r: (r.level, r.parent_id in ids, len(r.name), -r.pk))
    raise UnknownReference(
        "请提供 address_id（行政区划代码），或写明乡镇、村（社区）名称的 address_string；暂不支持仅凭经纬度确定地点。"
    )
