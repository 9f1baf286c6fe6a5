"""The full generator (--history full): every petition is one the services could have made. It walks
the transition table (workflow.TABLE) from "register" with the same guards (walk.py), opens and meets
the same deadlines (due dates from the same calendar functions, cached per start date and period),
writes the same event data (the register event's digests and "opened" due dates too), and chains its
events with the same hash as eventlog.event_hash; tests/demo/test_generate_equivalence.py replays such
histories through the services and compares the rows."""

from __future__ import annotations

from xinfang.demo.generate.base import Stop
from xinfang.demo.generate.steps import (
    ARTICLE,
    DUE,
    EXT,
    EXT_REASON,
    KIND,
    MET,
    OPEN,
    PAUSED,
    PAUSED_SINCE,
    PERIOD,
    ROLL,
    START,
    UNIT,
    WORKING,
    _Case,
)
from xinfang.demo.generate.walk import HistoryWalk
from xinfang.petitions import deadlines
from xinfang.petitions.eventlog import GENESIS
from xinfang.petitions.models import Channel, Kind
from xinfang.petitions.models import DeadlineKind as DK
from xinfang.petitions.models import State as S

RECENT = 5000  # people who may petition again


class Generator(HistoryWalk):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.recent_petitioners: list[int] = []

    def _person(self, place: int) -> int:
        """Someone who has petitioned before (15 in 100), or a new person (their row into out_pr)."""
        rnd, recent = self.rng.random, self.recent_petitioners
        if recent and rnd() < 0.15:
            return recent[int(rnd() * len(recent))]
        who = self.new_person(self.org.region_name[place])
        if len(recent) < RECENT:
            recent.append(who)
        else:
            recent[int(rnd() * RECENT)] = who
        return who

    def _parties(self, pid: int, place: int, kind: str, channel: str) -> int:
        """The petitioners (a claim needs at least one; suggestions and accusations may be anonymous),
        into out_pp; the headcount."""
        rng, rnd = self.rng, self.rng.random
        parties: list[int] = []
        headcount = 1
        if kind == Kind.CLAIM or rnd() < 0.7:
            if channel == Channel.VISIT and rnd() < 0.06:
                headcount, k = rng.randint(5, 40), rng.randint(1, 3)
            else:
                k = 1 if rnd() < 0.93 else 2
            for _ in range(k):
                who = self._person(place)
                if who not in parties:
                    parties.append(who)
            headcount = max(headcount, len(parties))
        collective = headcount >= 5
        self.out_pp += [(pid, who, collective) for who in parties]
        return headcount

    def _register(self, pid: int, facts: tuple, headcount: int, recv_day: int, at: int) -> _Case:
        """The case as registration.petition_register leaves it: registered, its intake period open, one event."""
        place, ti, kind, channel, priority, category, registrar, accused_unit, accused_name = facts
        c = _Case()
        c.pid, c.seq, c.prev, c.t = pid, 0, GENESIS, at
        c.state, c.owner, c.routed_by = S.REGISTERED, registrar, None
        c.open, c.deadlines = {}, []
        c.place, c.kind, c.accused_unit = place, kind, accused_unit
        c.decline_reason = c.redirect_channel = ""
        c.open[DK.INTAKE] = self._deadline(c, DK.INTAKE, recv_day, registrar)
        date_iso = self.clock.date_iso
        data = {"channel": channel, "kind": kind, "region": self.org.region_code[place], "headcount": headcount}
        data |= {"unit": registrar, "received_on": date_iso(recv_day)}
        data |= self.registered(ti, kind, category, priority, accused_unit, accused_name)
        data["opened"] = {DK.INTAKE: date_iso(c.open[DK.INTAKE][DUE])}
        self._emit(c, "register", self.org.router[registrar], at, "", data)
        return c

    def _rows(self, c: _Case, facts: tuple, headcount: int, recv_store: str) -> None:
        """The petition's row (Petition.due_on as services._queue_due) and its deadlines' rows."""
        place, ti, kind, channel, priority, category, registrar, accused_unit, accused_name = facts
        date_iso = self.clock.date_iso
        due_on = deadlines.queue_due((d[KIND], d[DUE]) for d in c.open.values())
        title, content, _ = self.texts.items[ti]
        self.out_p.append(
            (c.pid, self.query_code(c.pid), channel, kind, category, place, title, content, recv_store)
            + (self.org.router[registrar][0], registrar, priority, headcount, accused_unit, accused_name)
            + (c.state, c.owner, c.routed_by, date_iso(due_on) if due_on else None, c.redirect_channel)
            + (c.decline_reason, c.seq, c.prev, self.out_e[-1][2])
        )
        self.out_s.append((c.pid, ti))
        for d in c.deadlines if self.met_deadlines else c.open.values():
            paused_since, met = date_iso(d[PAUSED_SINCE]) if d[PAUSED_SINCE] else None, d[MET]
            self.out_d.append(
                (c.pid, d[KIND], d[UNIT], date_iso(d[START]), d[PERIOD], d[WORKING], d[ROLL], d[ARTICLE], d[EXT])
                + (d[EXT_REASON], d[PAUSED], paused_since, date_iso(d[DUE]), d[OPEN], date_iso(met) if met else None)
            )

    def batch(self, first_id: int, n: int, first_petitioner: int) -> dict[str, list[tuple]]:
        """n petitions from first_id on, each through its whole history, as rows by table."""
        rnd = self.rng.random
        span = self.now_t - self.start_t - 3600
        self.out_p, self.out_d, self.out_pp, self.out_pr, self.out_s = [], [], [], [], []
        self.out_e, self.out_dec, self.out_ev = [], [], []
        self.pr_id = first_petitioner
        for pid in range(first_id, first_id + n):
            facts = self.facts()
            headcount = self._parties(pid, facts[0], facts[2], facts[3])
            recv_store, recv_day, at = self.received_times(self.start_t + int(rnd() * span), facts[3])
            c = self._register(pid, facts, headcount, recv_day, at)
            try:
                self._history(c)
            except Stop:
                pass
            self._rows(c, facts, headcount, recv_store)
        rows = {"petition": self.out_p, "petitioner": self.out_pr, "party": self.out_pp, "event": self.out_e}
        rows |= {"deadline": self.out_d, "decision": self.out_dec, "evaluation": self.out_ev, "search": self.out_s}
        return self.batch_out(rows, self.pr_id)
