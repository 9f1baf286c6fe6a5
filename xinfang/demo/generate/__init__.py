"""Synthetic petitions in bulk (造数): realistic texts, places, units, states and histories, fast.

Two kinds of history (petitions_generate(history=...), manage.py generate_petitions --history):

"import" (the default, ImportGenerator, tens of thousands a second): each petition as if taken over
from an existing Excel ledger (台账导入): one "import" event from "" to its current state, chained and
hashed like any first event, and only what that state needs to go on through the services: its open
deadlines (the same calendar computation), owner and routing unit, its decisions and evaluations;
the import event records what replay.py checks (open deadlines, owner, the texts' digests, the accused).
The current state is reached with the same odds and pace as the full walk below.

"full" (Generator): every petition is one the services could have made: it walks the transition table
(workflow.TABLE) from "register" with the same guards, opens and meets the same deadlines
(due dates from the same calendar functions, cached per start date and period), writes the same
event data (the register event's digests and "opened" due dates too), and chains its events with the
same hash as eventlog.event_hash, so verify_chains() finds no break, replay.rows_verify() finds each row
what its events say, and Petition.due_on is what services._queue_due gives. Only the speed differs:
rows are written with raw executemany (SQLite) or COPY (PostgreSQL) in large transactions.

Petitioners are invented (王某甲, phone 100xxxxxxxx, no ID number), their phone and address encrypted
and the phone's lookup digest computed as crypto.py does for any row. Staff actions need staff:
a unit that has no handler or unit head gets a synthetic one (username gen-<unit id>-handler /
-head, no usable password).
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import hashlib
import json
import logging
import multiprocessing
import random
import shutil
import tempfile
import time
import zoneinfo
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, transaction

from xinfang.org import calendar
from xinfang.org.models import Region, RegionLevel, Role, Unit, UnitKind, User
from xinfang.petitions import deadlines, rules
from xinfang.petitions.crypto import encrypt, lookup_digest
from xinfang.petitions.eventlog import GENESIS
from xinfang.petitions.models import (
    Category,
    Channel,
    Deadline,
    Decision,
    DecisionStage,
    Evaluation,
    Event,
    Kind,
    Measure,
    Outcome,
    Petition,
    Petitioner,
    PetitionParty,
    Priority,
    Satisfaction,
)
from xinfang.petitions.models import (
    DeadlineKind as DK,
)
from xinfang.petitions.models import (
    State as S,
)
from xinfang.petitions.replay import text_digest
from xinfang.petitions.search import (
    COLUMN as SEARCH_COLUMN,
)
from xinfang.petitions.search import (
    search_body,
    search_bulk_end,
    search_bulk_start,
    search_clear,
    search_insert_select,
    search_vector_text,
    search_write_rows,
)
from xinfang.petitions.workflow import EVALUATE_TARGET, TABLE

log = logging.getLogger(__name__)

NO_ORG_MESSAGE = (
    "没有行政区划和责任单位，无法生成信访事项：请先运行 manage.py load_demo。"
    " (No regions or units to place petitions in: run manage.py load_demo first.)"
)


class GenerateError(Exception):
    pass


# ---------------------------------------------------------------- texts

FALLBACK_TEXTS = [
    (
        "反映村道路面破损影响出行",
        "本村通组公路去年修建后不到一年路面多处开裂塌陷，雨天积水严重，学生和老人出行困难，请有关部门核查施工质量并尽快维修。",
        "城乡建设",
    ),
    (
        "拖欠农民工工资问题",
        "我们在县城某建筑工地务工，包工头拖欠三个月工资共计四万余元，多次讨要未果，请求劳动监察部门督促支付。",
        "劳动和社会保障",
    ),
    (
        "小区噪音扰民",
        "小区旁边的夜市每天营业到凌晨两点，音响声音很大，严重影响周边居民休息，希望城管部门加强管理。",
        "环境保护",
    ),
    (
        "宅基地审批迟迟没有结果",
        "本人于今年三月提交建房宅基地申请，材料齐全，至今没有答复，请求乡镇政府说明审批进度。",
        "城乡建设",
    ),
    (
        "学校周边交通安全隐患",
        "县第二小学门口上下学时段车辆乱停乱放，没有交通协管员，存在很大安全隐患，建议设置减速带和隔离栏。",
        "交通运输",
    ),
    (
        "低保资格认定有异议",
        "我家两位老人均患慢性病，无劳动能力，今年低保复核被取消，认为认定不公，请求重新核查。",
        "劳动和社会保障",
    ),
    (
        "建议增开城乡公交班次",
        "镇上到县城的公交每天只有四班，村民看病、办事很不方便，建议增加班次并延长末班时间。",
        "交通运输",
    ),
    (
        "养殖场污水直排河道",
        "村东头一家养猪场长期将污水直接排入小河，河水发黑发臭，下游农田灌溉受到影响，请环保部门查处。",
        "环境保护",
    ),
]
FALLBACK_REPLIES = [
    "经调查核实，您反映的问题属实，相关部门已责成责任单位限期整改，整改情况将及时告知您。感谢您对我们工作的关心和支持。",
    "经核查，您反映的情况与实际不符，已向您当面解释说明相关政策规定。如有其他问题，欢迎继续反映。",
    "您反映的问题已转交主管部门研究处理，已制定解决方案并逐步落实。",
]


@dataclass
class Texts:
    items: list[tuple[str, str, str]]  # (title, content, level-1 label or "")
    replies: list[str]


def texts_load(folder: Path | None = None) -> Texts:
    """The raw 留言 (title, content) of the 2020 泰迪杯 C data under SHARED_DATA_DIR; built-in texts if absent."""
    folder = Path(folder or settings.SHARED_DATA_DIR)
    items: list[tuple[str, str, str]] = []
    replies: list[str] = []
    sources = [
        folder / "tipdm2020c_attachments34" / "attachment3_hot_messages.csv",
        folder / "tipdm2020c_attachments34" / "attachment4_messages_with_replies.csv",
        folder / "tipdm2020c_msg_sample" / "dev.csv",
    ]
    for path in sources:
        try:
            with path.open(encoding="utf-8-sig", newline="") as f:
                for row in csv.DictReader(f):
                    title = " ".join((row.get("留言主题") or "").split())[:200]
                    content = (row.get("留言详情") or "").strip()
                    if title and content:
                        items.append((title, content, (row.get("一级分类") or "").strip()))
                    reply = (row.get("答复意见") or "").strip()
                    if reply:
                        replies.append(reply)
        except (OSError, csv.Error, UnicodeDecodeError) as exc:
            log.info("texts: %s not used (%s)", path, exc)
    if not items:
        items = list(FALLBACK_TEXTS)
    if not replies:
        replies = list(FALLBACK_REPLIES)
    return Texts(items, replies)


# ---------------------------------------------------------------- synthetic people and notes

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
STEMS = "甲乙丙丁戊己庚辛壬癸"
STEP_NOTES = [
    "已约谈信访人，了解诉求和有关情况",
    "已到现场调查核实",
    "已召开协调会，相关单位参加",
    "已调取有关档案材料",
    "已征求相关部门意见",
    "已与被反映单位沟通，要求其说明情况",
    "已组织听取群众意见",
]
EXTEND_REASONS = [
    "案情复杂，需要多部门会商",
    "需要补充调查取证",
    "涉及历史遗留问题，需调阅档案核实",
    "需要等待鉴定结论",
]
RETURN_REASONS = [
    "该事项不属于本单位职权范围，请转有关主管部门办理",
    "该事项应由属地乡镇人民政府办理",
    "该事项涉及的事权在上级部门，本单位无权处理",
]
EVAL_REASONS = {
    Satisfaction.SATISFIED: ["问题已解决", "答复及时，态度好", ""],
    Satisfaction.BASICALLY: ["问题基本解决", "处理较慢", ""],
    Satisfaction.DISSATISFIED: ["问题没有解决", "对处理意见不认可", "办理时间太长"],
}


def _weighted(pairs):
    values = [v for v, _ in pairs]
    cum, total = [], 0.0
    for _, w in pairs:
        total += w
        cum.append(total)
    return values, cum, total


def _pick(rng: random.Random, table) -> object:
    values, cum, total = table
    return values[bisect.bisect_right(cum, rng.random() * total)]


CHANNELS = _weighted(
    [
        (Channel.VISIT, 30),
        (Channel.LETTER, 12),
        (Channel.PHONE, 18),
        (Channel.WEB, 22),
        (Channel.WECHAT, 10),
        (Channel.MAILBOX, 6),
        (Channel.FAX, 2),
    ]
)
KINDS = _weighted([(Kind.CLAIM, 72), (Kind.SUGGESTION, 16), (Kind.ACCUSATION, 12)])
PRIORITIES = _weighted([(Priority.ORDINARY, 80), (Priority.IMPORTANT, 13), (Priority.URGENT, 5), (Priority.SPECIAL, 2)])
OUTCOMES = _weighted([(Outcome.SUPPORT, 45), (Outcome.EXPLAIN, 40), (Outcome.NOT_SUPPORT, 15)])
MEASURE_FOR = {Outcome.SUPPORT: Measure.RESOLVED, Outcome.EXPLAIN: Measure.EXPLAINED, Outcome.NOT_SUPPORT: Measure.LAW}
SATISFACTIONS = _weighted([(Satisfaction.SATISFIED, 62), (Satisfaction.BASICALLY, 26), (Satisfaction.DISSATISFIED, 12)])
DECLINE_KEYS = list(rules.DECLINE_REASONS)
CHANNEL_KEYS = list(rules.LEGAL_CHANNELS)

OBLIGATIONS = frozenset(str(k) for k in deadlines.OBLIGATIONS)
QUEUE_WINDOWS = frozenset(str(k) for k in deadlines.WINDOWS) - {str(DK.OBJECTION)}
UNIT_DEADLINES = OBLIGATIONS | {str(DK.OBJECTION)}

QUERY_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # as services.QUERY_CODE_ALPHABET
_CODE_SPACE = 31**10
_CODE_MUL = 0x2F1B_5A3D_9C7  # odd and not a multiple of 31: id -> code is a bijection mod 31**10
_CODE_FAR = _CODE_SPACE // 2  # fallback codes come from ids no real petition reaches


# three base-31 digits at a time, lowest first: the same code as ten divmods by 31, a third of the work
_CODE_3 = [
    QUERY_CODE_ALPHABET[r % 31] + QUERY_CODE_ALPHABET[r // 31 % 31] + QUERY_CODE_ALPHABET[r // 961]
    for r in range(31**3)
]


def query_code_for(n: int, salt: int) -> str:
    x = (n * _CODE_MUL + salt) % _CODE_SPACE
    x, a = divmod(x, 29791)
    x, b = divmod(x, 29791)
    x, c = divmod(x, 29791)
    return _CODE_3[a] + _CODE_3[b] + _CODE_3[c] + QUERY_CODE_ALPHABET[x]


# ---------------------------------------------------------------- the org tree as plain data


@dataclass
class Org:
    places: list[int]  # region ids petitions are placed in
    place_weights: list[float]
    region_code: dict[int, str]
    region_name: dict[int, str]
    registrars: dict[int, list[int]]  # place -> units that register there (bureau first)
    township_office: dict[int, int]  # place -> township office unit (if any)
    village_committee: dict[int, int]  # place -> village committee unit (if any)
    departments: dict[int, list[int]]  # place -> county departments that may receive it
    unit_kind: dict[int, str]
    unit_parent: dict[int, int | None]
    handler: dict[int, tuple[int, str]]  # unit -> (user id, actor label)
    head: dict[int, tuple[int, str]]
    router: dict[int, tuple[int, str]]
    categories: list[tuple[int, list[int]]]  # (level-1 id, level-2 ids)
    category_by_name: dict[str, int]


def _actor_label(user: User) -> str:
    from xinfang.petitions.services import actor_label

    return actor_label(user)


def org_load() -> Org:
    regions = {r.pk: r for r in Region.objects.all()}
    units = [u for u in Unit.objects.filter(is_active=True).select_related("region")]
    if not regions or not units:
        raise GenerateError(NO_ORG_MESSAGE)
    by_region: dict[int, list[Unit]] = {}
    for u in units:
        by_region.setdefault(u.region_id, []).append(u)

    def ancestors(rid: int) -> list[int]:
        out = []
        while rid is not None:
            out.append(rid)
            rid = regions[rid].parent_id
        return out

    def first(rid: int, kinds: tuple[str, ...]) -> Unit | None:
        found = [u for u in by_region.get(rid, []) if u.kind in kinds]
        return min(found, key=lambda u: u.pk) if found else None

    places, weights = [], []
    registrars: dict[int, list[int]] = {}
    township_office: dict[int, int] = {}
    village_committee: dict[int, int] = {}
    departments: dict[int, list[int]] = {}
    level_weight = {RegionLevel.VILLAGE: 1.0, RegionLevel.TOWNSHIP: 1.5, RegionLevel.COUNTY: 2.0}
    for rid, r in regions.items():
        if r.level not in level_weight:
            continue
        chain = [a for a in ancestors(rid) if regions[a].level >= RegionLevel.COUNTY]
        county = next((a for a in chain if regions[a].level == RegionLevel.COUNTY), None)
        if county is None:
            continue
        bureau = first(county, (UnitKind.BUREAU,))
        gov = first(county, (UnitKind.GOVERNMENT,))
        depts = sorted(u.pk for u in by_region.get(county, []) if u.kind in (UnitKind.DEPARTMENT, UnitKind.STATIONED))
        regs = [bureau.pk] if bureau else ([gov.pk] if gov else [])
        town = next(
            (first(a, (UnitKind.TOWNSHIP_OFFICE,)) for a in chain if regions[a].level == RegionLevel.TOWNSHIP), None
        )
        village = first(rid, (UnitKind.VILLAGE_COMMITTEE,)) if r.level == RegionLevel.VILLAGE else None
        if town:
            township_office[rid] = town.pk
            regs.append(town.pk)
        if village:
            village_committee[rid] = village.pk
            regs.append(village.pk)
        if not regs:
            regs = [u.pk for a in chain for u in by_region.get(a, [])][:1]
        if not regs:
            continue
        registrars[rid] = regs
        departments[rid] = depts
        places.append(rid)
        weights.append(level_weight[r.level] * max(1, (r.population or 1000)) ** 0.5)
    if not places:
        raise GenerateError(NO_ORG_MESSAGE)

    unit_ids = {u.pk for u in units}
    unit_parent = {u.pk: (u.parent_id if u.parent_id in unit_ids else None) for u in units}
    handler, head, router = _actors(units)
    cats: dict[int, list[int]] = {}
    by_name: dict[str, int] = {}
    for pk, name in Category.objects.filter(level=1).values_list("pk", "name"):
        cats.setdefault(pk, [])
        by_name[name] = pk
    for pk, parent_id in Category.objects.filter(level=2).values_list("pk", "parent_id"):
        cats.setdefault(parent_id, []).append(pk)
    return Org(
        places=places,
        place_weights=weights,
        region_code={rid: r.code for rid, r in regions.items()},
        region_name={rid: r.name for rid, r in regions.items()},
        registrars=registrars,
        township_office=township_office,
        village_committee=village_committee,
        departments=departments,
        unit_kind={u.pk: u.kind for u in units},
        unit_parent=unit_parent,
        handler=handler,
        head=head,
        router=router,
        categories=sorted((k, sorted(v)) for k, v in cats.items()),
        category_by_name=by_name,
    )


def _actors(units: list[Unit]):
    """A handler, a unit head and a router (clerk/bureau staff/handler) for every unit; synthetic
    staff (no usable password) where a unit has none."""
    existing: dict[tuple[int, str], User] = {}
    for user in User.objects.filter(unit__in=units, is_active=True).order_by("pk"):
        existing.setdefault((user.unit_id, user.role), user)
    new = []
    for u in units:
        for role, suffix, title in ((Role.HANDLER, "handler", "经办人"), (Role.UNIT_HEAD, "head", "负责人")):
            if (u.pk, role) not in existing:
                user = User(
                    username=f"gen-{u.pk}-{suffix}", unit=u, role=role, display_name=f"{u.name}{title}", is_active=True
                )
                user.set_unusable_password()
                new.append(user)
    if new:
        taken = set(User.objects.filter(username__in=[n.username for n in new]).values_list("username", flat=True))
        User.objects.bulk_create([n for n in new if n.username not in taken])
        for user in User.objects.filter(username__in=[n.username for n in new]):
            existing.setdefault((user.unit_id, user.role), user)
    handler, head, router = {}, {}, {}
    for u in units:
        h, hd = existing[(u.pk, Role.HANDLER)], existing[(u.pk, Role.UNIT_HEAD)]
        r = existing.get((u.pk, Role.CLERK)) or existing.get((u.pk, Role.BUREAU_STAFF)) or h
        handler[u.pk] = (h.pk, _actor_label(h))
        head[u.pk] = (hd.pk, _actor_label(hd))
        router[u.pk] = (r.pk, _actor_label(r))
    return handler, head, router


# ---------------------------------------------------------------- dates and times

DAY = 86400
WORK_START, WORK_END = 8 * 3600 + 1800, 17 * 3600 + 30 * 60


class Clock:
    """Local times as integer seconds since local midnight of EPOCH; UTC strings for storage and hashing."""

    EPOCH = dt.date(2000, 1, 1)

    def __init__(self, tz: str) -> None:
        self.tz = zoneinfo.ZoneInfo(tz)
        self.epoch_ord = self.EPOCH.toordinal()
        self._offset: dict[int, int | None] = {}
        self._iso: dict[int, str] = {}

    def from_aware(self, at: dt.datetime) -> int:
        local = at.astimezone(self.tz)
        return (local.date().toordinal() - self.epoch_ord) * DAY + local.hour * 3600 + local.minute * 60 + local.second

    def day(self, t: int) -> int:
        """The local date (as an ordinal) of time t."""
        return t // DAY + self.epoch_ord

    def date_iso(self, ordinal: int) -> str:
        s = self._iso.get(ordinal)
        if s is None:
            s = self._iso[ordinal] = dt.date.fromordinal(ordinal).isoformat()
        return s

    def utc(self, t: int, micro: int) -> tuple[str, str]:
        """(storage form 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC, hash form as eventlog.event_hash writes it)."""
        day = t // DAY
        off = self._offset.get(day, False)
        if off is False:
            d = dt.date.fromordinal(day + self.epoch_ord)
            a = dt.datetime(d.year, d.month, d.day, 0, 0, tzinfo=self.tz).utcoffset()
            b = dt.datetime(d.year, d.month, d.day, 23, 59, tzinfo=self.tz).utcoffset()
            off = self._offset[day] = int(a.total_seconds()) if a == b else None
        if off is None:  # a DST change that day: do it exactly
            d = dt.date.fromordinal(day + self.epoch_ord)
            local = dt.datetime(d.year, d.month, d.day, tzinfo=self.tz) + dt.timedelta(seconds=t % DAY)
            u = local.astimezone(dt.UTC)
            ut = (u.date().toordinal() - self.epoch_ord) * DAY + u.hour * 3600 + u.minute * 60 + u.second
        else:
            ut = t - off
        uday, sec = divmod(ut, DAY)
        clock = f"{_HM[sec // 60]}{_S[sec % 60]}.{micro:06d}"
        date = self.date_iso(uday + self.epoch_ord)
        return f"{date} {clock}", f"{date}T{clock}+00:00"


_HM = [f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)]  # 'HH:MM' of each minute of the day
_S = [f":{s:02d}" for s in range(60)]


# ---------------------------------------------------------------- the generator


@dataclass
class Result:
    count: int = 0
    seconds: float = 0.0
    first_id: int | None = None
    last_id: int | None = None
    states: Counter = field(default_factory=Counter)
    rows: Counter = field(default_factory=Counter)
    wait_seconds: float = 0.0  # waiting for the generator (its share of the time, where it runs apart)
    write_seconds: float = 0.0  # writing the rows, commits included

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


# the body of eventlog.event_hash, spelled out: keys sorted, compact separators, ensure_ascii=False
_dumps = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode
_REPORT = "交办单确定的报告期限"  # as deadlines.deadline_new for a given number of days

# deadline row layout while simulating
KIND, UNIT, START, PERIOD, WORKING, ROLL, ARTICLE, EXT, EXT_REASON, PAUSED, PAUSED_SINCE, DUE, OPEN, MET = range(14)


class _Case:
    __slots__ = (
        "pid",
        "seq",
        "prev",
        "state",
        "owner",
        "routed_by",
        "open",
        "deadlines",
        "t",
        "place",
        "kind",
        "accused_unit",
        "decline_reason",
        "redirect_channel",
    )


class Stop(Exception):
    """The next step would lie in the future (or the case stalls): the petition stays where it is."""


class Generator:
    def __init__(
        self, org: Org, texts: Texts, *, seed: int | None, years: float, now: dt.datetime, postgres: bool = False
    ) -> None:
        self.org, self.texts = org, texts
        self.rng = random.Random(seed)
        self.clock = Clock(settings.TIME_ZONE)
        self.epoch_ord = self.clock.epoch_ord
        self.now_t = self.clock.from_aware(now)
        self.start_t = self.now_t - int(years * 365 * DAY)
        self.periods = {k: rules.period(k) for k in rules.DEFAULT_PERIODS}
        self._due: dict[tuple[int, int, bool, bool], int] = {}
        self.place_table = _weighted(list(zip(org.places, org.place_weights)))
        self.salt = self.rng.randrange(_CODE_SPACE)
        self.existing_codes: set[str] = set()
        self.recent_petitioners: list[int] = []
        self.label_json: dict[str, str] = {}
        self.postgres = postgres
        self.met_deadlines = True
        self.next_petitioner = 0
        # search index bodies (text index, body) this generator made (presegment), for the next batch
        self.new_bodies: list[tuple[int, str]] = []
        self.presegment_pool = False
        self._digests: dict[int, dict[str, str]] = {}  # text index -> its title's and content's SHA-256

    # -- the calendar is the same for everyone: cache due dates by (start, days, working, roll over)
    def due(self, start: int, days: int, working: bool, roll: bool) -> int:
        key = (start, days, working, roll)
        d = self._due.get(key)
        if d is None:
            d = self._due[key] = calendar.count_forward(dt.date.fromordinal(start), days, working, roll).end.toordinal()
        return d

    def query_code(self, pid: int) -> str:
        code = query_code_for(pid, self.salt)
        far = pid
        while code in self.existing_codes:  # a code the services drew at random; practically never
            far += _CODE_FAR
            code = query_code_for(far, self.salt)
        return code

    def presegment(self, indexes) -> None:
        """Make the search index bodies of these texts; they go with the next batch ("search_text")."""
        items = self.texts.items
        self.new_bodies += [(ti, search_body(items[ti][0], items[ti][1])) for ti in indexes]

    def registered(
        self, ti: int, kind: str, category: int | None, priority: int, accused_unit: int | None, accused_name: str
    ) -> dict:
        """What services.petition_register's event records besides the facts: the texts' digests, the
        co-handling units (none here), category, priority, and an accusation's accused (confirmed)."""
        digests = self._digests.get(ti)
        if digests is None:
            title, content, _ = self.texts.items[ti]
            digests = self._digests[ti] = {"title_sha256": text_digest(title), "content_sha256": text_digest(content)}
        data = {**digests, "co_units": [], "category": category, "priority": priority}
        if kind == Kind.ACCUSATION:
            data |= {
                "accused_unit": accused_unit,
                "accused_user": None,
                "accused_name": accused_name,
                "accused_confirmed": True,
            }
        return data

    # -- the pieces of services._apply
    def _emit(self, c: _Case, action: str, actor: tuple[int, str], at: int, frm: str, data: dict) -> None:
        c.seq += 1
        store, iso = self.clock.utc(at, 1 + int(self.rng.random() * 999998))
        uid, lab = actor
        lj = self.label_json.get(lab)
        if lj is None:
            lj = self.label_json[lab] = json.dumps(lab, ensure_ascii=False)
        dj = _dumps(data)
        body = (
            f'{{"action":"{action}","actor":{uid},"actor_label":{lj},"at":"{iso}","data":{dj},'
            f'"from":"{frm}","petition":{c.pid},"prev":"{c.prev}","seq":{c.seq},"to":"{c.state}"}}'
        )
        h = hashlib.sha256(body.encode()).hexdigest()
        self.out_e.append(
            (c.pid, c.seq, store + "+00:00" if self.postgres else store, uid, lab, action, frm, c.state, dj, c.prev, h)
        )
        c.prev = h
        c.t = at

    def _deadline(self, c: _Case, kind: str, start: int, unit: int | None, days: int | None = None) -> list:
        if days is None:
            p = self.periods[kind]
            d = [
                kind,
                unit,
                start,
                p.days,
                p.working_days,
                p.roll_over,
                p.article,
                0,
                "",
                0,
                None,
                self.due(start, p.days, p.working_days, p.roll_over),
                True,
                None,
            ]
        else:
            d = [
                kind,
                unit,
                start,
                days,
                False,
                False,
                _REPORT,
                0,
                "",
                0,
                None,
                self.due(start, days, False, False),
                True,
                None,
            ]
        c.deadlines.append(d)
        return d

    def _apply(
        self,
        c: _Case,
        action: str,
        actor: tuple[int, str],
        at: int,
        data: dict,
        new_owner: int | None = None,
        report_days: int | None = None,
    ) -> None:
        tr = TABLE[action]
        if c.state not in tr.sources:
            raise AssertionError(f"{action} from {c.state}")
        today = at // DAY + self.epoch_ord
        frm = c.state
        if new_owner is not None and new_owner != c.owner:
            c.owner = new_owner
            data["owner_unit"] = new_owner
        for k in tr.closes:
            d = c.open.pop(k, None)
            if d is not None:
                d[OPEN], d[MET] = False, today
        for k in tr.opens:
            c.open[k] = self._deadline(
                c,
                k,
                today,
                c.owner if k in UNIT_DEADLINES else None,
                report_days if k == DK.ASSIGNMENT_REPORT else None,
            )
        if tr.opens:  # as services._apply: the due dates it opened (replay.py checks the rows)
            data["opened"] = {k: self.clock.date_iso(c.open[k][DUE]) for k in tr.opens}
        target = EVALUATE_TARGET.get(c.state) if action == "evaluate" else tr.target
        if target:
            c.state = target
        self._emit(c, action, actor, at, frm, data)

    def _later(self, c: _Case, lo: int, hi: int) -> int:
        """A working-hours time lo..hi days after the last event (0: later the same day). Stop if that is
        in the future, or (rarely) if the case stalls there: some petitions are left lying about."""
        rng = self.rng
        r = rng.random
        if r() < 0.02:
            raise Stop
        at = c.t
        nt = (at // DAY + lo + int(r() * (hi - lo + 1))) * DAY + WORK_START + int(r() * (WORK_END - WORK_START))
        if nt <= at:
            nt = at + 60 + int(r() * 7140)
        if nt > self.now_t:
            raise Stop
        return nt

    def _on_day(self, c: _Case, ordinal: int) -> int:
        nt = (ordinal - self.epoch_ord) * DAY + WORK_START + int(self.rng.random() * (WORK_END - WORK_START))
        if nt <= c.t:
            nt = c.t + self.rng.randint(60, 7200)
        if nt > self.now_t:
            raise Stop
        return nt

    def _decide(self, c: _Case, action: str, stage: str, actor: tuple[int, str], at: int) -> None:
        outcome = _pick(self.rng, OUTCOMES)
        measure = MEASURE_FOR[outcome] if self.rng.random() < 0.85 else Measure.ASSISTED
        replies = self.texts.replies
        self.out_dec.append(
            (
                c.pid,
                stage,
                c.owner,
                outcome,
                measure,
                replies[int(self.rng.random() * len(replies))],
                self.clock.date_iso(at // DAY + self.epoch_ord),
                actor[0],
            )
        )
        self._apply(c, action, actor, at, {"stage": stage, "outcome": outcome, "measure": measure})

    def _evaluate(self, c: _Case, at: int) -> None:
        sat = _pick(self.rng, SATISFACTIONS)
        reasons = EVAL_REASONS[sat]
        reason = reasons[int(self.rng.random() * len(reasons))]
        self.out_ev.append((c.pid, sat, reason, self.clock.date_iso(at // DAY + self.epoch_ord)))
        self._apply(c, "evaluate", self.org.handler[c.owner], at, {"satisfaction": sat, "reason": reason})

    def _close(self, c: _Case, window_kind: str | None) -> None:
        rng = self.rng
        window = c.open.get(window_kind) if window_kind else None
        if window is not None and rng.random() < 0.7:
            at = self._on_day(c, window[DUE] + rng.randint(1, 12))  # after the window has passed
        else:
            at = self._later(c, 1, 12)
        waived = window is not None and at // DAY + self.epoch_ord <= window[DUE]
        self._apply(c, "close", self.org.handler[c.owner], at, {"waived": waived})

    # -- one history, through the transition table
    def _history(self, c: _Case) -> None:
        org, rng = self.org, self.rng
        rnd = rng.random
        place, kind = c.place, c.kind
        returned_by: int | None = None
        while c.state in (S.REGISTERED, S.FORWARDED, S.ASSIGNED):
            owner = c.owner
            r = rnd()
            if c.state == S.REGISTERED:
                at = self._later(c, 0, 13) if rnd() < 0.95 else self._later(c, 14, 24)
                act = org.router[owner]
                ukind = org.unit_kind[owner]
                town, village = org.township_office.get(place), org.village_committee.get(place)
                depts = [d for d in org.departments[place] if d not in (owner, c.accused_unit, returned_by)]
                if kind == Kind.CLAIM and r < 0.05:
                    c.redirect_channel = CHANNEL_KEYS[int(rnd() * len(CHANNEL_KEYS))]
                    self._apply(c, "redirect", act, at, {"channel": c.redirect_channel, "note": ""})
                elif r < 0.12:
                    c.decline_reason = DECLINE_KEYS[int(rnd() * len(DECLINE_KEYS))]
                    self._apply(c, "decline", act, at, {"reason": c.decline_reason, "note": ""})
                elif returned_by is not None:
                    if depts and r < 0.55:
                        to = depts[int(rnd() * len(depts))]
                        c.routed_by = owner
                        self._apply(c, "forward", act, at, {"to_unit": to, "note": ""}, new_owner=to)
                    else:
                        self._apply(c, "accept", act, at, {})
                elif ukind in (UnitKind.BUREAU, UnitKind.GOVERNMENT):
                    if town and town != owner and r < 0.42:
                        days = (30, 45, 60)[int(rnd() * 3)]
                        c.routed_by = owner
                        self._apply(
                            c,
                            "assign",
                            act,
                            at,
                            {"to_unit": town, "report_days": days, "note": ""},
                            new_owner=town,
                            report_days=days,
                        )
                    elif depts and r < 0.93:
                        to = depts[int(rnd() * len(depts))]
                        c.routed_by = owner
                        self._apply(c, "forward", act, at, {"to_unit": to, "note": ""}, new_owner=to)
                    else:
                        self._apply(c, "accept", act, at, {})
                elif ukind == UnitKind.TOWNSHIP_OFFICE and r < 0.50:
                    if village and village != owner and r < 0.38:
                        days = (20, 30, 45)[int(rnd() * 3)]
                        c.routed_by = owner
                        self._apply(
                            c,
                            "assign",
                            act,
                            at,
                            {"to_unit": village, "report_days": days, "note": ""},
                            new_owner=village,
                            report_days=days,
                        )
                    elif depts:
                        to = depts[int(rnd() * len(depts))]
                        c.routed_by = owner
                        self._apply(c, "forward", act, at, {"to_unit": to, "note": ""}, new_owner=to)
                    else:
                        self._apply(c, "accept", act, at, {})
                else:
                    self._apply(c, "accept", act, at, {})
            else:  # forwarded or assigned: the receiving unit accepts, returns or declines
                if r < 0.08 and returned_by is None:
                    at = self._later(c, 0, 4)  # within the 5 working days for an objection
                    objection = c.open[DK.OBJECTION]
                    if at // DAY + self.epoch_ord <= objection[DUE]:
                        returned_by = owner
                        back, c.routed_by = c.routed_by, None
                        self._apply(
                            c,
                            "return",
                            org.handler[owner],
                            at,
                            {"reason": RETURN_REASONS[int(rnd() * len(RETURN_REASONS))]},
                            new_owner=back,
                        )
                        continue
                at = self._later(c, 0, 12) if rnd() < 0.95 else self._later(c, 13, 22)
                act = org.router[owner]
                if r < 0.14:
                    c.decline_reason = DECLINE_KEYS[int(rnd() * len(DECLINE_KEYS))]
                    self._apply(c, "decline", act, at, {"reason": c.decline_reason, "note": ""})
                elif r < 0.18 and kind == Kind.CLAIM:
                    c.redirect_channel = CHANNEL_KEYS[int(rnd() * len(CHANNEL_KEYS))]
                    self._apply(c, "redirect", act, at, {"channel": c.redirect_channel, "note": ""})
                else:
                    self._apply(c, "accept", act, at, {})
        if c.state != S.ACCEPTED:
            return

        # handling: some steps, perhaps one extension, then the written opinion
        accepted_day = c.t // DAY + self.epoch_ord
        handling = c.open[DK.HANDLING]
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
            self._apply(
                c,
                "record_step",
                org.handler[c.owner],
                self._later(c, 1, 15),
                {"note": STEP_NOTES[int(rnd() * len(STEP_NOTES))]},
            )
        if rnd() < 0.08:
            at = self._later(c, 1, 20)
            if at // DAY + self.epoch_ord <= handling[DUE]:
                days = rng.randint(10, 30)
                reason = EXTEND_REASONS[int(rnd() * len(EXTEND_REASONS))]
                before = handling[DUE]
                handling[EXT], handling[EXT_REASON] = days, reason
                handling[DUE] = self.due(handling[START], handling[PERIOD] + days, handling[WORKING], handling[ROLL])
                head = org.head[c.owner]
                self._apply(
                    c,
                    "extend",
                    head,
                    at,
                    {
                        "days": days,
                        "reason": reason,
                        "approved_by": head[0],
                        "due_before": self.clock.date_iso(before),
                        "due_after": self.clock.date_iso(handling[DUE]),
                    },
                )
        if rnd() < 0.05:
            decide_day = handling[DUE] + rng.randint(1, 20)  # late
        else:
            decide_day = accepted_day + rng.randint(3, max(3, handling[DUE] - accepted_day - 1))
        self._decide(c, "decide", DecisionStage.HANDLING, org.handler[c.owner], self._on_day(c, decide_day))

        # the petitioner's turn: evaluate, ask for a review, or let the window pass
        if rnd() < 0.65:
            self._evaluate(c, self._later(c, 1, 12))
        higher = org.unit_parent.get(c.owner)
        if higher is None or rnd() >= 0.12:
            return self._close(c, DK.REVIEW_REQUEST)
        self._apply(
            c, "request_review", org.handler[c.owner], self._later(c, 1, 15), {"to_unit": higher}, new_owner=higher
        )
        c.routed_by = None
        if rnd() < 0.4:
            self._apply(
                c,
                "record_step",
                org.handler[c.owner],
                self._later(c, 1, 12),
                {"note": STEP_NOTES[int(rnd() * len(STEP_NOTES))]},
            )
        answer = c.open[DK.REVIEW_ANSWER]
        day = answer[DUE] + rng.randint(1, 10) if rnd() < 0.05 else answer[START] + rng.randint(5, 29)
        self._decide(c, "review_decide", DecisionStage.REVIEW, org.handler[c.owner], self._on_day(c, day))
        if rnd() < 0.4:
            self._evaluate(c, self._later(c, 1, 10))
        higher = org.unit_parent.get(c.owner)
        if higher is None or rnd() >= 0.25:
            return self._close(c, DK.REEXAMINATION_REQUEST)
        self._apply(
            c,
            "request_reexamination",
            org.handler[c.owner],
            self._later(c, 1, 14),
            {"to_unit": higher},
            new_owner=higher,
        )
        answer = c.open[DK.REEXAMINATION_ANSWER]
        if rnd() < 0.3:
            start = self._later(c, 2, 10)
            self._apply(
                c,
                "hearing_start",
                org.handler[c.owner],
                start,
                {"paused_on": self.clock.date_iso(start // DAY + self.epoch_ord)},
            )
            answer[PAUSED_SINCE] = start // DAY + self.epoch_ord
            end = self._later(c, 0, 5)
            end_day = end // DAY + self.epoch_ord
            if answer[WORKING]:
                added = calendar.working_days_between(
                    dt.date.fromordinal(answer[PAUSED_SINCE]), dt.date.fromordinal(end_day)
                )
            else:
                added = end_day - answer[PAUSED_SINCE] + 1
            answer[PAUSED] += added
            answer[PAUSED_SINCE] = None
            answer[DUE] = self.due(
                answer[START], answer[PERIOD] + answer[EXT] + answer[PAUSED], answer[WORKING], answer[ROLL]
            )
            self._apply(
                c,
                "hearing_end",
                org.handler[c.owner],
                end,
                {
                    "resumed_on": self.clock.date_iso(end_day),
                    "days_not_counted": added,
                    "due_after": self.clock.date_iso(answer[DUE]),
                },
            )
        day = max(c.t // DAY + self.epoch_ord + 1, answer[START] + rng.randint(8, 29))
        self._decide(c, "reexamine_decide", DecisionStage.REEXAMINATION, org.handler[c.owner], self._on_day(c, day))
        if rnd() < 0.3:
            self._evaluate(c, self._later(c, 1, 10))
        self._close(c, None)

    # -- one batch of petitions, as rows
    def batch(self, first_id: int, n: int, first_petitioner: int) -> dict[str, list[tuple]]:
        rng, org, clock = self.rng, self.org, self.clock
        rnd, randint = rng.random, rng.randint
        texts = self.texts.items
        epoch_ord = self.epoch_ord
        date_iso = clock.date_iso
        now_t, span = self.now_t, self.now_t - self.start_t - 3600
        pg = self.postgres
        out_p: list[tuple] = []
        out_d: list[tuple] = []
        out_pp: list[tuple] = []
        out_pr: list[tuple] = []
        out_s: list[tuple] = []
        self.out_e, self.out_dec, self.out_ev = [], [], []
        recent = self.recent_petitioners
        pr_id = first_petitioner
        n_cats = len(org.categories)
        met = self.met_deadlines
        for pid in range(first_id, first_id + n):
            place = _pick(rng, self.place_table)
            ti = int(rnd() * len(texts))
            title, content, label = texts[ti]
            kind = _pick(rng, KINDS)
            channel = _pick(rng, CHANNELS)
            priority = _pick(rng, PRIORITIES)
            category = None
            if n_cats and rnd() < 0.96:
                top = org.category_by_name.get(label) if label else None
                if top is None:
                    top, children = org.categories[int(rnd() * n_cats)]
                else:
                    children = next((ch for k, ch in org.categories if k == top), [])
                category = children[int(rnd() * len(children))] if children and rnd() < 0.75 else top
            regs = org.registrars[place]
            r = rnd()
            if r < 0.55 or len(regs) == 1:
                registrar = regs[0]
            elif r < 0.68 and org.departments[place]:
                depts = org.departments[place]
                registrar = depts[int(rnd() * len(depts))]
            else:
                registrar = regs[1 + int(rnd() * (len(regs) - 1))]
            accused_unit, accused_name = None, ""
            if kind == Kind.ACCUSATION:
                cands = [d for d in org.departments[place] if d != registrar]
                if cands and rnd() < 0.5:
                    accused_unit = cands[int(rnd() * len(cands))]
                accused_name = f"{SURNAMES[int(rnd() * len(SURNAMES))]}某"

            # petitioners (a claim needs at least one; suggestions and accusations may be anonymous)
            parties: list[int] = []
            headcount = 1
            if kind == Kind.CLAIM or rnd() < 0.7:
                if channel == Channel.VISIT and rnd() < 0.06:
                    headcount, k = randint(5, 40), randint(1, 3)
                else:
                    k = 1 if rnd() < 0.93 else 2
                for _ in range(k):
                    if recent and rnd() < 0.15:  # someone who has petitioned before
                        who = recent[int(rnd() * len(recent))]
                        if who in parties:
                            continue
                    else:
                        who, pr_id = pr_id, pr_id + 1
                        name = SURNAMES[int(rnd() * len(SURNAMES))] + "某" + STEMS[int(rnd() * 10)]
                        if rnd() < 0.3:
                            name += STEMS[int(rnd() * 10)]
                        out_pr.append(
                            _petitioner_row(
                                who,
                                name,
                                f"100{int(rnd() * 100000000):08d}",
                                f"{org.region_name[place]}{1 + int(rnd() * 12)}组",
                            )
                        )
                        if len(recent) < 5000:
                            recent.append(who)
                        else:
                            recent[int(rnd() * 5000)] = who
                    parties.append(who)
                headcount = max(headcount, len(parties))
            collective = headcount >= 5
            for who in parties:
                out_pp.append((pid, who, collective))

            # received during office hours (visits, phone) or any time (letters, web), registered soon after
            received = self.start_t + int(rnd() * span)
            if channel in (Channel.VISIT, Channel.PHONE) or rnd() < 0.5:
                received = received // DAY * DAY + WORK_START + int(rnd() * (WORK_END - WORK_START - 3600))
            at = min(received + 60 * (3 + int(rnd() * 88)), now_t)
            received = min(received, at - 60)
            recv_store, _ = clock.utc(received, 1 + int(rnd() * 999998))
            recv_day = received // DAY + epoch_ord

            c = _Case()
            c.pid, c.seq, c.prev, c.t = pid, 0, GENESIS, at
            c.state, c.owner, c.routed_by = S.REGISTERED, registrar, None
            c.open, c.deadlines = {}, []
            c.place, c.kind, c.accused_unit = place, kind, accused_unit
            c.decline_reason = c.redirect_channel = ""
            c.open[DK.INTAKE] = self._deadline(c, DK.INTAKE, recv_day, registrar)
            actor = org.router[registrar]
            self._emit(
                c,
                "register",
                actor,
                at,
                "",
                {
                    "channel": channel,
                    "kind": kind,
                    "region": org.region_code[place],
                    "headcount": headcount,
                    "unit": registrar,
                    "received_on": date_iso(recv_day),
                    **self.registered(ti, kind, category, priority, accused_unit, accused_name),
                    "opened": {DK.INTAKE: date_iso(c.open[DK.INTAKE][DUE])},
                },
            )
            try:
                self._history(c)
            except Stop:
                pass

            # Petition.due_on as services._queue_due: earliest open obligation, else earliest window
            obligations = [d[DUE] for d in c.open.values() if d[KIND] in OBLIGATIONS]
            windows = [d[DUE] for d in c.open.values() if d[KIND] in QUEUE_WINDOWS]
            due_on = min(obligations or windows or [None], key=lambda x: x or 10**9)
            last_store = self.out_e[-1][2]
            out_p.append(
                (
                    pid,
                    self.query_code(pid),
                    channel,
                    kind,
                    category,
                    place,
                    title,
                    content,
                    recv_store + "+00:00" if pg else recv_store,
                    actor[0],
                    registrar,
                    priority,
                    headcount,
                    accused_unit,
                    accused_name,
                    c.state,
                    c.owner,
                    c.routed_by,
                    date_iso(due_on) if due_on else None,
                    c.redirect_channel,
                    c.decline_reason,
                    c.seq,
                    c.prev,
                    last_store,
                )
            )
            out_s.append((pid, ti))
            for d in c.deadlines if met else c.open.values():
                out_d.append(
                    (
                        pid,
                        d[KIND],
                        d[UNIT],
                        date_iso(d[START]),
                        d[PERIOD],
                        d[WORKING],
                        d[ROLL],
                        d[ARTICLE],
                        d[EXT],
                        d[EXT_REASON],
                        d[PAUSED],
                        date_iso(d[PAUSED_SINCE]) if d[PAUSED_SINCE] else None,
                        date_iso(d[DUE]),
                        d[OPEN],
                        date_iso(d[MET]) if d[MET] else None,
                    )
                )
        self.next_petitioner = pr_id
        new_bodies, self.new_bodies = self.new_bodies, []
        return {
            "petition": out_p,
            "petitioner": out_pr,
            "party": out_pp,
            "event": self.out_e,
            "deadline": out_d,
            "decision": self.out_dec,
            "evaluation": self.out_ev,
            "search": out_s,
            "search_text": new_bodies,
        }


# ---------------------------------------------------------------- the ledger import (台账导入, B6)

_ST = {s: str(s.value) for s in S}
_REGISTERED, _FORWARDED, _ASSIGNED, _ACCEPTED = (_ST[S.REGISTERED], _ST[S.FORWARDED], _ST[S.ASSIGNED], _ST[S.ACCEPTED])
_DECIDED, _EVALUATED, _REVIEW_REQUESTED, _REVIEWED = (
    _ST[S.DECIDED],
    _ST[S.EVALUATED],
    _ST[S.REVIEW_REQUESTED],
    _ST[S.REVIEWED],
)
_REEXAM_REQUESTED, _REEXAMINED = _ST[S.REEXAMINATION_REQUESTED], _ST[S.REEXAMINED]
_DECLINED, _REDIRECTED, _CLOSED = _ST[S.DECLINED], _ST[S.REDIRECTED], _ST[S.CLOSED]
_CLAIM, _ACCUSATION = str(Kind.CLAIM.value), str(Kind.ACCUSATION.value)
_STAGE = {k: str(k.value) for k in DecisionStage}
MEASURE_STR = {str(o.value): str(m.value) for o, m in MEASURE_FOR.items()}
ASSISTED = str(Measure.ASSISTED.value)
EVAL_STR = {str(k.value): v for k, v in EVAL_REASONS.items()}
IMPORT_ACTION = "import"
PETITIONER_REUSE = 0.68  # chance that a party is someone who petitioned before (about 1 new person in 3 petitions)
PETITIONER_POOL = 400  # people per place who may petition again


class ImportGenerator(Generator):
    """Petitions as if migrated from an existing Excel ledger (台账导入): the same petitions as the
    full generator (texts, places, units, kinds, channels, received dates, and a current state reached
    with the same odds at the same pace), but each with one "import" event (from "" to its current
    state, at the time of its last step) and only what its current state needs to go on through the
    services: the open deadlines (computed as the services compute them), owner and routing unit,
    the decisions and evaluations made so far. The actor is the registering unit's clerk (or handler).
    The steps on the way (a return, an extension, a hearing, handling notes) shape the current state
    and dates but leave no event of their own; a pending hearing is not imported."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        org = self.org
        self.pools: dict[int, list[int]] = {}
        self.children = dict(org.categories)
        # deadline kind -> (period days, working days, roll over, article)
        self.dk = {
            str(k): (p.days, p.working_days, p.roll_over, p.article)
            for k, p in self.periods.items()
            if k in {str(x) for x in DK}
        }
        self.place_values, self.place_cum, self.place_total = self.place_table
        self.run_first, self.run_count = 1, 0  # the ids this run makes (set by petitions_generate)
        self._workday: dict[int, bool] = {}
        # True: rows carry the index of a text (petition title, content=None; decision text) instead of
        # the text, to be joined with SPOOL_TEXTS when spooled batches are copied in
        self.text_refs = False
        # the same weights as the full generator, with plain values (cheaper to compare and to format)
        self.tables = [
            ([v.value for v in values], cum, total)
            for values, cum, total in (CHANNELS, KINDS, PRIORITIES, OUTCOMES, SATISFACTIONS)
        ]
        self.place_info = {}
        for place in org.places:
            regs = org.registrars[place]
            depts = org.departments[place]
            # the departments a unit of this place may forward to (itself left out)
            without = {u: [d for d in depts if d != u] for u in set(regs) | set(depts)}
            self.place_info[place] = (
                regs,
                depts,
                without,
                org.township_office.get(place),
                org.village_committee.get(place),
                org.region_name[place],
                org.region_code[place],
            )

    def due(self, start: int, days: int, working: bool, roll: bool) -> int:
        """calendar.count_forward(start, days, working, roll).end as an ordinal, by the same rule from a
        per-day cache of calendar.is_workday (count_forward also writes notes, which cost more)."""
        key = (start, days, working, roll)
        d = self._due.get(key)
        if d is None:
            workday = self._workday
            if working:
                d, counted = start, 0
                while counted < days:
                    d += 1
                    w = workday.get(d)
                    if w is None:
                        w = workday[d] = calendar.is_workday(dt.date.fromordinal(d))
                    counted += w
            else:
                d = start + days
                while roll:
                    w = workday.get(d)
                    if w is None:
                        w = workday[d] = calendar.is_workday(dt.date.fromordinal(d))
                    if w:
                        break
                    d += 1
            self._due[key] = d
        return d

    def _dl(
        self,
        out: list,
        pid: int,
        kind: str,
        unit: int | None,
        start: int,
        days: int | None = None,
        ext: int = 0,
        ext_reason: str = "",
    ) -> int:
        """Append an open deadline row; return its due date (ordinal)."""
        date_iso = self.clock.date_iso
        if days is None:
            period, working, roll, article = self.dk[kind]
        else:
            period, working, roll, article = days, False, False, _REPORT
        due = self.due(start, period + ext, working, roll)
        out.append(
            (
                pid,
                kind,
                unit,
                date_iso(start),
                period,
                working,
                roll,
                article,
                ext,
                ext_reason,
                0,
                None,
                date_iso(due),
                True,
                None,
            )
        )
        return due

    def batch(self, first_id: int, n: int, first_petitioner: int) -> dict[str, list[tuple]]:
        rng, org, clock = self.rng, self.org, self.clock
        rnd = rng.random
        texts = self.texts.items
        n_texts = len(texts)
        replies = self.texts.replies
        n_replies = len(replies)
        text_refs = self.text_refs
        epoch_ord = self.epoch_ord
        date_iso, utc = clock.date_iso, clock.utc
        now_t, start_t, span = self.now_t, self.start_t, self.now_t - self.start_t - 3600
        work_span = WORK_END - WORK_START
        pg = self.postgres
        tz_suffix = "+00:00" if pg else ""
        due = self.due
        dl = self._dl
        out_p: list[tuple] = []
        out_d: list[tuple] = []
        out_pp: list[tuple] = []
        out_pr: list[tuple] = []
        out_e: list[tuple] = []
        out_dec: list[tuple] = []
        out_ev: list[tuple] = []
        out_s: list[tuple] = []
        pools = self.pools
        pr_id = first_petitioner
        cats = org.categories
        n_cats = len(cats)
        cat_by_name, children_of = org.category_by_name, self.children
        place_values, place_cum, place_total = self.place_values, self.place_cum, self.place_total
        place_info = self.place_info
        unit_kind, unit_parent = org.unit_kind, org.unit_parent
        router, handler = org.router, org.handler
        (
            (ch_values, ch_cum, ch_total),
            (k_values, k_cum, k_total),
            (pr_values, pr_cum, pr_total),
            (o_values, o_cum, o_total),
            (s_values, s_cum, s_total),
        ) = self.tables
        bisect_right = bisect.bisect_right
        label_json = self.label_json
        sha256 = hashlib.sha256
        code = self.query_code
        registered, dumps = self.registered, _dumps
        n_surnames = len(SURNAMES)
        dk = self.dk
        h_days, h_working, h_roll, _ = dk[str(DK.HANDLING.value)]
        ra_days, ra_working, ra_roll, _ = dk[str(DK.REVIEW_ANSWER.value)]
        o_days, o_working, o_roll, _ = dk[str(DK.OBJECTION.value)]
        n_channels, n_declines, n_extend = len(CHANNEL_KEYS), len(DECLINE_KEYS), len(EXTEND_REASONS)
        visit, phone = str(Channel.VISIT.value), str(Channel.PHONE.value)
        bureau_kinds = (str(UnitKind.BUREAU.value), str(UnitKind.GOVERNMENT.value))
        township_kind = str(UnitKind.TOWNSHIP_OFFICE.value)
        s_handling, s_review, s_reexam = (
            _STAGE[DecisionStage.HANDLING],
            _STAGE[DecisionStage.REVIEW],
            _STAGE[DecisionStage.REEXAMINATION],
        )
        k_intake, k_acceptance, k_objection, k_report = (
            str(DK.INTAKE.value),
            str(DK.ACCEPTANCE.value),
            str(DK.OBJECTION.value),
            str(DK.ASSIGNMENT_REPORT.value),
        )
        k_handling, k_review_request, k_review_answer = (
            str(DK.HANDLING.value),
            str(DK.REVIEW_REQUEST.value),
            str(DK.REVIEW_ANSWER.value),
        )
        k_reexam_request, k_reexam_answer = str(DK.REEXAMINATION_REQUEST.value), str(DK.REEXAMINATION_ANSWER.value)

        def later(t: int, lo: int, hi: int) -> int:
            """As Generator._later: a working-hours time lo..hi days after t; 0 if the case stalls or it
            would lie in the future."""
            if rnd() < 0.02:
                return 0
            nt = (t // DAY + lo + int(rnd() * (hi - lo + 1))) * DAY + WORK_START + int(rnd() * work_span)
            if nt <= t:
                nt = t + 60 + int(rnd() * 7140)
            return nt if nt <= now_t else 0

        def on_day(t: int, ordinal: int) -> int:
            nt = (ordinal - epoch_ord) * DAY + WORK_START + int(rnd() * work_span)
            if nt <= t:
                nt = t + 60 + int(rnd() * 7140)
            return nt if nt <= now_t else 0

        def decision(pid: int, stage: str, owner: int, day: int) -> tuple[str, str]:
            outcome = o_values[bisect_right(o_cum, rnd() * o_total)]
            measure = MEASURE_STR[outcome] if rnd() < 0.85 else ASSISTED
            ri = int(rnd() * n_replies)
            out_dec.append(
                (
                    pid,
                    stage,
                    owner,
                    outcome,
                    measure,
                    ri if text_refs else replies[ri],
                    date_iso(day),
                    handler[owner][0],
                )
            )
            return outcome, measure

        def evaluation(pid: int, t: int) -> None:
            sat = s_values[bisect_right(s_cum, rnd() * s_total)]
            reasons = EVAL_STR[sat]
            out_ev.append((pid, sat, reasons[int(rnd() * len(reasons))], date_iso(t // DAY + epoch_ord)))

        def fate(
            pid: int,
            t: int,
            registrar: int,
            kind: str,
            recv_day: int,
            accused_unit: int | None,
            depts_all: list[int],
            depts_without: dict[int, list[int]],
            town: int | None,
            village: int | None,
        ) -> tuple:
            """Walk the petition as Generator._history does, with the same odds and pace, keeping only
            its state now, the open deadlines, decisions and evaluations."""
            owner, routed_by = registrar, None
            # routing (within 15 days of registration)
            r = rnd()
            nt = later(t, 0, 13) if rnd() < 0.95 else later(t, 14, 24)
            if not nt:
                dl(out_d, pid, k_intake, owner, recv_day)
                return _REGISTERED, owner, None, t, "", "", "", ""
            t = nt
            if kind == _CLAIM and r < 0.05:
                return _REDIRECTED, owner, None, t, "", "", "", CHANNEL_KEYS[int(rnd() * n_channels)]
            if r < 0.12:
                return _DECLINED, owner, None, t, "", "", DECLINE_KEYS[int(rnd() * n_declines)], ""
            ukind = unit_kind[owner]
            state, report_days = _ACCEPTED, 0
            depts = depts_without.get(owner) if accused_unit is None else None
            if depts is None:
                depts = [d for d in depts_all if d != owner and d != accused_unit]
            if ukind in bureau_kinds:
                if town and town != owner and r < 0.42:
                    state, report_days = _ASSIGNED, (30, 45, 60)[int(rnd() * 3)]
                    routed_by, owner = owner, town
                elif depts and r < 0.93:
                    state, routed_by, owner = _FORWARDED, owner, depts[int(rnd() * len(depts))]
            elif ukind == township_kind and r < 0.50:
                if village and village != owner and r < 0.38:
                    state, report_days = _ASSIGNED, (20, 30, 45)[int(rnd() * 3)]
                    routed_by, owner = owner, village
                elif depts:
                    state, routed_by, owner = _FORWARDED, owner, depts[int(rnd() * len(depts))]
            routed_day = t // DAY + epoch_ord
            if state is not _ACCEPTED:
                # the receiving unit accepts or declines (within 15 days), or returns it as not competent
                # (within 5 working days): back at the router, which forwards it elsewhere or accepts it
                r = rnd()
                if r < 0.08:
                    nt = later(t, 0, 4)
                    if not nt:
                        dl(out_d, pid, k_acceptance, owner, routed_day)
                        dl(out_d, pid, k_objection, owner, routed_day)
                        if report_days:
                            dl(out_d, pid, k_report, owner, routed_day, report_days)
                        return state, owner, routed_by, t, "", "", "", ""
                    if nt // DAY + epoch_ord <= due(routed_day, o_days, o_working, o_roll):
                        t, returned_by, owner, routed_by, report_days = nt, owner, routed_by, None, 0
                        returned_day = t // DAY + epoch_ord
                        r = rnd()
                        nt = later(t, 0, 13) if rnd() < 0.95 else later(t, 14, 24)
                        if not nt:
                            dl(out_d, pid, k_intake, owner, returned_day)
                            return _REGISTERED, owner, None, t, "", "", "", ""
                        t = nt
                        if kind == _CLAIM and r < 0.05:
                            return _REDIRECTED, owner, None, t, "", "", "", CHANNEL_KEYS[int(rnd() * n_channels)]
                        if r < 0.12:
                            return _DECLINED, owner, None, t, "", "", DECLINE_KEYS[int(rnd() * n_declines)], ""
                        depts = [d for d in depts if d != returned_by]
                        if not (depts and r < 0.55):
                            state = _ACCEPTED
                        else:
                            state, routed_by, owner = _FORWARDED, owner, depts[int(rnd() * len(depts))]
                            routed_day = t // DAY + epoch_ord
                        r = rnd()  # (the second unit may decline, not return it again)
                if state is not _ACCEPTED:
                    nt = later(t, 0, 12) if rnd() < 0.95 else later(t, 13, 22)
                    if not nt:
                        dl(out_d, pid, k_acceptance, owner, routed_day)
                        dl(out_d, pid, k_objection, owner, routed_day)
                        if report_days:
                            dl(out_d, pid, k_report, owner, routed_day, report_days)
                        return state, owner, routed_by, t, "", "", "", ""
                    t = nt
                    if r < 0.14:
                        return _DECLINED, owner, routed_by, t, "", "", DECLINE_KEYS[int(rnd() * n_declines)], ""
                    if r < 0.18 and kind == _CLAIM:
                        return _REDIRECTED, owner, routed_by, t, "", "", "", CHANNEL_KEYS[int(rnd() * n_channels)]

            # handling: some steps, perhaps one extension, then the written opinion
            accepted_day = t // DAY + epoch_ord
            handling_due = due(accepted_day, h_days, h_working, h_roll)
            ext, ext_reason = 0, ""
            steps = (0, 0, 0, 1, 1, 2)[int(rnd() * 6)]
            stalled = steps and rnd() < 1 - 0.98**steps
            if rnd() < 0.08:
                et = later(t, 1, 20)
                if not et:
                    stalled = True
                elif et // DAY + epoch_ord <= handling_due:
                    ext, ext_reason = 10 + int(rnd() * 21), EXTEND_REASONS[int(rnd() * n_extend)]
                    handling_due = due(accepted_day, h_days + ext, h_working, h_roll)
                    t = et
            if rnd() < 0.05:
                decide_day = handling_due + 1 + int(rnd() * 20)  # late
            else:
                decide_day = accepted_day + 3 + int(rnd() * (max(3, handling_due - accepted_day - 1) - 2))
            nt = 0 if stalled else on_day(t, decide_day)
            if not nt:
                dl(out_d, pid, k_handling, owner, accepted_day, None, ext, ext_reason)
                if report_days:  # an assignment's report date stays open until the decision
                    dl(out_d, pid, k_report, owner, routed_day, report_days)
                return _ACCEPTED, owner, routed_by, t, "", "", "", ""
            t = nt
            decided_day = t // DAY + epoch_ord
            outcome, measure = decision(pid, s_handling, owner, decided_day)

            # the petitioner's turn: evaluate, ask for a review, or let the window pass
            state = _DECIDED
            if rnd() < 0.65:
                nt = later(t, 1, 12)
                if not nt:
                    dl(out_d, pid, k_review_request, None, decided_day)
                    return _DECIDED, owner, routed_by, t, outcome, measure, "", ""
                t, state = nt, _EVALUATED
                evaluation(pid, t)
            higher = unit_parent.get(owner)
            if higher is None or rnd() >= 0.12:
                return close(pid, state, owner, routed_by, t, outcome, measure, k_review_request, decided_day)
            nt = later(t, 1, 15)
            if not nt:
                dl(out_d, pid, k_review_request, None, decided_day)
                return state, owner, routed_by, t, outcome, measure, "", ""
            t, owner, routed_by = nt, higher, None
            asked_day = t // DAY + epoch_ord
            if rnd() < 0.4:
                nt = later(t, 1, 12)  # a handling step
            if nt:
                if rnd() < 0.05:
                    day = due(asked_day, ra_days, ra_working, ra_roll) + 1 + int(rnd() * 10)
                else:
                    day = asked_day + 5 + int(rnd() * 25)
                nt = on_day(t, day)
            if not nt:
                dl(out_d, pid, k_review_answer, owner, asked_day)
                return _REVIEW_REQUESTED, owner, None, t, outcome, measure, "", ""
            t = nt
            decided_day = t // DAY + epoch_ord
            outcome, measure = decision(pid, s_review, owner, decided_day)
            if rnd() < 0.4:
                nt = later(t, 1, 10)
                if not nt:
                    dl(out_d, pid, k_reexam_request, None, decided_day)
                    return _REVIEWED, owner, None, t, outcome, measure, "", ""
                t = nt
                evaluation(pid, t)
            higher = unit_parent.get(owner)
            if higher is None or rnd() >= 0.25:
                return close(pid, _REVIEWED, owner, None, t, outcome, measure, k_reexam_request, decided_day)
            nt = later(t, 1, 14)
            if not nt:
                dl(out_d, pid, k_reexam_request, None, decided_day)
                return _REVIEWED, owner, None, t, outcome, measure, "", ""
            t, owner = nt, higher
            asked_day = t // DAY + epoch_ord
            # (a hearing, in 3 of 10, is not kept; it may stall the case like any other step)
            nt = 0 if rnd() < 0.3 * 0.04 else on_day(t, asked_day + 8 + int(rnd() * 22))
            if not nt:
                dl(out_d, pid, k_reexam_answer, owner, asked_day)
                return _REEXAM_REQUESTED, owner, None, t, outcome, measure, "", ""
            t = nt
            outcome, measure = decision(pid, s_reexam, owner, t // DAY + epoch_ord)
            if rnd() < 0.3:
                nt = later(t, 1, 10)
                if not nt:
                    return _REEXAMINED, owner, None, t, outcome, measure, "", ""
                t = nt
                evaluation(pid, t)
            nt = later(t, 1, 12)
            if not nt:
                return _REEXAMINED, owner, None, t, outcome, measure, "", ""
            return _CLOSED, owner, None, nt, outcome, measure, "", ""

        def close(
            pid: int,
            state: str,
            owner: int,
            routed_by: int | None,
            t: int,
            outcome: str,
            measure: str,
            window_kind: str,
            window_day: int,
        ) -> tuple:
            """结案: usually once the petitioner's window has passed, else when they waive it."""
            w_days, w_working, w_roll, _ = dk[window_kind]
            window_due = due(window_day, w_days, w_working, w_roll)
            nt = on_day(t, window_due + 1 + int(rnd() * 12)) if rnd() < 0.7 else later(t, 1, 12)
            if nt:
                return _CLOSED, owner, routed_by, nt, outcome, measure, "", ""
            dl(out_d, pid, window_kind, None, window_day)
            return state, owner, routed_by, t, outcome, measure, "", ""

        # received times: uniform over the run's span; a batch takes its slice of it, in order, so that
        # ids follow the ledger's (received) order, as an import in row order gives them
        lo, hi = self.run_first, self.run_first + self.run_count
        a = start_t + span * (first_id - lo) / (hi - lo) if lo <= first_id < hi else start_t
        width = span * n / (hi - lo) if lo <= first_id < hi else span
        next_received = iter(sorted(int(a + rnd() * width) for _ in range(n))).__next__

        for pid in range(first_id, first_id + n):
            place = place_values[bisect_right(place_cum, rnd() * place_total)]
            regs, depts_all, depts_without, town, village, place_name, region_code = place_info[place]
            ti = int(rnd() * n_texts)
            title, content, label = texts[ti]
            if text_refs:
                title, content = ti, None
            kind = k_values[bisect_right(k_cum, rnd() * k_total)]
            channel = ch_values[bisect_right(ch_cum, rnd() * ch_total)]
            priority = pr_values[bisect_right(pr_cum, rnd() * pr_total)]
            category = None
            if n_cats and rnd() < 0.96:
                top = cat_by_name.get(label) if label else None
                if top is None:
                    top, children = cats[int(rnd() * n_cats)]
                else:
                    children = children_of.get(top, ())
                category = children[int(rnd() * len(children))] if children and rnd() < 0.75 else top
            r = rnd()
            if r < 0.55 or len(regs) == 1:
                registrar = regs[0]
            elif r < 0.68 and depts_all:
                registrar = depts_all[int(rnd() * len(depts_all))]
            else:
                registrar = regs[1 + int(rnd() * (len(regs) - 1))]
            accused_unit, accused_name = None, ""
            if kind == _ACCUSATION:
                cands = [d for d in depts_all if d != registrar]
                if cands and rnd() < 0.5:
                    accused_unit = cands[int(rnd() * len(cands))]
                accused_name = f"{SURNAMES[int(rnd() * n_surnames)]}某"

            # petitioners: from this place's pool of people who petitioned before, or someone new
            headcount = 1
            if kind == _CLAIM or rnd() < 0.7:
                if channel == visit and rnd() < 0.06:
                    headcount, k = 5 + int(rnd() * 36), 1 + int(rnd() * 3)
                else:
                    k = 1 if rnd() < 0.93 else 2
                pool = pools.get(place)
                if pool is None:
                    pool = pools[place] = []
                parties: list[int] = []
                for _ in range(k):
                    if pool and rnd() < PETITIONER_REUSE:
                        who = pool[int(rnd() * len(pool))]
                        if who in parties:
                            continue
                    else:
                        who, pr_id = pr_id, pr_id + 1
                        name = SURNAMES[int(rnd() * n_surnames)] + "某" + STEMS[int(rnd() * 10)]
                        if rnd() < 0.3:
                            name += STEMS[int(rnd() * 10)]
                        out_pr.append(
                            _petitioner_row(
                                who, name, f"100{int(rnd() * 100000000):08d}", f"{place_name}{1 + int(rnd() * 12)}组"
                            )
                        )
                        if len(pool) < PETITIONER_POOL:
                            pool.append(who)
                        else:
                            pool[int(rnd() * PETITIONER_POOL)] = who
                    parties.append(who)
                if len(parties) > headcount:
                    headcount = len(parties)
                collective = headcount >= 5
                for who in parties:
                    out_pp.append((pid, who, collective))

            # received during office hours (visits, phone) or any time (letters, web), registered soon after
            received = next_received()
            if channel == visit or channel == phone or rnd() < 0.5:
                received = received // DAY * DAY + WORK_START + int(rnd() * (work_span - 3600))
            at = received + 60 * (3 + int(rnd() * 88))
            if at > now_t:
                at = now_t
            if received > at - 60:
                received = at - 60
            recv_store, _ = utc(received, 1 + int(rnd() * 999998))
            recv_day = received // DAY + epoch_ord

            # where the ledger has it now: the full generator's route, at its pace, without the events
            first_open = len(out_d)
            (state, owner, routed_by, t, outcome, measure, decline_reason, redirect_channel) = fate(
                pid, at, registrar, kind, recv_day, accused_unit, depts_all, depts_without, town, village
            )

            # Petition.due_on as services._queue_due: earliest open obligation, else earliest window
            # (ISO dates compare as dates)
            due_on = None
            if len(out_d) > first_open:
                obligations = [d[12] for d in out_d[first_open:] if d[1] in OBLIGATIONS]
                windows = [d[12] for d in out_d[first_open:] if d[1] in QUEUE_WINDOWS]
                if obligations or windows:
                    due_on = min(obligations or windows)

            # the one event: the ledger row as imported, chained from GENESIS like any first event
            actor_id, lab = router[registrar]
            lj = label_json.get(lab)
            if lj is None:
                lj = label_json[lab] = json.dumps(lab, ensure_ascii=False)
            store, iso = utc(t, 1 + int(rnd() * 999998))
            data = {
                "channel": channel,
                "kind": kind,
                "owner_unit": owner,
                "received_on": date_iso(recv_day),
                "region": region_code,
                "state": state,
                "headcount": headcount,
                **registered(ti, kind, category, priority, accused_unit, accused_name),
                # what replay.py needs to check the row: its open deadlines (kind, unit, from, due)
                "open_deadlines": [[d[1], d[2], d[3], d[12]] for d in out_d[first_open:]],
            }
            if outcome:
                data["outcome"], data["measure"] = outcome, measure
            if decline_reason:
                data["decline_reason"] = decline_reason
            if redirect_channel:
                data["redirect_channel"] = redirect_channel
            dj = dumps(data)
            body = (
                f'{{"action":"import","actor":{actor_id},"actor_label":{lj},"at":"{iso}","data":{dj},'
                f'"from":"","petition":{pid},"prev":"{GENESIS}","seq":1,"to":"{state}"}}'
            )
            h = sha256(body.encode()).hexdigest()
            store += tz_suffix
            out_e.append((pid, 1, store, actor_id, lab, IMPORT_ACTION, "", state, dj, GENESIS, h))
            out_p.append(
                (
                    pid,
                    code(pid),
                    channel,
                    kind,
                    category,
                    place,
                    title,
                    content,
                    recv_store + tz_suffix,
                    actor_id,
                    registrar,
                    priority,
                    headcount,
                    accused_unit,
                    accused_name,
                    state,
                    owner,
                    routed_by,
                    due_on,
                    redirect_channel,
                    decline_reason,
                    1,
                    h,
                    store,
                )
            )
            out_s.append((pid, ti))
        self.next_petitioner = pr_id
        new_bodies, self.new_bodies = self.new_bodies, []
        return {
            "petition": out_p,
            "petitioner": out_pr,
            "party": out_pp,
            "event": out_e,
            "deadline": out_d,
            "decision": out_dec,
            "evaluation": out_ev,
            "search": out_s,
            "search_text": new_bodies,
        }


# ---------------------------------------------------------------- writing


def _cols(model, names: list[str]) -> tuple[str, list[str]]:
    return model._meta.db_table, [model._meta.get_field(n).column for n in names]


def _petitioner_row(pk: int, name: str, phone: str, address: str) -> tuple:
    """A petitioner's row as stored: phone and address encrypted, the phone's lookup digest, no ID number
    (crypto.py; the generator's workers do this beside the writer, ~40 µs a person)."""
    return (pk, name, "", encrypt(phone), encrypt(address), "", lookup_digest("phone", phone))


TABLES = {
    "petitioner": _cols(
        Petitioner, ["id", "name", "id_number", "phone", "address", "id_number_digest", "phone_digest"]
    ),
    "petition": _cols(
        Petition,
        [
            "id",
            "query_code",
            "channel",
            "kind",
            "category",
            "region",
            "title",
            "content",
            "received_at",
            "registered_by",
            "registering_unit",
            "priority",
            "headcount",
            "accused_unit",
            "accused_name",
            "state",
            "owner_unit",
            "routed_by_unit",
            "due_on",
            "redirect_channel",
            "decline_reason",
            "log_seq",
            "log_head",
            "updated_at",
        ],
    ),
    "party": _cols(PetitionParty, ["petition", "petitioner", "is_representative"]),
    "event": _cols(
        Event,
        [
            "petition",
            "seq",
            "at",
            "actor",
            "actor_label",
            "action",
            "from_state",
            "to_state",
            "data",
            "prev_hash",
            "hash",
        ],
    ),
    "deadline": _cols(
        Deadline,
        [
            "petition",
            "kind",
            "unit",
            "start_on",
            "period_days",
            "working_days",
            "roll_over",
            "article",
            "extension_days",
            "extension_reason",
            "paused_days",
            "paused_since",
            "due_on",
            "is_open",
            "met_on",
        ],
    ),
    "decision": _cols(
        Decision, ["petition", "stage", "unit", "outcome", "measure", "text", "decided_on", "decided_by"]
    ),
    "evaluation": _cols(Evaluation, ["petition", "satisfaction", "reason", "evaluated_on"]),
}
HISTORIES = ("import", "full")
ORDER = ["petitioner", "petition", "party", "event", "deadline", "decision", "evaluation"]
# A batch's rows for the full-text index (xinfang.petitions.search): "search" (petition id, text index),
# one for each petition row, in the same order, and "search_text" (text index, body) of texts the worker
# segmented. The writing process turns text indexes into bodies (SearchBodies), segmenting each pooled
# text once (~1.5 ms a text), when a row first needs it; on SQLite they go into its FTS5 table, on
# PostgreSQL into the petition rows themselves (their search_vector column, in the same COPY). A run
# long enough to use nearly every text (count >= PRESEGMENT_RUNS x the pool) segments the whole pool
# first, half in the worker (sent with its first batch), half in the writer meanwhile.
SEARCH_ROWS = ["search", "search_text"]
PRESEGMENT_RUNS = 3
PG_INDEX_REBUILD_MIN = 50000  # PostgreSQL, empty index: build its GIN index after a run of this many


class SearchBodies:
    """The search index body (search.search_body) of each pooled text, made once: here (`make`, or
    lazily when a row needs it) or by the worker (`add`, from a batch's "search_text")."""

    def __init__(self, texts: Texts) -> None:
        self.items = texts.items
        self.bodies: list[str | None] = [None] * len(self.items)
        self.vectors: list[str | None] = [None] * len(self.items)  # PostgreSQL: search_vector_text(body)
        self.unsaved: list[tuple[int, str]] = []  # added since the last take()

    def make(self, indexes) -> None:
        items = self.items
        self.add([(ti, search_body(items[ti][0], items[ti][1])) for ti in indexes])

    def add(self, pairs: list[tuple[int, str]]) -> None:
        for ti, body in pairs:
            self.bodies[ti] = body
        self.unsaved += pairs

    def missing(self, indexes) -> list[int]:
        bodies = self.bodies
        return [ti for ti in set(indexes) if bodies[ti] is None]

    def take(self) -> list[tuple[int, str]]:
        """The bodies added since the last call (to copy into the temporary table of spooled writes)."""
        out, self.unsaved = self.unsaved, []
        return out

    def rows(self, refs: list[tuple[int, int]]) -> list[tuple[int, str]]:
        """(petition id, text index) -> (petition id, body)."""
        self.make(self.missing(ti for _, ti in refs))
        bodies = self.bodies
        return [(pid, bodies[ti]) for pid, ti in refs]

    def vector_rows(self, refs: list[tuple[int, int]]) -> list[tuple[int, str]]:
        """PostgreSQL: (petition id, text index) -> (petition id, tsvector text of the body)."""
        self.make(self.missing(ti for _, ti in refs))
        bodies, vectors = self.bodies, self.vectors
        for ti in {ti for _, ti in refs if vectors[ti] is None}:
            vectors[ti] = search_vector_text(bodies[ti])
        return [(pid, vectors[ti]) for pid, ti in refs]


@dataclass
class Batch:
    """One batch's rows, or (spooled) where they wait: a file of plain tables written by the worker."""

    rows: dict[str, list[tuple]] | None
    counts: dict[str, int]
    states: Counter
    first_petitioner: int | None
    path: str | None = None
    text_refs: bool = False

    @classmethod
    def of(cls, rows: dict[str, list[tuple]], path: str | None = None, text_refs: bool = False) -> Batch:
        return cls(
            None if path else rows,
            {k: len(v) for k, v in rows.items() if k != "search_text"},
            Counter(p[15] for p in rows["petition"]),
            rows["petitioner"][0][0] if rows["petitioner"] else None,
            path,
            text_refs,
        )


# Spooled rows of an ImportGenerator with text_refs carry text indexes; these columns are filled from
# temporary tables of the texts while copying: table -> (column index, temp table, {column index: text column})
SPOOL_TEXTS = {
    "petition": (6, "xinfang_generate_text", {6: "title", 7: "content"}),
    "decision": (5, "xinfang_generate_reply", {5: "text"}),
}


def _spool_texts(raw, texts: Texts | None) -> None:
    """Create (texts given) or drop (None) the temporary text tables of SPOOL_TEXTS."""
    raw.execute("DROP TABLE IF EXISTS temp.xinfang_generate_text")
    raw.execute("DROP TABLE IF EXISTS temp.xinfang_generate_reply")
    if texts is None:
        return
    raw.execute("CREATE TEMP TABLE xinfang_generate_text (id INTEGER PRIMARY KEY, title TEXT, content TEXT)")
    raw.execute("CREATE TEMP TABLE xinfang_generate_reply (id INTEGER PRIMARY KEY, text TEXT)")
    raw.executemany(
        "INSERT INTO temp.xinfang_generate_text VALUES (?, ?, ?)",
        [(i, title, content) for i, (title, content, _) in enumerate(texts.items)],
    )
    raw.executemany("INSERT INTO temp.xinfang_generate_reply VALUES (?, ?)", list(enumerate(texts.replies)))


def _spool_search_texts(raw, create: bool) -> None:
    """Create or drop the temporary table of search index bodies that spooled "search" rows are joined with."""
    raw.execute("DROP TABLE IF EXISTS temp.xinfang_generate_search_text")
    if create:
        raw.execute("CREATE TEMP TABLE xinfang_generate_search_text (id INTEGER PRIMARY KEY, body TEXT)")


def _spool(rows: dict[str, list[tuple]], path: str) -> None:
    """Write a batch's rows to a scratch SQLite file (no indexes, no journal), so that the writing
    process copies them with one INSERT ... SELECT per table instead of binding every value itself."""
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        for name in ORDER:
            _, cols = TABLES[name]
            conn.execute(f'CREATE TABLE "{name}" ({", ".join(f"c{i}" for i in range(len(cols)))})')
            conn.executemany(f'INSERT INTO "{name}" VALUES ({", ".join("?" * len(cols))})', rows[name])
        for name in SEARCH_ROWS:  # (petition id, text index), (text index, body)
            conn.execute(f'CREATE TABLE "{name}" (c0, c1)')
            conn.executemany(f'INSERT INTO "{name}" VALUES (?, ?)', rows[name])
        conn.execute("COMMIT")
    finally:
        conn.close()


def _write(raw, postgres: bool, batch: Batch, bodies: SearchBodies) -> None:
    qn = connection.ops.quote_name
    if batch.path:  # spooled: the file was attached before the transaction began
        for name in ORDER:
            if batch.counts[name]:
                table, cols = TABLES[name]
                values = [f"s.c{i}" for i in range(len(cols))]
                join = ""
                if batch.text_refs and name in SPOOL_TEXTS:
                    key, texts, filled = SPOOL_TEXTS[name]
                    for i, column in filled.items():
                        values[i] = f"t.{column}"
                    join = f" JOIN temp.{texts} AS t ON t.id = s.c{key}"
                raw.execute(
                    f"INSERT INTO main.{qn(table)} ({', '.join(qn(c) for c in cols)}) "
                    f'SELECT {", ".join(values)} FROM spool."{name}" AS s{join} ORDER BY s.rowid'
                )
        # the full-text index: the bodies of this batch's texts into the temporary table, then joined
        bodies.add(raw.execute("SELECT c0, c1 FROM spool.search_text").fetchall())
        bodies.make(bodies.missing(r[0] for r in raw.execute("SELECT DISTINCT c1 FROM spool.search")))
        raw.executemany("INSERT OR IGNORE INTO temp.xinfang_generate_search_text VALUES (?, ?)", bodies.take())
        search_insert_select(
            raw,
            "SELECT s.c0, t.body FROM spool.search AS s "
            "JOIN temp.xinfang_generate_search_text AS t ON t.id = s.c1 ORDER BY s.rowid",
        )
        return
    rows = batch.rows
    bodies.add(rows["search_text"])
    # (petition id, body; on PostgreSQL its tsvector text) of each petition row, in the same order
    search = (bodies.vector_rows if postgres else bodies.rows)(rows["search"])
    bodies.take()
    for name in ORDER:
        data = rows[name]
        if not data:
            continue
        table, cols = TABLES[name]
        col_sql = ", ".join(qn(c) for c in cols)
        if postgres:
            if name == "petition":  # with its search terms, as a tsvector's text
                col_sql += f", {qn(SEARCH_COLUMN)}"
                data = _with_search_vectors(data, search)
            with raw.cursor() as cur, cur.copy(f"COPY {qn(table)} ({col_sql}) FROM STDIN") as cp:
                write = cp.write_row
                for row in data:
                    write(row)
        else:
            cur = raw.cursor()
            cur.executemany(f"INSERT INTO {qn(table)} ({col_sql}) VALUES ({', '.join('?' * len(cols))})", data)
            cur.close()
    if not postgres:
        search_write_rows(raw, search)  # the full-text index, same transaction


def _with_search_vectors(petitions: list[tuple], vectors: list[tuple[int, str]]) -> list[tuple]:
    """PostgreSQL: each petition row with its search_vector (tsvector text) appended."""
    if len(petitions) != len(vectors) or any(p[0] != pid for p, (pid, _) in zip(petitions, vectors)):
        raise GenerateError(
            "全文检索词与信访事项不对应（生成器错误）。"
            " (The search rows do not match the petition rows: a generator bug.)"
        )
    return [p + (v,) for p, (_, v) in zip(petitions, vectors)]


def _produce(gen: Generator, plan: list[tuple[int, int]], first_petitioner: int, out, spool_dir: str | None) -> None:
    """In the worker process: generate each planned batch, in order, and hand it over (spooled to a
    file in spool_dir, if given)."""
    try:
        # the holiday and period tables were loaded before the fork; never reload them here, which
        # would query through the parent's database connection
        for cache in (calendar.holidays, rules.periods):
            cache.get()
            cache.ttl = float("inf")
        pr = first_petitioner
        text_refs = bool(spool_dir) and isinstance(gen, ImportGenerator)
        if text_refs:
            gen.text_refs = True
        if gen.presegment_pool:  # the odd half; the writer makes the even one meanwhile
            gen.presegment(range(1, len(gen.texts.items), 2))
        for k, (first, n) in enumerate(plan):
            rows = gen.batch(first, n, pr)
            pr = gen.next_petitioner
            if spool_dir:
                path = f"{spool_dir}/batch-{k}.sqlite3"
                _spool(rows, path)
                out.put(Batch.of(rows, path, text_refs))
            else:
                out.put(Batch.of(rows))
        out.put(None)
    except BaseException as exc:  # noqa: BLE001 - the parent re-raises it
        out.put(exc)


def _batches(
    gen: Generator,
    plan: list[tuple[int, int]],
    first_petitioner: int,
    workers: int,
    spool_dir: str | None = None,
    started: Callable[[], object] | None = None,
):
    """The planned batches: made in a forked worker process while the caller writes the previous
    batch (two cores: one generates, one writes), or in this process if workers=0 or fork is unavailable.
    `started` runs here once the worker has started (the writer's half of the texts' segmentation)."""
    ctx = None
    if workers > 0:
        try:
            ctx = multiprocessing.get_context("fork")
        except ValueError:
            ctx = None
    if ctx is None:
        pr = first_petitioner
        for first, n in plan:
            rows = gen.batch(first, n, pr)
            pr = gen.next_petitioner
            yield Batch.of(rows)
        return
    queue = ctx.Queue(maxsize=2)
    proc = ctx.Process(target=_produce, args=(gen, plan, first_petitioner, queue, spool_dir), daemon=True)
    proc.start()
    try:
        if started:
            started()
        while True:
            item = queue.get()
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join()


def _plan(first: int, count: int, batch: int, smallest: int = 2000) -> list[tuple[int, int]]:
    """(first id, count) of each batch. The first batches grow from `smallest` (the writer starts
    soon), the last full one is cut into halves, quarters, ... (little is left to write once the
    worker has made the last rows)."""
    sizes, size, left = [], smallest, count
    while size < batch and left > 2 * batch:
        sizes.append(size)
        left -= size
        size *= 2
    sizes += [min(batch, left - k) for k in range(0, left, batch)]
    last = sizes.pop()
    while last >= 2 * smallest:
        sizes.append(last - last // 2)
        last //= 2
    sizes.append(last)
    plan, at = [], first
    for n in sizes:
        plan.append((at, n))
        at += n
    return plan


def petitions_generate(
    count: int,
    *,
    seed: int | None = None,
    years: float = 2,
    batch: int = 20000,
    now: dt.datetime | None = None,
    texts: Texts | None = None,
    org: Org | None = None,
    met_deadlines: bool = True,
    workers: int = 1,
    history: str = "import",
    progress: Callable[[int], object] | None = None,
) -> Result:
    """Make `count` petitions. Needs regions and units (manage.py load_demo).

    history="import" (default, fast): each petition as migrated from a ledger (台账导入), one "import"
    event and what its current state needs (ImportGenerator). history="full": its whole history, every
    event and deadline (Generator); met_deadlines=False then writes only the open deadlines (faster; the
    history of met deadlines is then missing from timeliness statistics).

    Petition ids are taken from max(id)+1 on: run it on a database nobody else is writing to (it stops
    with an error if someone does)."""
    from django.utils import timezone

    if history not in HISTORIES:
        raise GenerateError(f"history must be one of {', '.join(HISTORIES)}, not {history!r}")
    if count <= 0:
        return Result()
    org = org or org_load()
    postgres = connection.vendor == "postgresql"
    calendar.is_workday(dt.date.today())  # load the holiday and period tables before any fork
    rules.period(DK.INTAKE)
    make = ImportGenerator if history == "import" else Generator
    gen = make(org, texts or texts_load(), seed=seed, years=years, now=now or timezone.now(), postgres=postgres)
    gen.met_deadlines = met_deadlines
    gen.existing_codes = set(Petition.objects.values_list("query_code", flat=True).iterator(chunk_size=50000))
    result = Result()
    started = time.perf_counter()
    table, pr_table = Petition._meta.db_table, Petitioner._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        first = cur.fetchone()[0] + 1
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {pr_table}")
        first_pr = cur.fetchone()[0] + 1
        if first == 1:  # no petitions: index rows left behind (a flushed database) would collide with new ids
            search_clear()
        bulk = not postgres and not connection.in_atomic_block
        if bulk:  # a bulk load: no fsync per commit, a big page cache, the rows are known consistent
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA cache_size=-262144")
            cur.execute("PRAGMA foreign_keys=OFF")
    plan = _plan(first, count, batch)
    gen.run_first, gen.run_count = first, count
    connection.ensure_connection()
    raw = connection.connection
    # SQLite, with a worker: the worker also puts each batch into a scratch file (a second core binds
    # the values), and this process copies it in with INSERT ... SELECT. Not inside someone's transaction:
    # ATTACH needs none to be open.
    spool_dir = None
    batches = None
    bodies = SearchBodies(gen.texts)
    rebuild_index = False
    gen.presegment_pool = count >= PRESEGMENT_RUNS * len(gen.texts.items)

    def segment_half() -> None:  # while the worker segments the other half and makes the first batch
        if gen.presegment_pool:
            bodies.make(range(0, len(gen.texts.items), 2))

    try:
        # PostgreSQL, a long run into an empty index: its GIN index is built once at the end
        rebuild_index = postgres and count >= PG_INDEX_REBUILD_MIN and search_bulk_start()
        if not postgres and workers > 0 and not connection.in_atomic_block:
            spool_dir = tempfile.mkdtemp(prefix="xinfang-generate-")
            if isinstance(gen, ImportGenerator):
                _spool_texts(raw, gen.texts)
            _spool_search_texts(raw, True)
        batches = _batches(gen, plan, first_pr, workers, spool_dir, segment_half)
        for start, n in plan:
            waited = time.perf_counter()
            item = next(batches)
            writing = time.perf_counter()
            result.wait_seconds += writing - waited
            if item.path:
                with connection.cursor() as cur:
                    cur.execute("ATTACH DATABASE %s AS spool", [item.path])
            try:
                with transaction.atomic():
                    with connection.cursor() as cur:
                        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
                        top = cur.fetchone()[0]
                        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {pr_table}")
                        top_pr = cur.fetchone()[0]
                    if top >= start or (item.first_petitioner and top_pr >= item.first_petitioner):
                        raise GenerateError(
                            "生成期间有其他程序写入了信访事项，已停止。"
                            " (Someone else wrote petitions meanwhile: stopped.)"
                        )
                    _write(raw, postgres, item, bodies)
            finally:
                if item.path:
                    with connection.cursor() as cur:
                        cur.execute("DETACH DATABASE spool")
                    Path(item.path).unlink(missing_ok=True)
            result.write_seconds += time.perf_counter() - writing
            if result.first_id is None:
                result.first_id = start
            result.last_id = start + n - 1
            result.rows.update(item.counts)
            result.states.update(item.states)
            result.count += n
            if progress:
                progress(n)
        if postgres:
            with connection.cursor() as cur:
                for sql in connection.ops.sequence_reset_sql(
                    no_style(), [Petition, Petitioner, Event, Deadline, PetitionParty, Decision, Evaluation]
                ):
                    cur.execute(sql)
                if not connection.in_atomic_block:  # fresh statistics, or the planner ignores the queue index
                    # (the petition table's includes its search terms: search.search_optimize); VACUUM
                    # marks the new pages all-visible, which index-only scans (the queue's counts and
                    # page ids) need; autovacuum would, but only some time later
                    cur.execute(
                        "VACUUM (ANALYZE) " + ", ".join(connection.ops.quote_name(t) for t, _ in TABLES.values())
                    )
    finally:
        if batches is not None:
            batches.close()  # stops the worker, if it is still running
        if spool_dir:
            shutil.rmtree(spool_dir, ignore_errors=True)
            _spool_texts(raw, None)
            _spool_search_texts(raw, False)
        if rebuild_index:
            search_bulk_end()
        if bulk:
            with connection.cursor() as cur:
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
    result.seconds = time.perf_counter() - started
    return result
