"""Likely earlier petitions on the same matter (重复件提示), shown while a clerk registers one.

Plain text similarity: each text becomes the set of its character bigrams (the title's bigrams count
twice), very common petition bigrams ("反映", "问题", "要求" …, `COMMON_BIGRAMS`) weigh little, and two
texts are compared by the cosine of these weighted sets. Building a bigram set costs ~0.1 ms in Python,
so only the `PREFILTER` candidates sharing most uncommon characters with the text (title and first
`PREFILTER_CHARS`) are compared so; the petitioner's own always are. A petition is listed from
`THRESHOLD` (the petitioner's own from `THRESHOLD_SAME_PETITIONER`), sorted by similarity plus a bonus
for the same petitioner and the same place.

The thresholds follow one rule, set on messages other than those the lookup is measured on
(`repeats_eval.thresholds_calibrate`, on 附件4 of the 2020 泰迪杯, datasets/tipdm2020c_attachments34):
an unrelated petition is listed for at most 1 registration in 100 from each source of candidates, i.e. a
random pair of different people's messages reaches THRESHOLD with probability 1/(100 × 300 place
candidates) (0.211) and THRESHOLD_SAME_PETITIONER with 1/(100 × 50) (0.136).

Measured on the natural repeats of 附件3 (`manage.py repeats_evaluate`: 4,326 messages replayed in time
order, 142 with an earlier twin: the same details, or the same user and subject): the twin is listed
first for 93.7% and among the first five for 96.5% (every same-user repeat; the 5 missed are 3 twins
placed in another district and 2 more than 200 messages back in their district). 14% of the messages
with a list have a labeled twin first, but the labels know no other kind of repeat: of 40 of the rest drawn
at random and read by hand, 32 were the same matter told again (by another user, or by the same one under
another subject), so about 83% of the lists start with a repeat.

The candidates are bounded, so that the cost does not grow with the database: of the `PLACE_RECENT`
most recent petitions of each place in the township (乡镇) of the chosen place, the `TOWNSHIP_RECENT`
most recent overall and the `PLACE_OWN` most recent of the chosen place itself; the
`PETITIONER_RECENT` latest of the chosen petitioner; and of these only the ones the user may see
(`petition_list_for`). The ids come from one index range per place (region, received_at), in one
statement; only the kept rows are read, and only the listed ones are read again for the page
(`bench/repeats.py`: the lookup with 1,000,000 petitions stored).
"""

from __future__ import annotations

import math
import operator
import re
import string
from dataclasses import dataclass, field

from django.db import connection
from django.db.models.functions import Substr

from xinfang.org.models import Region, RegionLevel, User
from xinfang.petitions.models import Petition, Petitioner, PetitionParty
from xinfang.petitions.selectors import petition_list_for

THRESHOLD = 0.21  # text similarity from which a petition is listed (the rule: see the module)
THRESHOLD_SAME_PETITIONER = 0.14  # … when it is the same petitioner's
TEXT_CHARS = 300  # of the content compared (the matter is stated at the start)
TOWNSHIP_RECENT = 200
PLACE_RECENT = 200
PLACE_OWN = 100
PETITIONER_RECENT = 50
LIMIT = 5
MIN_CHARS = 4  # of title and content together before anything is looked for
BONUS_SAME_PETITIONER = 0.1
BONUS_SAME_PLACE = 0.05

# The 120 bigrams found in most of the 7,142 messages of 附件3 and 附件4 (2020 泰迪杯 problem C),
# the anonymised place names (西地省, A市 …) left out: words every petition uses.
COMMON_BIGRAMS = frozenset(
    """
没有 问题 部门 我们 政府 领导 一个 希望 现在 小区 相关 严重 什么 可以 解决 关部 居民 业主 情况 工作 影响 投诉
已经 公司 时间 不能 我是 要求 进行 生活 尊敬 咨询 敬的 安全 但是 作为 百姓 一直 反映 不是 人员 请问 都是 这个
多次 有关 建设 这样 开发 就是 您好 处理 请求 还是 是否 们的 是一 管理 环境 无法 本人 人民 他们 如果 谢谢
因为 需要 有一 的问 存在 区的 为什 街道 关于 书记 目前 通过 规划 国家 规定 部分 建议 老百 造成 不知 导致 的一
任何 发商 很多 自己 时候 大的 社区 回复 怎么 政策 开始 知道 了一 物业 交通 行为 这些 还有 个月 一下 样的 其他
的人 而且 不到 学校 电话 也不 是不 得到 每天 村民 群众 反应
""".split()
)
# The 150 characters found in most of those messages, digits included (the pre-filter leaves them out).
COMMON_CHARS = frozenset(
    "0123456789一三上下不业严个中为主么之也了事于交人以们会但位住作全公关出分到前区县发可合后和商在地城处多大天好如"
    "子安实家对导小就居工已市常年府建开成我房政新方无日时是月有望期本来次民求没法现理生用的直相知管经给而能自行西要规解设该说"
    "请路车过近还这进通道部都重长门问间面领题高"
)
PREFILTER = 40  # candidates compared by bigrams: the most alike by their uncommon characters
PREFILTER_CHARS = 120  # of the content the pre-filter looks at
_TITLE = "\x01"  # marks a title bigram's second copy
_COMMON = COMMON_BIGRAMS | {_TITLE + g for g in COMMON_BIGRAMS}
_COMMON_WEIGHT2 = 0.3**2


_NOT_WORD = re.compile(r"[\W_]+")
_NOT_RARE = COMMON_CHARS | frozenset(
    string.punctuation + string.whitespace + "，。！？、；：“”‘’（）《》【】…—·「」『』\u3000"
)


def _bigrams(text: str) -> set[str]:
    text = _NOT_WORD.sub("", text.lower())
    return set(map(operator.add, text, text[1:]))


def features(title: str, content: str) -> set[str]:
    """The weighted-set representation of a petition's text (see the module's description)."""
    t = _bigrams(title)
    return _bigrams(content[:TEXT_CHARS]) | t | {_TITLE + g for g in t}


def rare_chars(title: str, content: str) -> set[str]:
    """The uncommon letters of a text's title and first PREFILTER_CHARS: a cheap first comparison (set
    operations in C), which picks the PREFILTER candidates worth the bigram comparison."""
    chars = set(title.lower()) | set(content[:PREFILTER_CHARS].lower())
    return {ch for ch in chars - COMMON_CHARS if ch.isalnum()}


def _rare_overlap(chars: set[str], title: str, excerpt: str) -> float:
    """The cosine of `chars` and a candidate's `rare_chars`, in set operations only (no per-character
    Python loop: this runs for every candidate): punctuation and spaces are taken out with `_NOT_RARE`,
    the odd other symbol a candidate keeps only weighs in the denominator."""
    other = set((title + excerpt[:PREFILTER_CHARS]).lower())
    other -= _NOT_RARE
    return len(chars.intersection(other)) / math.sqrt(len(chars) * len(other)) if chars and other else 0.0


def _norm2(f: set[str]) -> float:
    return len(f) - (1 - _COMMON_WEIGHT2) * len(f & _COMMON)


def similarity(a: set[str], b: set[str]) -> float:
    """Cosine of two feature sets, 0 … 1."""
    na, nb = _norm2(a), _norm2(b)
    return _norm2(a & b) / math.sqrt(na * nb) if na > 0 and nb > 0 else 0.0


def shared_words(text: str, other: set[str], most: int = 4) -> list[str]:
    """The longest runs of `text` whose bigrams all occur in `other` (the words both texts use),
    leaving out runs made only of common bigrams."""
    chars = [ch for ch in text if ch.isalnum()]
    runs: list[str] = []
    start = None
    for i in range(len(chars)):
        inside = i + 1 < len(chars) and (chars[i] + chars[i + 1]).lower() in other
        if inside and start is None:
            start = i
        if not inside and start is not None:
            run = "".join(chars[start : i + 1])
            if not _bigrams(run) <= COMMON_BIGRAMS:
                runs.append(run)
            start = None
    seen: list[str] = []
    for run in sorted(runs, key=len, reverse=True):
        if not any(run in s for s in seen):
            seen.append(run)
    return seen[:most]


@dataclass
class SimilarPetition:
    petition: Petition
    similarity: float  # text similarity, 0 … 1
    score: float  # what the list is sorted by: similarity and the bonuses
    same_petitioner: bool = False
    same_place: bool = False
    words: list[str] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(self.similarity * 100)


def _township(region: Region) -> Region | None:
    if region.level == RegionLevel.VILLAGE:
        return region.parent
    if region.level == RegionLevel.TOWNSHIP:
        return region
    return None


def _candidates_sql(region_ids: list[int], place_id: int, petitioner_id: int | None) -> tuple[str, list]:
    """One statement for the candidate ids, each with 1 if it is the petitioner's own, else 0.

    Each place's most recent petitions come from one range scan of the (region, received_at) index
    (a limited subquery per place); the database sorts those few thousand index entries and keeps
    the township's most recent; the chosen place's own and the petitioner's are added."""
    q = connection.ops.quote_name
    table, pk = q(Petition._meta.db_table), q(Petition._meta.pk.column)
    region = q(Petition._meta.get_field("region").column)
    received = q(Petition._meta.get_field("received_at").column)
    party = q(PetitionParty._meta.db_table)
    party_petition = q(PetitionParty._meta.get_field("petition").column)
    party_petitioner = q(PetitionParty._meta.get_field("petitioner").column)

    def recent(alias: str, limit: int) -> str:
        return (
            f"SELECT * FROM (SELECT {pk} AS id, {received} AS at FROM {table} WHERE {region} = %s "
            f"ORDER BY {received} DESC LIMIT {int(limit)}) AS {alias}"
        )

    places = " UNION ALL ".join(recent(f"r{n}", PLACE_RECENT) for n in range(len(region_ids)))
    sql = (
        f"SELECT t.id, 0 AS own FROM (SELECT u.id FROM ({places}) AS u ORDER BY u.at DESC "
        f"LIMIT {int(TOWNSHIP_RECENT)}) AS t "
        f"UNION SELECT o.id, 0 AS own FROM ({recent('p', PLACE_OWN)}) AS o"
    )
    params: list = [*region_ids, place_id]
    if petitioner_id is not None:
        sql += (
            f" UNION SELECT m.id, 1 AS own FROM (SELECT {party_petition} AS id FROM {party} "
            f"WHERE {party_petitioner} = %s ORDER BY {party_petition} DESC "
            f"LIMIT {int(PETITIONER_RECENT)}) AS m"
        )
        params.append(petitioner_id)
    return sql, params


def candidate_ids(region: Region, petitioner: Petitioner | None = None) -> tuple[set[int], set[int]]:
    """The bounded candidate set, whoever may see them (see the module's description): the ids
    from the places, and those of the petitioner's own petitions."""
    township = _township(region)
    if township is not None:
        region_ids = list(Region.objects.filter(prefix__startswith=township.prefix).values_list("pk", flat=True))
    else:
        region_ids = [region.pk]
    sql, params = _candidates_sql(region_ids, region.pk, petitioner.pk if petitioner is not None else None)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {pk for pk, own in rows if not own}, {pk for pk, own in rows if own}


def similar_petitions_for(
    user: User,
    *,
    title: str,
    content: str,
    region: Region | None,
    petitioner: Petitioner | None = None,
    limit: int = LIMIT,
) -> list[SimilarPetition]:
    """Up to `limit` earlier petitions the user may see that look like the same matter, most alike
    first, each with why (same petitioner, same place, shared words, similarity)."""
    if region is None or len((title + content).strip()) < MIN_CHARS:
        return []
    query = features(title, content)
    if _norm2(query) <= 0:
        return []
    places, mine = candidate_ids(region, petitioner)
    ids = places | mine
    if not ids:
        return []
    # plain tuples, and no dates: a model instance or a datetime each would cost more than the comparison
    rows = list(
        petition_list_for(user)
        .filter(pk__in=ids)
        .annotate(excerpt=Substr("content", 1, TEXT_CHARS))
        .values_list("pk", "title", "excerpt", "region_id")
    )
    # a bigram set costs ~0.1 ms in Python: only for the candidates most alike by their rare
    # characters, and the petitioner's own
    chars = rare_chars(title, content)
    rows.sort(key=lambda r: _rare_overlap(chars, r[1], r[2]), reverse=True)
    compared = rows[:PREFILTER] + [r for r in rows[PREFILTER:] if r[0] in mine]
    found: list[tuple[float, int, float, int, set[str]]] = []
    for pk, p_title, excerpt, region_id in compared:
        p_features = features(p_title, excerpt)
        sim = similarity(query, p_features)
        same_petitioner = pk in mine
        if sim < (THRESHOLD_SAME_PETITIONER if same_petitioner else THRESHOLD):
            continue
        score = sim + BONUS_SAME_PETITIONER * same_petitioner + BONUS_SAME_PLACE * (region_id == region.pk)
        found.append((score, pk, sim, region_id, p_features))
    found.sort(reverse=True, key=lambda f: (f[0], f[1]))  # the later registered first on a tie
    found = found[:limit]
    if not found:
        return []
    shown = {
        p.pk: p
        for p in Petition.objects.filter(pk__in=[f[1] for f in found]).only(
            "pk", "title", "region_id", "query_code", "received_at", "state"
        )
    }
    text = f"{title} {content[:TEXT_CHARS]}"
    return [
        SimilarPetition(shown[pk], sim, score, pk in mine, region_id == region.pk, shared_words(text, p_features))
        for score, pk, sim, region_id, p_features in found
    ]
