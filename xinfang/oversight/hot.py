"""Hot issues (热点问题): many petitions about one underlying problem in one place and period, found so
that it is fixed at its source (未诉先办, 每月一题).

How a group is found (`hot_groups`, pure: the build and the evaluation on 附件3 call the same code):
each petition's text becomes its jieba words (the search module's `segment`, words of two characters or
more, the title's twice, the first `TEXT_CHARS` of the content), weighted by TF-IDF over the period's
petitions (words in more than `COMMON_SHARE` of them and more than `COMMON_MIN` petitions are left out:
they would link everything). Two petitions of one place (the county: `bucket`) are linked when the cosine
of their weights reaches `THRESHOLD`; a group is a connected set of links with at least `MIN_SIZE`
petitions from at least `MIN_PETITIONERS` people (one person writing again is a repeat petition, not a hot
issue).

`THRESHOLD` follows one rule, set on messages other than those it is shown on: the similarity that 1 in
10,000 random pairs of different users' messages of 附件3's sister set 附件4 reach (`threshold_calibrate`:
0.391 with this representation). A group needs three petitions linked, so such chance links seldom make one.

On 附件3 (`manage.py hot_issues_evaluate`, the whole span as one period) the largest groups found are the
ones another team's clustering found (weak_hot_issue_groups_jesHrz.csv: 伊景园滨河苑 car parks,
Jaccard 0.74; 丽发新城 mixing plant, 0.87), beside others it did not list; its broad groups (the 人才购房补贴
policy asked about in many ways over 14 months; a mixed group) are split or not found.

Ranked by `score` = people + ½ × max(petitions − people, 0) + 2 × (places − 1) + ½ × max(growth, 0): a new
person counts 1, the same person again ½, each further place (region) 2, and each petition more in the later
half of the period than in the earlier half ½.

Pre-computed: `manage.py hot_issues_build` (run it daily, e.g. by cron) reads the period's petitions once
and stores the `KEEP` highest groups (HotIssue, HotIssueMember); pages read those tables only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.db import transaction
from django.db.models import Count, F, Subquery, Window
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from xinfang.org.models import Region, RegionLevel, User
from xinfang.org.roles import ROLES_WHO_SUPERVISE
from xinfang.oversight.models import HotIssue, HotIssueMember, Supervision
from xinfang.oversight.services import cannot_supervise, supervision_open
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.models import Kind, Petition, PetitionParty
from xinfang.petitions.search import STOPWORDS, segment
from xinfang.petitions.selectors import petition_list_for

THRESHOLD = 0.39  # cosine of two petitions' word weights from which they are linked (see above)
TEXT_CHARS = 300  # of the content (the matter is stated at the start)
MIN_SIZE = 3
MIN_PETITIONERS = 2
COMMON_SHARE = 0.01
COMMON_MIN = 500
PERIOD_DAYS = 30
KEEP = 100  # groups stored per build, highest score first
KEEP_DAYS = 90  # builds older than this are deleted, but for groups put under supervision
CHUNK = 1000  # rows multiplied at once when the links are computed (bounds the memory)
KEYWORDS = 5
LIST_GROUPS = 30  # groups on the list page
SHOWN = 3  # petitions shown per group on the list page
DETAIL_SHOWN = 50  # petitions on each page of a group's page
W_REPEAT, W_PLACE, W_GROWTH = 0.5, 2.0, 0.5


@dataclass(frozen=True)
class Item:
    """What the grouping needs of a petition (or of a message of 附件3)."""

    key: Hashable  # the petition's id
    title: str
    content: str
    received_at: dt.datetime
    place: Hashable  # its region (a sub-place of the group's place)
    people: tuple[Hashable, ...] = ()  # its petitioners; none: counted as one person of its own
    bucket: Hashable = 0  # the place whose petitions are grouped together (a county)


@dataclass
class Group:
    members: list[int]  # indexes into the items, most typical first
    closeness: list[float]  # cosine of each member with the group's mean
    keywords: list[str]
    size: int = 0
    petitioners: int = 0
    places: int = 0
    growth: int = 0
    score: float = 0.0
    bucket: Hashable = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None


def words(title: str, content: str) -> list[str]:
    """The words a petition is compared by: the title's twice, then the content's."""

    def cut(text: str) -> list[str]:
        return [w for w in segment(text) if len(w) > 1 and w not in STOPWORDS]

    head = cut(title)
    return head + head + cut(content[:TEXT_CHARS])


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def vectors(docs: Sequence[list[str]]):
    """TF-IDF weights of the word lists (rows L2-normalised) and the vocabulary."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    max_df = max(int(COMMON_SHARE * len(docs)), COMMON_MIN)
    vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, max_df=max_df if len(docs) > max_df else 1.0)
    try:
        matrix = vectorizer.fit_transform(docs)
    except ValueError:  # no word at all
        return None, np.array([])
    return matrix.tocsr(), vectorizer.get_feature_names_out()


def _links(matrix, threshold: float):
    """The pairs whose cosine reaches `threshold`, as a sparse matrix, computed CHUNK rows at a time."""
    from scipy.sparse import coo_matrix

    n = matrix.shape[0]
    rows, cols = [], []
    transposed = matrix.T.tocsc()
    for start in range(0, n, CHUNK):
        block = (matrix[start : start + CHUNK] @ transposed).tocoo()
        keep = block.data >= threshold
        rows.append(block.row[keep] + start)
        cols.append(block.col[keep])
    r, c = np.concatenate(rows), np.concatenate(cols)
    return coo_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(n, n)).tocsr()


def hot_groups(
    items: Sequence[Item], *, period: tuple[dt.datetime, dt.datetime], threshold: float | None = None
) -> list[Group]:
    """The groups of `items` (all received within `period`), highest score first (see the module)."""
    from scipy.sparse.csgraph import connected_components

    threshold = THRESHOLD if threshold is None else threshold
    if not items:
        return []
    matrix, vocabulary = vectors([words(i.title, i.content) for i in items])
    if matrix is None:
        return []
    middle = period[0] + (period[1] - period[0]) / 2
    groups: list[Group] = []
    buckets: dict[Hashable, list[int]] = {}
    for n, item in enumerate(items):
        buckets.setdefault(item.bucket, []).append(n)
    for bucket, indexes in buckets.items():
        if len(indexes) < MIN_SIZE:
            continue
        sub = matrix[indexes]
        _count, labels = connected_components(_links(sub, threshold), directed=False)
        members: dict[int, list[int]] = {}
        for local, label in enumerate(labels):
            members.setdefault(int(label), []).append(local)
        for local in members.values():
            if len(local) >= MIN_SIZE:
                group = _group(items, [indexes[i] for i in local], sub[local], vocabulary, middle)
                if group.petitioners >= MIN_PETITIONERS:
                    group.bucket = bucket
                    groups.append(group)
    groups.sort(key=lambda g: (-g.score, -g.size, g.members[0]))
    return groups


def _group(items: Sequence[Item], members: list[int], rows, vocabulary, middle: dt.datetime) -> Group:
    centroid = np.asarray(rows.mean(axis=0)).ravel()
    norm = float(np.linalg.norm(centroid)) or 1.0
    closeness = np.asarray(rows @ (centroid / norm)).ravel()
    order = np.argsort(-closeness, kind="stable")
    top = np.argsort(-centroid, kind="stable")[:KEYWORDS]
    g = Group(
        members=[members[i] for i in order],
        closeness=[round(float(closeness[i]), 3) for i in order],
        keywords=[str(vocabulary[i]) for i in top if centroid[i] > 0],
    )
    chosen = [items[i] for i in g.members]
    people: set[Hashable] = set()
    for item in chosen:
        people.update(item.people or [("petition", item.key)])
    later = sum(item.received_at >= middle for item in chosen)
    g.size, g.petitioners, g.places = len(chosen), len(people), len({item.place for item in chosen})
    g.growth = later - (g.size - later)
    repeats = max(g.size - g.petitioners, 0)  # a collective petition brings several people at once
    g.score = round(g.petitioners + W_REPEAT * repeats + W_PLACE * (g.places - 1) + W_GROWTH * max(g.growth, 0), 2)
    times = [item.received_at for item in chosen]
    g.first, g.last = min(times), max(times)
    return g


def threshold_calibrate(texts: Sequence[tuple[str, str, str]], *, pairs: int = 200_000, seed: int = 1) -> float:
    """The rule for THRESHOLD: the cosine that 1 in 10,000 random pairs of different users' messages reach;
    `texts` are (user, title, content) of a set other than the one the groups are shown on (附件4)."""
    matrix, _v = vectors([words(title, content) for _u, title, content in texts])
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, len(texts), pairs), rng.integers(0, len(texts), pairs)
    users = np.array([u for u, _t, _c in texts], dtype=object)
    keep = users[a] != users[b]
    scores = np.asarray(matrix[a[keep]].multiply(matrix[b[keep]]).sum(axis=1)).ravel()
    return round(float(np.quantile(scores, 0.9999)), 3)


# ---------------------------------------------------------------- the build (manage.py hot_issues_build)


@dataclass
class BuildResult:
    built_at: dt.datetime
    period: tuple[dt.date, dt.date]
    petitions: int
    groups: int  # found, before keeping the KEEP highest
    kept: int
    deleted: int
    seconds: float
    issues: list[HotIssue] = field(default_factory=list)


def period_bounds(until: dt.date, days: int) -> tuple[dt.datetime, dt.datetime]:
    """The aware start and end of the `days` days that end with `until` (inclusive)."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(until - dt.timedelta(days=days - 1), dt.time.min, tzinfo=tz)
    return start, dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def _county_of() -> Callable[[int], int]:
    """region id -> the id of its county (the region itself above county level)."""
    regions = list(Region.objects.values_list("pk", "prefix", "level"))
    counties = {prefix: pk for pk, prefix, level in regions if level == RegionLevel.COUNTY}
    county = {pk: counties.get(prefix[:6], pk) if level >= RegionLevel.COUNTY else pk for pk, prefix, level in regions}
    return lambda region_id: county.get(region_id, region_id)


def petition_items(start: dt.datetime, end: dt.datetime) -> list[Item]:
    """The petitions received in [start, end), as items bucketed by county: two queries. Accusations are
    left out: a group's figures and title are shown to every unit with a petition in it, and an
    accusation is never counted in anything its accused may see (Art. 30)."""
    rows = list(
        Petition.objects.filter(received_at__gte=start, received_at__lt=end)
        .exclude(kind=Kind.ACCUSATION)
        .annotate(excerpt=Substr("content", 1, TEXT_CHARS))
        .values_list("pk", "title", "excerpt", "received_at", "region_id")
        .order_by("pk")
    )
    people: dict[int, list[int]] = {}
    for petition_id, petitioner_id in (
        PetitionParty.objects.filter(petition__received_at__gte=start, petition__received_at__lt=end)
        .exclude(petition__kind=Kind.ACCUSATION)
        .values_list("petition_id", "petitioner_id")
    ):
        people.setdefault(petition_id, []).append(petitioner_id)
    county = _county_of()
    return [
        Item(pk, title, excerpt, received_at, region_id, tuple(people.get(pk, ())), county(region_id))
        for pk, title, excerpt, received_at, region_id in rows
    ]


def hot_issues_build(
    *,
    until: dt.date | None = None,
    days: int = PERIOD_DAYS,
    at: dt.datetime | None = None,
    threshold: float | None = None,
) -> BuildResult:
    """Find the hot issues of the `days` days ending with `until` (default today) and store the KEEP
    highest as one build; delete the builds older than KEEP_DAYS but for groups under supervision."""
    import time

    started = time.perf_counter()
    at = at or timezone.now()
    until = until or timezone.localdate(at)
    start, end = period_bounds(until, days)
    items = petition_items(start, end)
    groups = hot_groups(items, period=(start, end), threshold=threshold)
    kept = groups[:KEEP]
    with transaction.atomic():
        issues = HotIssue.objects.bulk_create(
            HotIssue(
                built_at=at,
                period_start=start.date(),
                period_end=until,
                region_id=g.bucket,
                title=items[g.members[0]].title[:200],
                keywords=" ".join(g.keywords)[:200],
                size=g.size,
                petitioners=g.petitioners,
                places=g.places,
                growth=g.growth,
                score=g.score,
                first_received_at=g.first,
                last_received_at=g.last,
            )
            for g in kept
        )
        HotIssueMember.objects.bulk_create(
            (
                HotIssueMember(hot_issue=issue, petition_id=items[i].key, closeness=c)
                for issue, g in zip(issues, kept)
                for i, c in zip(g.members, g.closeness)
            ),
            batch_size=2000,
        )
        deleted, _per_model = HotIssue.objects.filter(
            built_at__lt=at - dt.timedelta(days=KEEP_DAYS), supervision__isnull=True
        ).delete()
    return BuildResult(
        at, (start.date(), until), len(items), len(groups), len(kept), deleted, time.perf_counter() - started, issues
    )


# ---------------------------------------------------------------- reads for the page


@dataclass
class HotIssueRow:
    issue: HotIssue
    visible: int  # its petitions the user may see
    petitions: list[Petition]  # the first of them, most typical first
    supervised: Petition | None = None  # the petition it is supervised through, if the user may see it


def _visible_members(user: User, issue_ids: list[int]):
    """The user's visible petitions of these groups (petition_list_for), each with its group and closeness."""
    return (
        petition_list_for(user)
        .filter(hot_issue_memberships__hot_issue_id__in=issue_ids)
        .annotate(issue_id=F("hot_issue_memberships__hot_issue_id"), closeness=F("hot_issue_memberships__closeness"))
    )


def hot_issue_list_for(user: User, *, groups: int = LIST_GROUPS, shown: int = SHOWN) -> list[HotIssueRow]:
    """The first `groups` groups of the latest build of which the user may see at least one petition,
    highest score first, each with its first `shown` visible petitions and how many the user may see:
    three queries (the build's members are checked against the visibility rule once, reading ids only)."""
    latest = HotIssue.objects.order_by("-built_at").values("built_at")[:1]
    issues = list(
        HotIssue.objects.filter(built_at=Subquery(latest))
        .select_related("region", "supervision")
        .order_by("-score", "pk")
    )
    if not issues:
        return []
    members: dict[int, list[tuple[float, int]]] = {}
    for pk, issue_id, closeness in _visible_members(user, [i.pk for i in issues]).values_list(
        "pk", "issue_id", "closeness"
    ):
        members.setdefault(issue_id, []).append((-closeness, pk))
    rows = [HotIssueRow(i, len(members[i.pk]), []) for i in issues if i.pk in members][:groups]
    first = {row.issue.pk: [pk for _c, pk in sorted(members[row.issue.pk])[:shown]] for row in rows}
    petitions = (
        petition_list_for(user)
        .filter(pk__in=[pk for pks in first.values() for pk in pks])
        .only("pk", "query_code", "title", "received_at", "state", "region_id")
        .in_bulk()
    )
    for row in rows:
        row.petitions = [petitions[pk] for pk in first[row.issue.pk] if pk in petitions]
    return rows


def hot_issue_get_for(user: User, pk: int, *, page: int = 1) -> HotIssueRow:
    """One group with one page (DETAIL_SHOWN) of the petitions of it the user may see, most typical first,
    and how many they are; HotIssue.DoesNotExist if the user may see none (the same answer as for a group
    that does not exist). Two queries."""
    issue = HotIssue.objects.select_related("region", "supervision").get(pk=pk)
    start = (max(1, page) - 1) * DETAIL_SHOWN
    petitions = list(
        _visible_members(user, [issue.pk])
        .select_related("region", "owner_unit")
        .annotate(visible=Window(Count("pk")))
        .order_by("-closeness", "pk")[start : start + DETAIL_SHOWN]
    )
    if not petitions:
        raise HotIssue.DoesNotExist
    through = issue.supervision.petition_id if issue.supervision else None
    supervised = next((p for p in petitions if p.pk == through), None)
    return HotIssueRow(issue, petitions[0].visible, petitions, supervised)


# ---------------------------------------------------------------- a group under supervision


def _hot_issue_supervised() -> str:
    return _("This hot issue is under supervision already: follow the open supervision up.")


def hot_issue_supervise_refusal(issue: HotIssue, actor: User) -> str | None:
    if actor.role not in ROLES_WHO_SUPERVISE:
        return cannot_supervise(actor)
    if issue.supervision_id and issue.supervision.is_open:
        return _hot_issue_supervised()
    return None


def hot_issue_reason(issue: HotIssue, petition: Petition, note: str = "") -> str:
    """The reason written on the supervision: the group in figures (never another petition's words: the
    supervised unit may not see them), and where its petitions are listed."""
    text = (
        f"热点问题（第{issue.pk}号）：{petition.title}等。{issue.period_start:%Y年%m月%d日}至"
        f"{issue.period_end:%Y年%m月%d日}，{issue.region.name}同一问题共{issue.size}件，{issue.petitioners}人，"
        f"{issue.places}个地点，详见热点问题页面。"
    )
    return f"{text}{note.strip()}" if note.strip() else text


def hot_issue_supervise(
    issue: HotIssue,
    *,
    actor: User,
    petition: Petition,
    mode: str,
    requirement: str,
    answer_due_on: dt.date,
    note: str = "",
    at: dt.datetime | None = None,
) -> Supervision:
    """Put a group under supervision: one supervision (supervision_open) on the petition of the group that
    the supervisor chose to stand for it (its owning unit answers for the underlying problem), its reason
    naming the group, and the group linked to it. The other petitions keep their own handling."""
    message = hot_issue_supervise_refusal(issue, actor)
    if message:
        raise WorkflowError(message)
    if not HotIssueMember.objects.filter(hot_issue=issue, petition_id=petition.pk).exists():
        raise WorkflowError(_("The petition chosen is not one of this hot issue’s: choose one of its petitions."))
    with transaction.atomic():
        locked = HotIssue.objects.select_for_update().get(pk=issue.pk)
        current = locked.supervision_id
        if current and Supervision.objects.filter(pk=current, is_open=True).exists():
            raise WorkflowError(_hot_issue_supervised())
        supervision = supervision_open(
            petition,
            actor=actor,
            mode=mode,
            requirement=requirement,
            reason=hot_issue_reason(issue, petition, note),
            answer_due_on=answer_due_on,
            at=at,
        )
        locked.supervision = supervision
        locked.save(update_fields=["supervision"])
    issue.supervision = supervision
    return supervision
