"""Who an accusation accuses (被检举控告对象), proposed from what the accuser wrote and the place.

The portal, the API and Open311 receive accusations as text: "青石镇人民政府 王镇长", "镇政府的干部",
"县人社局". So that Art. 30's hiding and routing rules apply from the first minute, the text is read for
a unit of the organisation, and the unit's active staff for a person named:

1. a unit's full name ("青石镇人民政府", "县人力资源和社会保障局") or a common short form of it
   ("青石镇政府", "人社局", "丰收村委会", "信访局");
2. a place of the tree followed closely by an official's title ("青石镇王镇长", "丰收村的支书"): that
   place's township office, village committee or government;
3. a title without a place ("镇政府", "村干部"): the township office or village committee of the place
   the petition is about.

The accuser's own words for the accused (the portal's field) count before the title and content. The
proposal is recorded on the petition unconfirmed: until the bureau confirms or corrects it
(`petition_confirm_accused`), only the staff who handle accusations see it (selectors.petition_visibility).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick

from xinfang.org.models import Region, RegionLevel, Unit, UnitKind, User
from xinfang.org.selectors import unit_list_active, upper_regions
from xinfang.routing.tables import DerivedTable

# well-known short names of county departments (the full name without its 县/市 prefix is always known)
DEPARTMENT_SHORT = {
    "人力资源和社会保障局": ("人社局",),
    "住房和城乡建设局": ("住建局",),
    "卫生健康局": ("卫健局",),
    "市场监督管理局": ("市场监管局",),
    "农业农村局": ("农业局",),
    "退役军人事务局": ("退役军人局",),
    "城市管理局": ("城管局",),
    "医疗保障局": ("医保局",),
    "应急管理局": ("应急局",),
    "文化旅游广电局": ("文旅局", "文广旅局"),
    "生态环境局": ("环保局", "环境局"),
    "交通运输局": ("交通局",),
    "自然资源局": ("国土局",),
    "信访联席会议办公室": ("联席办",),
    "纪委监委": ("纪委",),
}
# an official's title or the body, after a place's name ("青石镇王镇长", "丰收村支书")
TITLES = (
    "政府",
    "党委",
    "镇长",
    "乡长",
    "县长",
    "书记",
    "支书",
    "主任",
    "干部",
    "领导",
    "村委",
    "居委",
    "委员",
    "工作人员",
    "办事处",
    "所长",
    "站长",
)
TITLE_GAP = 2  # at most this many characters (a surname, 的) between the place and the title
# a title without a place: the unit of the petition's own place at that level
GENERIC = {
    RegionLevel.TOWNSHIP: (
        "镇政府",
        "乡政府",
        "镇党委",
        "乡党委",
        "街道办",
        "镇长",
        "乡长",
        "镇干部",
        "乡干部",
        "镇领导",
        "乡领导",
    ),
    RegionLevel.VILLAGE: ("村委会", "村委", "居委会", "村干部", "村支书", "村书记", "村主任", "社区干部", "村领导"),
}
PLACE_KINDS = {
    RegionLevel.TOWNSHIP: UnitKind.TOWNSHIP_OFFICE,
    RegionLevel.VILLAGE: UnitKind.VILLAGE_COMMITTEE,
    RegionLevel.COUNTY: UnitKind.GOVERNMENT,
    RegionLevel.CITY: UnitKind.GOVERNMENT,
}
# how sure each way of naming is (the best one wins; the accuser's own field before the text)
FULL, SHORT, PLACE_TITLE, PLACE_ONLY = 4, 3, 2, 1
MAX_TEXT = 4000


@dataclass(frozen=True)
class AccusedProposal:
    unit: Unit | None = None
    user: User | None = None
    words: tuple[str, ...] = ()  # what in the text named them

    @property
    def found(self) -> bool:
        return self.unit is not None or self.user is not None


def _aliases(unit: Unit) -> list[tuple[str, int]]:
    name = unit.name
    out = [(name, FULL)]
    if name.endswith("人民政府"):
        out.append((name[:-4] + "政府", SHORT))
    if name.endswith("村民委员会") or name.endswith("居民委员会"):
        out += [(name[:-5] + "委会", SHORT), (name[:-5] + "委", SHORT)]
    if name.endswith("办事处") and len(name) > 3:
        out.append((name[:-3] + "办", SHORT))
    for prefix in ("县", "市", unit.region.name):
        if name.startswith(prefix) and len(name) - len(prefix) >= 3:
            bare = name[len(prefix) :]
            out.append((bare, SHORT))
            out += [(prefix[:1] + s, SHORT) for s in DEPARTMENT_SHORT.get(bare, ())]
            out += [(s, SHORT) for s in DEPARTMENT_SHORT.get(bare, ())]
    return out


@dataclass
class _Index:
    automaton: ahocorasick.Automaton | None
    place_units: dict[int, Unit]  # region pk -> the unit that answers for that place
    places: re.Pattern | None  # a place's name (and short form) followed by a title
    place_regions: dict[str, int]  # that name -> region pk


def _index() -> _Index:
    units = unit_list_active()
    words: dict[str, tuple[int, list[Unit]]] = {}
    for unit in units:
        for word, weight in _aliases(unit):
            best = words.get(word)
            if best is None or weight > best[0]:
                words[word] = (weight, [unit])
            elif weight == best[0] and unit not in best[1]:
                best[1].append(unit)
    automaton = None
    if words:
        automaton = ahocorasick.Automaton()
        for word, (weight, found) in words.items():
            automaton.add_word(word, (word, weight, tuple(found)))
        automaton.make_automaton()
    place_units: dict[int, Unit] = {}
    for unit in units:
        kind = PLACE_KINDS.get(unit.region.level)
        if kind == unit.kind and unit.region_id not in place_units:
            place_units[unit.region_id] = unit
    place_regions: dict[str, int] = {}
    for unit in place_units.values():
        region = unit.region
        place_regions.setdefault(region.name, region.pk)
        for suffix in ("街道", "镇", "乡", "村", "社区"):
            if region.name.endswith(suffix) and len(region.name) - len(suffix) >= 2:
                place_regions.setdefault(region.name[: -len(suffix)], region.pk)
    places = None
    if place_regions:
        names = "|".join(re.escape(n) for n in sorted(place_regions, key=len, reverse=True))
        titles = "|".join(re.escape(t) for t in TITLES)
        places = re.compile(f"({names})[^，。；,.;\\s]{{0,{TITLE_GAP}}}?(?:{titles})")
    return _Index(automaton, place_units, places, place_regions)


accused_index = DerivedTable(_index, unit_list_active)


def _closest(units: tuple[Unit, ...], region: Region) -> Unit:
    """Of units that share a name, the one whose region holds the petition's place (else the first)."""
    for unit in units:
        if region.prefix.startswith(unit.region.prefix):
            return unit
    return units[0]


def _unit_in(text: str, region: Region) -> tuple[int, Unit, str] | None:
    """The best-named unit in `text`: (how sure, unit, the words)."""
    index = accused_index.get()
    best: tuple[int, int, Unit, str] | None = None  # (weight, length, unit, word)

    def consider(weight: int, unit: Unit, word: str) -> None:
        nonlocal best
        if best is None or (weight, len(word)) > (best[0], best[1]):
            best = (weight, len(word), unit, word)

    if index.automaton is not None:
        for _end, (word, weight, units) in index.automaton.iter(text):
            consider(weight, _closest(units, region), word)
    if index.places is not None:
        for m in index.places.finditer(text):
            unit = index.place_units.get(index.place_regions[m.group(1)])
            if unit is not None:
                consider(PLACE_TITLE, unit, m.group(0))
    if best is None:
        for level, titles in GENERIC.items():
            place = _ancestor_at(region, level)
            unit = index.place_units.get(place) if place else None
            for title in titles:
                if unit is not None and title in text:
                    consider(PLACE_ONLY, unit, title)
                    break
    return None if best is None else (best[0], best[2], best[3])


def _ancestor_at(region: Region, level: int) -> int | None:
    """The pk of the region at `level` above (or at) `region`, from the cached upper regions (no query)."""
    if region.level == level:
        return region.pk
    uppers = upper_regions.get()
    row = uppers.get(region.parent_id) if region.parent_id else None
    while row is not None and row.level > level:
        row = uppers.get(row.parent_id) if row.parent_id else None
    return row.pk if row is not None and row.level == level else None


def _person_in(unit: Unit, text: str) -> User | None:
    """A member of `unit` whose name the text gives in full (two characters or more)."""
    people = User.objects.filter(unit=unit, is_active=True).exclude(display_name="").only("pk", "display_name", "unit")
    named = [u for u in people if len(u.display_name) >= 2 and u.display_name in text]
    return max(named, key=lambda u: len(u.display_name)) if named else None


def accused_propose(*, named: str, text: str, region: Region) -> AccusedProposal:
    """The unit and person an accusation accuses, read from the accuser's words for them (`named`) and
    else from the title and content (`text`), with the petition's place for titles without a place."""
    for source in (named.strip(), text[:MAX_TEXT]):
        if not source:
            continue
        found = _unit_in(source, region)
        if found is None:
            continue
        _weight, unit, word = found
        person = _person_in(unit, named + " " + text[:MAX_TEXT])
        return AccusedProposal(unit=unit, user=person, words=(word,))
    return AccusedProposal()
