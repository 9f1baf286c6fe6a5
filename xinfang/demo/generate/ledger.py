"""The ledger import (台账导入, --history import, the default): petitions as if migrated from an existing
Excel ledger, tens of thousands a second."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from xinfang.demo.generate.ledger_walk import _CLAIM, LedgerWalk, _Walk
from xinfang.org import calendar
from xinfang.petitions import deadlines
from xinfang.petitions.deadlines import REPORT_ARTICLE
from xinfang.petitions.eventlog import GENESIS
from xinfang.petitions.models import Channel
from xinfang.petitions.models import DeadlineKind as DK
from xinfang.petitions.replay import IMPORT_ACTION

PETITIONER_REUSE = 0.68  # chance that a party is someone who petitioned before (about 1 new person in 3 petitions)
PETITIONER_POOL = 400  # people per place who may petition again
VISIT = str(Channel.VISIT.value)


class ImportGenerator(LedgerWalk):
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
        self.pools: dict[int, list[int]] = {}
        # deadline kind -> (period days, working days, roll over, article)
        kinds = {str(x) for x in DK}
        self.dk = {
            str(k): (p.days, p.working_days, p.roll_over, p.article) for k, p in self.periods.items() if k in kinds
        }
        self.run_first, self.run_count = 1, 0  # the ids this run makes (set by petitions_generate)
        self._workday: dict[int, bool] = {}
        # True: rows carry the index of a text (petition title, content=None; decision text) instead of
        # the text, to be joined with SPOOL_TEXTS when spooled batches are copied in
        self.text_refs = False

    def _is_workday(self, d: int) -> bool:
        w = self._workday.get(d)
        if w is None:
            w = self._workday[d] = calendar.is_workday(dt.date.fromordinal(d))
        return w

    def due(self, start: int, days: int, working: bool, roll: bool) -> int:
        """calendar.count_forward(start, days, working, roll).end as an ordinal, by the same rule from a
        per-day cache of calendar.is_workday (count_forward also writes notes, which cost more)."""
        key = (start, days, working, roll)
        d = self._due.get(key)
        if d is None:
            if working:
                d, counted = start, 0
                while counted < days:
                    d += 1
                    counted += self._is_workday(d)
            else:
                d = start + days
                while roll and not self._is_workday(d):
                    d += 1
            self._due[key] = d
        return d

    def _dl(self, pid: int, kind: str, unit: int | None, start: int, days=None, ext=0, ext_reason="") -> tuple:
        """An open deadline's row (deadlines.deadline_new: the period's, or `days` of a report)."""
        date_iso = self.clock.date_iso
        if days is None:
            period, working, roll, article = self.dk[kind]
        else:
            period, working, roll, article = days, False, False, REPORT_ARTICLE
        due = self.due(start, period + ext, working, roll)
        start_on, due_on = date_iso(start), date_iso(due)
        return (pid, kind, unit, start_on, period, working, roll, article, ext, ext_reason, 0, None, due_on, True, None)

    def _person(self, pool: list[int], place_name: str) -> int:
        """A new person (their row into out_pr), who joins the place's pool of people who may petition again."""
        who = self.new_person(place_name)
        if len(pool) < PETITIONER_POOL:
            pool.append(who)
        else:
            pool[int(self.rng.random() * PETITIONER_POOL)] = who
        return who

    def _parties(self, pid: int, place: int, kind: str, channel: str) -> int:
        """Petitioners from this place's pool of people who petitioned before, or someone new (a claim
        needs one; suggestions and accusations may be anonymous), into out_pp; the headcount."""
        rnd = self.rng.random
        headcount = 1
        if kind != _CLAIM and rnd() >= 0.7:
            return headcount
        if channel == VISIT and rnd() < 0.06:
            headcount, k = 5 + int(rnd() * 36), 1 + int(rnd() * 3)
        else:
            k = 1 if rnd() < 0.93 else 2
        pool = self.pools.setdefault(place, [])
        parties: list[int] = []
        for _ in range(k):
            if pool and rnd() < PETITIONER_REUSE:
                who = pool[int(rnd() * len(pool))]
                if who in parties:
                    continue
            else:
                who = self._person(pool, self.place_info[place][5])
            parties.append(who)
        headcount = max(headcount, len(parties))
        collective = headcount >= 5
        self.out_pp += [(pid, who, collective) for who in parties]
        return headcount

    def _received_order(self, first_id: int, n: int) -> Callable[[], int]:
        """Received times, uniform over the run's span; a batch takes its slice of it, in order, so that
        ids follow the ledger's (received) order, as an import in row order gives them."""
        rnd = self.rng.random
        span = self.now_t - self.start_t - 3600
        lo, hi = self.run_first, self.run_first + self.run_count
        inside = lo <= first_id < hi
        a = self.start_t + span * (first_id - lo) / (hi - lo) if inside else self.start_t
        width = span * n / (hi - lo) if inside else span
        return iter(sorted(int(a + rnd() * width) for _ in range(n))).__next__

    def _walk(self, pid: int, facts: tuple, recv_day: int, at: int) -> _Walk:
        """Where the ledger has it now: the full generator's route, at its pace, without the events."""
        place, _, kind, _, _, _, registrar, accused_unit, _ = facts
        w = _Walk(pid, at, kind, registrar, recv_day, accused_unit)
        _, w.depts_all, w.depts_without, w.town, w.village, _, _ = self.place_info[place]
        self._fate(w)
        return w

    def _imported(self, w: _Walk, facts: tuple, headcount: int, opened: list[tuple]) -> tuple:
        """The one event: the ledger row as imported, chained from GENESIS like any first event."""
        place, ti, kind, channel, priority, category, registrar, accused_unit, accused_name = facts
        data = {"channel": channel, "kind": kind, "owner_unit": w.owner, "state": w.state, "headcount": headcount}
        data |= {"received_on": self.clock.date_iso(w.recv_day), "region": self.place_info[place][6]}
        data |= self.registered(ti, kind, category, priority, accused_unit, accused_name)
        # what replay.py needs to check the row: its open deadlines (kind, unit, from, due)
        data["open_deadlines"] = [[d[1], d[2], d[3], d[12]] for d in opened]
        if w.outcome:
            data["outcome"], data["measure"] = w.outcome, w.measure
        if w.decline_reason:
            data["decline_reason"] = w.decline_reason
        if w.redirect_channel:
            data["redirect_channel"] = w.redirect_channel
        return self.event_row(w.pid, 1, GENESIS, IMPORT_ACTION, self.org.router[registrar], w.t, "", w.state, data)

    def _petition(self, pid: int, facts: tuple) -> None:
        """One petition's rows: its parties (before), its open deadlines, the import event, the petition."""
        place, ti, kind, channel, priority, category, registrar, accused_unit, accused_name = facts
        headcount = self._parties(pid, place, kind, channel)
        recv_store, recv_day, at = self.received_times(self.next_received(), channel)
        w = self._walk(pid, facts, recv_day, at)
        opened = [self._dl(pid, *spec) for spec in w.pending]
        self.out_d += opened
        event = self._imported(w, facts, headcount, opened)
        self.out_e.append(event)
        due_on = deadlines.queue_due((d[1], d[12]) for d in opened)  # ISO dates compare as dates
        title, content = (ti, None) if self.text_refs else self.texts.items[ti][:2]
        self.out_p.append(
            (pid, self.query_code(pid), channel, kind, category, place, title, content, recv_store)
            + (self.org.router[registrar][0], registrar, priority, headcount, accused_unit, accused_name)
            + (w.state, w.owner, w.routed_by, due_on, w.redirect_channel, w.decline_reason, 1, event[-1], event[2])
        )
        self.out_s.append((pid, ti))

    def batch(self, first_id: int, n: int, first_petitioner: int) -> dict[str, list[tuple]]:
        """n petitions from first_id on, as imported, as rows by table."""
        self.out_p, self.out_d, self.out_pp, self.out_pr, self.out_s = [], [], [], [], []
        self.out_e, self.out_dec, self.out_ev = [], [], []
        self.pr_id = first_petitioner
        self.next_received = self._received_order(first_id, n)
        for pid in range(first_id, first_id + n):
            self._petition(pid, self.facts())
        rows = {"petition": self.out_p, "petitioner": self.out_pr, "party": self.out_pp, "event": self.out_e}
        rows |= {"deadline": self.out_d, "decision": self.out_dec, "evaluation": self.out_ev, "search": self.out_s}
        return self.batch_out(rows, self.pr_id)
