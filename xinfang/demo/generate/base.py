"""What both generators share: the run's clock, odds and caches, query codes, the register event's
facts, the hash-chained event row (eventlog.event_hash's body, spelled out), and a petition's row."""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import random
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings

from xinfang.demo.generate.clock import DAY, WORK_END, WORK_START, Clock
from xinfang.demo.generate.odds import (
    _CODE_FAR,
    _CODE_SPACE,
    CHANNELS,
    KINDS,
    OUTCOMES,
    PRIORITIES,
    SATISFACTIONS,
    STEMS,
    SURNAMES,
    _weighted,
    query_code_for,
)
from xinfang.demo.generate.org import Org
from xinfang.demo.generate.texts import Texts
from xinfang.org import calendar
from xinfang.petitions import rules
from xinfang.petitions.crypto import encrypt, lookup_digest
from xinfang.petitions.models import Channel, Kind
from xinfang.petitions.replay import text_digest
from xinfang.petitions.search import search_body

# the body of eventlog.event_hash, spelled out: keys sorted, compact separators, ensure_ascii=False
_dumps = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


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


class Stop(Exception):
    """The next step would lie in the future (or the case stalls): the petition stays where it is."""


def _petitioner_row(pk: int, name: str, phone: str, address: str) -> tuple:
    """A petitioner's row as stored: phone and address encrypted, the phone's lookup digest, no ID number
    (crypto.py; the generator's workers do this beside the writer, ~40 µs a person)."""
    return (pk, name, "", encrypt(phone), encrypt(address), "", lookup_digest("phone", phone))


class GeneratorBase:
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
        self.label_json: dict[str, str] = {}
        self.postgres = postgres
        self.met_deadlines = True
        self.next_petitioner = 0
        # search index bodies (text index, body) this generator made (presegment), for the next batch
        self.new_bodies: list[tuple[int, str]] = []
        self.presegment_pool = False
        self._digests: dict[int, dict[str, str]] = {}  # text index -> its title's and content's SHA-256
        self.place_values, self.place_cum, self.place_total = self.place_table
        self.children = dict(org.categories)
        # the weights of odds.py with plain values (cheaper to compare and to format)
        self.tables = [
            ([v.value for v in values], cum, total)
            for values, cum, total in (CHANNELS, KINDS, PRIORITIES, OUTCOMES, SATISFACTIONS)
        ]
        self.place_info = {place: self._place_info(place) for place in org.places}

    def _place_info(self, place: int) -> tuple:
        """(registering units, departments, departments but each unit, township office, village committee,
        name, code) of a place."""
        org = self.org
        regs, depts = org.registrars[place], org.departments[place]
        # the departments a unit of this place may forward to (itself left out)
        without = {u: [d for d in depts if d != u] for u in set(regs) | set(depts)}
        town, village = org.township_office.get(place), org.village_committee.get(place)
        return regs, depts, without, town, village, org.region_name[place], org.region_code[place]

    def facts(self) -> tuple:
        """(place, text index, kind, channel, priority, category, registering unit, accused unit and name)."""
        rnd, bisect_right = self.rng.random, bisect.bisect_right
        place = self.place_values[bisect_right(self.place_cum, rnd() * self.place_total)]
        regs, depts = self.place_info[place][:2]
        ti = int(rnd() * len(self.texts.items))
        (ch_values, ch_cum, ch_total), (k_values, k_cum, k_total), (pr_values, pr_cum, pr_total) = self.tables[:3]
        kind = k_values[bisect_right(k_cum, rnd() * k_total)]
        channel = ch_values[bisect_right(ch_cum, rnd() * ch_total)]
        priority = pr_values[bisect_right(pr_cum, rnd() * pr_total)]
        category = self._category(self.texts.items[ti][2]) if self.org.categories and rnd() < 0.96 else None
        r = rnd()
        if r < 0.55 or len(regs) == 1:
            registrar = regs[0]
        elif r < 0.68 and depts:
            registrar = depts[int(rnd() * len(depts))]
        else:
            registrar = regs[1 + int(rnd() * (len(regs) - 1))]
        accused_unit, accused_name = None, ""
        if kind == Kind.ACCUSATION:
            cands = [d for d in depts if d != registrar]
            if cands and rnd() < 0.5:
                accused_unit = cands[int(rnd() * len(cands))]
            accused_name = f"{SURNAMES[int(rnd() * len(SURNAMES))]}某"
        return place, ti, kind, channel, priority, category, registrar, accused_unit, accused_name

    def _category(self, label: str) -> int:
        """The text's level-1 category (any, if it has none) or one of its level-2 children."""
        rnd, cats = self.rng.random, self.org.categories
        top = self.org.category_by_name.get(label) if label else None
        if top is None:
            top, children = cats[int(rnd() * len(cats))]
        else:
            children = self.children.get(top, ())
        return children[int(rnd() * len(children))] if children and rnd() < 0.75 else top

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
        """What registration.petition_register's event records besides the facts: the texts' digests, the
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

    def new_person(self, place_name: str) -> int:
        """A new, invented person (王某甲, phone 100xxxxxxxx, no ID number): their row into out_pr; their id."""
        rnd = self.rng.random
        who, self.pr_id = self.pr_id, self.pr_id + 1
        name = SURNAMES[int(rnd() * len(SURNAMES))] + "某" + STEMS[int(rnd() * 10)]
        if rnd() < 0.3:
            name += STEMS[int(rnd() * 10)]
        phone = f"100{int(rnd() * 100000000):08d}"
        self.out_pr.append(_petitioner_row(who, name, phone, f"{place_name}{1 + int(rnd() * 12)}组"))
        return who

    def received_times(self, received: int, channel: str) -> tuple[str, int, int]:
        """(received at as stored, its day, registered at) of a petition received about `received`: during
        office hours (visits, phone) or any time (letters, web), registered soon after."""
        rnd = self.rng.random
        if channel == Channel.VISIT or channel == Channel.PHONE or rnd() < 0.5:
            received = received // DAY * DAY + WORK_START + int(rnd() * (WORK_END - WORK_START - 3600))
        at = min(received + 60 * (3 + int(rnd() * 88)), self.now_t)
        received = min(received, at - 60)
        recv_store, _ = self.clock.utc(received, 1 + int(rnd() * 999998))
        if self.postgres:
            recv_store += "+00:00"
        return recv_store, received // DAY + self.epoch_ord, at

    def event_row(
        self, pid: int, seq: int, prev: str, action: str, actor: tuple[int, str], at: int, frm: str, to: str, data: dict
    ) -> tuple:
        """An event's row, hashed and chained as eventlog.build_event does (tests/demo/test_generate_equivalence.py)."""
        store, iso = self.clock.utc(at, 1 + int(self.rng.random() * 999998))
        uid, lab = actor
        lj = self.label_json.get(lab)
        if lj is None:
            lj = self.label_json[lab] = json.dumps(lab, ensure_ascii=False)
        dj = _dumps(data)
        body = (
            f'{{"action":"{action}","actor":{uid},"actor_label":{lj},"at":"{iso}","data":{dj},'
            f'"from":"{frm}","petition":{pid},"prev":"{prev}","seq":{seq},"to":"{to}"}}'
        )
        h = hashlib.sha256(body.encode()).hexdigest()
        return (pid, seq, store + "+00:00" if self.postgres else store, uid, lab, action, frm, to, dj, prev, h)

    def batch_out(self, rows: dict[str, list[tuple]], first_petitioner: int) -> dict[str, list[tuple]]:
        """A batch's rows by table, with the search index bodies made since the last batch."""
        self.next_petitioner = first_petitioner
        rows["search_text"], self.new_bodies = self.new_bodies, []
        return rows
