"""Place proposals (地点建议): the region a petition is about, from the petitioner's address and the
text, down to villages and communities.

Two sources, both explainable:
- the project's own region tree (xinfang.org: province → … → village/community), every name and its
  short form (城关街道 → 城关, 青石镇 → 青石, 青丰收村 → 青丰收) in one Aho-Corasick automaton built
  once per process (rebuilt when the region tables reload), longest non-overlapping matches first;
- cpca for real province, city and county names the tree does not spell out (长沙 → 长沙市, 芙蓉区),
  read from what the tree's own names left over, mapped to the tree by its GB/T 2260 code; a place
  cpca finds outside the user's county is said, not proposed.

Confidence (0–1) is how specific and how unambiguous the match is: a village counts more than a
township, a township more than the county; a short form or a word found only in the text less than a
full name in the address; a name that two regions share is split between them (unless a township
named too tells them apart); and places of different mentions share the confidence between them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cache

import ahocorasick
from django.utils.translation import gettext as _

from xinfang.org.models import Region, RegionLevel
from xinfang.org.selectors import RegionRow, unit_list_active, upper_regions
from xinfang.routing.tables import DerivedTable

LIMIT = 3
MAX_TEXT = 4000  # characters of the text read (a long letter names its place early)
LEVEL_WEIGHT = {
    RegionLevel.PROVINCE: 0.2,
    RegionLevel.CITY: 0.3,
    RegionLevel.COUNTY: 0.45,
    RegionLevel.TOWNSHIP: 0.75,
    RegionLevel.VILLAGE: 0.9,
}
SHORT_FORM = 0.8  # 青石 for 青石镇: also an ordinary word sometimes
IN_TEXT = 0.85  # found in the title or content, not in the address
SUPPORT = 0.05  # a township named as well as its village, or a place named in both address and text
SHORT_SUFFIXES = {
    RegionLevel.TOWNSHIP: (("街道办事处", 2), ("街道", 2), ("镇", 2), ("乡", 2), ("苏木", 2)),
    # a village's stem alone must be three characters at least: 丰收, 和平 are ordinary words
    RegionLevel.VILLAGE: (("社区居委会", 3), ("居委会", 3), ("村委会", 3), ("社区", 3), ("村", 3), ("嘎查", 3)),
}


@dataclass(frozen=True)
class PlaceProposal:
    name: str  # the region's name, or for a place outside the tree what cpca read ("湖南省长沙市芙蓉区")
    confidence: float
    words: tuple[str, ...]  # the words of the address or text that matched
    notes: tuple[str, ...] = ()  # why the confidence is lower (ambiguity, several places named)
    pk: int | None = None  # the region of the tree; None outside it
    level: int = 0
    outside: bool = False  # not in the user's county: said, not proposed

    @property
    def percent(self) -> int:
        return round(self.confidence * 100)


@dataclass
class NameIndex:
    rows: dict[int, RegionRow]
    by_code: dict[str, int]
    automaton: ahocorasick.Automaton | None


def short_forms(name: str, level: int) -> list[str]:
    """The names a region is also called by: its name without the suffix of its level."""
    forms = []
    for suffix, min_stem in SHORT_SUFFIXES.get(level, ()):
        if name.endswith(suffix) and len(name) - len(suffix) >= min_stem:
            forms.append(name[: -len(suffix)])
            break
    return forms


def _name_index() -> NameIndex:
    rows = {
        r[0]: RegionRow(*r)
        for r in Region.objects.order_by("code").values_list("pk", "code", "prefix", "name", "level", "parent_id")
    }
    words: dict[str, list[tuple[int, bool]]] = {}
    for r in rows.values():
        words.setdefault(r.name, []).append((r.pk, False))
        for form in short_forms(r.name, r.level):
            words.setdefault(form, []).append((r.pk, True))
    automaton = None
    if words:
        automaton = ahocorasick.Automaton()
        for word, entries in words.items():
            # a full name beats a short form that is also the full name of another region
            full = [pk for pk, short in entries if not short]
            automaton.add_word(word, (word, tuple((pk, short) for pk, short in entries if not full or not short)))
        automaton.make_automaton()
    return NameIndex(rows, {r.code: r.pk for r in rows.values()}, automaton)


name_index = DerivedTable(_name_index, upper_regions.get)


@dataclass
class _Mention:
    word: str
    start: int
    end: int
    source: str  # "address" or "text"
    entries: tuple[tuple[int, bool], ...]


@dataclass
class _Candidate:
    row: RegionRow
    raw: float
    ambiguity: int
    group: int
    words: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _mentions(index: NameIndex, text: str, source: str) -> list[_Mention]:
    """The longest non-overlapping names of the tree in `text`."""
    if index.automaton is None or not text:
        return []
    found = [
        _Mention(word, end - len(word) + 1, end + 1, source, entries)
        for end, (word, entries) in index.automaton.iter(text)
    ]
    found.sort(key=lambda m: (-(m.end - m.start), m.start))
    taken: list[_Mention] = []
    for m in found:
        if all(m.end <= t.start or m.start >= t.end for t in taken):
            taken.append(m)
    return sorted(taken, key=lambda m: m.start)


def _ancestors(index: NameIndex, pk: int) -> list[int]:
    out, parent = [], index.rows[pk].parent_id
    while parent is not None and parent in index.rows:
        out.append(parent)
        parent = index.rows[parent].parent_id
    return out


def _in_scope(row: RegionRow, scope: str) -> bool:
    return row.prefix.startswith(scope)


def _mask(text: str, mentions: list[_Mention]) -> str:
    chars = list(text)
    for m in mentions:
        chars[m.start : m.end] = "　" * (m.end - m.start)
    return "".join(chars)


@cache
def _cpca():
    with warnings.catch_warnings():  # cpca imports pkg_resources (setuptools < 81 is pinned for it)
        warnings.simplefilter("ignore")
        import cpca
    return cpca


def cpca_place(text: str) -> tuple[str, str] | None:
    """(adcode, "省市区" as read) of the province, city or county cpca reads in `text`, or None."""
    if not text.strip():
        return None
    row = _cpca().transform([text]).iloc[0]
    adcode = row.get("adcode")
    if not isinstance(adcode, str) or not adcode:
        return None
    name = "".join(str(row[k]) for k in ("省", "市", "区") if isinstance(row[k], str) and row[k])
    return adcode, name


def place_propose(
    text: str, address: str = "", county: RegionRow | Region | None = None, limit: int = LIMIT
) -> list[PlaceProposal]:
    """The likeliest places of a petition, most likely first: regions of `county`'s subtree (of the
    whole tree without it), then places read outside it (`outside`, never to be filled in)."""
    index = name_index.get()
    scope = county.prefix if county is not None else ""
    text = text[:MAX_TEXT]
    mentions = _mentions(index, address, "address") + _mentions(index, text, "text")
    candidates = _candidates(index, mentions, scope)
    outside = _cpca_places(index, candidates, scope, address, text, mentions)
    return _ranked(index, candidates, limit) + outside


def _candidates(index: NameIndex, mentions: list[_Mention], scope: str) -> dict[int, _Candidate]:
    named = {pk for m in mentions for pk, _ in m.entries if _in_scope(index.rows[pk], scope)}
    candidates: dict[int, _Candidate] = {}
    for group, m in enumerate(mentions):
        entries = [(pk, short) for pk, short in m.entries if _in_scope(index.rows[pk], scope)]
        # a name two regions share: keep those under a region also named (丰收社区 + 城关街道)
        own = {pk for pk, _ in entries}
        told_apart = [(pk, s) for pk, s in entries if set(_ancestors(index, pk)) & (named - own)]
        if told_apart:
            entries = told_apart
        for pk, short in entries:
            row = index.rows[pk]
            raw = (
                LEVEL_WEIGHT[RegionLevel(row.level)]
                * (SHORT_FORM if short else 1)
                * (IN_TEXT if m.source == "text" else 1)
            )
            c = candidates.get(pk)
            if c is None:
                candidates[pk] = _Candidate(row, raw, len(entries), group, [m.word])
            else:  # named again (address and text, or twice)
                c.raw = min(0.99, max(c.raw, raw) + SUPPORT)
                c.ambiguity = min(c.ambiguity, len(entries))
                if m.word not in c.words:
                    c.words.append(m.word)
    return candidates


def _cpca_places(
    index: NameIndex, candidates: dict[int, _Candidate], scope: str, address: str, text: str, mentions: list[_Mention]
) -> list[PlaceProposal]:
    """cpca's reading of what the tree's names left over: a county (or city) of the tree in scope joins
    the candidates; one outside is returned to be said."""
    outside = []
    for source, value in (("address", address), ("text", text)):
        if source == "text" and (candidates or outside):
            break  # the text's stray city names only speak when nothing else does
        found = cpca_place(_mask(value, [m for m in mentions if m.source == source]))
        if found is None:
            continue
        adcode, name = found
        pk = index.by_code.get(adcode)
        row = index.rows.get(pk) if pk is not None else None
        if row is not None and _in_scope(row, scope):
            raw = LEVEL_WEIGHT[RegionLevel(row.level)] * (IN_TEXT if source == "text" else 1)
            candidates.setdefault(row.pk, _Candidate(row, raw, 1, -1 - len(outside), [name]))
        else:
            outside.append(
                PlaceProposal(name=name, confidence=0.0, words=(name,), outside=True, notes=(_("not in this county"),))
            )
    return outside


def _ranked(index: NameIndex, candidates: dict[int, _Candidate], limit: int) -> list[PlaceProposal]:
    # a region named together with one below it is implied by it: one place, surer
    absorbed = set()
    for c in candidates.values():
        for a in _ancestors(index, c.row.pk):
            if a in candidates:
                absorbed.add(a)
                c.words = [w for w in candidates[a].words if w not in c.words] + c.words
                c.raw = min(0.99, c.raw + SUPPORT)
    alive = [c for pk, c in candidates.items() if pk not in absorbed]
    groups: dict[int, float] = {}
    for c in alive:
        groups[c.group] = max(groups.get(c.group, 0.0), c.raw)
    total = sum(groups.values())
    proposals = []
    for c in alive:
        share = groups[c.group] / total if total else 0.0
        notes = []
        if c.ambiguity > 1:
            notes.append(_("%(n)s places have this name") % {"n": c.ambiguity})
        if len(groups) > 1:
            notes.append(_("%(n)s different places are named") % {"n": len(groups)})
        proposals.append(
            PlaceProposal(
                name=c.row.name,
                confidence=round(c.raw * share / c.ambiguity, 4),
                words=tuple(c.words),
                notes=tuple(notes),
                pk=c.row.pk,
                level=c.row.level,
            )
        )
    proposals.sort(key=lambda p: (-p.confidence, -p.level, p.name))
    return proposals[:limit]


def user_county(unit_id: int | None) -> RegionRow | None:
    """The county (or the larger area of a city or province unit) whose places a unit registers, from
    the cached tables: no query."""
    if unit_id is None:
        return None
    unit = next((u for u in unit_list_active() if u.pk == unit_id), None)
    if unit is None:
        return None
    regions = upper_regions.get()
    row = regions.get(unit.region_id)
    if row is None:  # a village committee: its township is in the table
        row = regions.get(unit.region.parent_id) if unit.region.parent_id else None
    while row is not None and row.level > RegionLevel.COUNTY and row.parent_id in regions:
        row = regions[row.parent_id]
    return row
