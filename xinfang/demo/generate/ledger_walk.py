"""Where a ledger has a petition now (台账导入): the full generator's route (walk.py), with the same odds
at the same pace, keeping only its current state, owner and routing unit, the deadlines that state has
open (`pending`), and the decisions and evaluations made so far. Each stage says whether the walk goes on."""

from __future__ import annotations

import bisect

from xinfang.demo.generate.base import GeneratorBase
from xinfang.demo.generate.clock import DAY, WORK_END, WORK_START
from xinfang.demo.generate.odds import CHANNEL_KEYS, DECLINE_KEYS, EVAL_REASONS, EXTEND_REASONS, MEASURE_FOR
from xinfang.org.models import UnitKind
from xinfang.petitions.models import DeadlineKind as DK
from xinfang.petitions.models import DecisionStage, Kind, Measure
from xinfang.petitions.models import State as S

# plain values of the core's choices: cheaper to compare (states by identity) and to format
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
_CLAIM = str(Kind.CLAIM.value)
_STAGE = {k: str(k.value) for k in DecisionStage}
MEASURE_STR = {str(o.value): str(m.value) for o, m in MEASURE_FOR.items()}
ASSISTED = str(Measure.ASSISTED.value)
EVAL_STR = {str(k.value): v for k, v in EVAL_REASONS.items()}
K = {k: str(k.value) for k in DK}
BUREAU_KINDS = (str(UnitKind.BUREAU.value), str(UnitKind.GOVERNMENT.value))
TOWNSHIP_KIND = str(UnitKind.TOWNSHIP_OFFICE.value)


class _Walk:
    """One petition on its way; `pending`: the open deadlines of its state, as _dl's arguments."""

    __slots__ = (
        "pid",
        "t",
        "kind",
        "owner",
        "routed_by",
        "state",
        "pending",
        "accused_unit",
        "depts",
        "depts_all",
        "depts_without",
        "town",
        "village",
        "recv_day",
        "routed_day",
        "report_days",
        "decided_day",
        "outcome",
        "measure",
        "decline_reason",
        "redirect_channel",
    )

    def __init__(self, pid: int, t: int, kind: str, registrar: int, recv_day: int, accused_unit: int | None) -> None:
        self.pid, self.t, self.kind, self.owner, self.routed_by = pid, t, kind, registrar, None
        self.state, self.pending, self.accused_unit, self.recv_day = _REGISTERED, (), accused_unit, recv_day
        self.routed_day = self.report_days = self.decided_day = 0
        self.outcome = self.measure = self.decline_reason = self.redirect_channel = ""


class LedgerWalk(GeneratorBase):
    # -- times and side records (as steps.FullSteps, 0 for "stop here" instead of raising Stop)
    def _later_t(self, t: int, lo: int, hi: int) -> int:
        """A working-hours time lo..hi days after t; 0 if the case stalls or it would lie in the future."""
        rnd = self.rng.random
        if rnd() < 0.02:
            return 0
        nt = (t // DAY + lo + int(rnd() * (hi - lo + 1))) * DAY + WORK_START + int(rnd() * (WORK_END - WORK_START))
        if nt <= t:
            nt = t + 60 + int(rnd() * 7140)
        return nt if nt <= self.now_t else 0

    def _on_day_t(self, t: int, ordinal: int) -> int:
        rnd = self.rng.random
        nt = (ordinal - self.epoch_ord) * DAY + WORK_START + int(rnd() * (WORK_END - WORK_START))
        if nt <= t:
            nt = t + 60 + int(rnd() * 7140)
        return nt if nt <= self.now_t else 0

    def _decision(self, w: _Walk, stage: DecisionStage, day: int) -> None:
        rnd = self.rng.random
        o_values, o_cum, o_total = self.tables[3]
        outcome = o_values[bisect.bisect_right(o_cum, rnd() * o_total)]
        measure = MEASURE_STR[outcome] if rnd() < 0.85 else ASSISTED
        replies = self.texts.replies
        ri = int(rnd() * len(replies))
        text = ri if self.text_refs else replies[ri]
        row = (
            w.pid,
            _STAGE[stage],
            w.owner,
            outcome,
            measure,
            text,
            self.clock.date_iso(day),
            self.org.handler[w.owner][0],
        )
        self.out_dec.append(row)
        w.outcome, w.measure, w.decided_day = outcome, measure, day

    def _evaluation(self, w: _Walk, t: int) -> None:
        rnd = self.rng.random
        s_values, s_cum, s_total = self.tables[4]
        sat = s_values[bisect.bisect_right(s_cum, rnd() * s_total)]
        reasons = EVAL_STR[sat]
        w.t = t
        self.out_ev.append(
            (w.pid, sat, reasons[int(rnd() * len(reasons))], self.clock.date_iso(t // DAY + self.epoch_ord))
        )

    def _due_of(self, kind: str, start: int) -> int:
        days, working, roll, _ = self.dk[kind]
        return self.due(start, days, working, roll)

    # -- ends of the walk
    def _stay(self, w: _Walk, state: str, pending: tuple) -> bool:
        w.state, w.pending = state, pending
        return False

    def _declined(self, w: _Walk) -> bool:
        w.state, w.pending = _DECLINED, ()
        w.decline_reason = DECLINE_KEYS[int(self.rng.random() * len(DECLINE_KEYS))]
        return False

    def _redirected(self, w: _Walk) -> bool:
        w.state, w.pending = _REDIRECTED, ()
        w.redirect_channel = CHANNEL_KEYS[int(self.rng.random() * len(CHANNEL_KEYS))]
        return False

    def _routed_pending(self, w: _Walk) -> tuple:
        """What a forwarded or assigned petition has open: acceptance, objection (and the report date)."""
        pending = ((K[DK.ACCEPTANCE], w.owner, w.routed_day), (K[DK.OBJECTION], w.owner, w.routed_day))
        if w.report_days:
            pending += ((K[DK.ASSIGNMENT_REPORT], w.owner, w.routed_day, w.report_days),)
        return pending

    def _fate(self, w: _Walk) -> None:
        """Walk the petition as walk.HistoryWalk does, with the same odds and pace."""
        if self._route(w) and self._receive(w) and self._handle(w) and self._review(w):
            self._reexamine(w)

    # -- routing (within 15 days of registration), perhaps returned (within 5 working days) and routed again
    def _routed_at(self, w: _Walk, day: int) -> float | None:
        """The time the router acts on a registered petition (w.t); None if it stops there, registered."""
        rnd = self.rng.random
        r = rnd()
        nt = self._later_t(w.t, 0, 13) if rnd() < 0.95 else self._later_t(w.t, 14, 24)
        if not nt:
            self._stay(w, _REGISTERED, ((K[DK.INTAKE], w.owner, day),))
            return None
        w.t = nt
        return r

    def _route(self, w: _Walk) -> bool:
        rnd = self.rng.random
        r = self._routed_at(w, w.recv_day)
        if r is None:
            return False
        if w.kind == _CLAIM and r < 0.05:
            return self._redirected(w)
        if r < 0.12:
            return self._declined(w)
        owner, ukind = w.owner, self.org.unit_kind[w.owner]
        w.state, w.report_days = _ACCEPTED, 0
        depts = w.depts_without.get(owner) if w.accused_unit is None else None
        if depts is None:
            depts = [d for d in w.depts_all if d != owner and d != w.accused_unit]
        w.depts = depts
        if ukind in BUREAU_KINDS:
            if w.town and w.town != owner and r < 0.42:
                w.state, w.report_days = _ASSIGNED, (30, 45, 60)[int(rnd() * 3)]
                w.routed_by, w.owner = owner, w.town
            elif depts and r < 0.93:
                w.state, w.routed_by, w.owner = _FORWARDED, owner, depts[int(rnd() * len(depts))]
        elif ukind == TOWNSHIP_KIND and r < 0.50:
            if w.village and w.village != owner and r < 0.38:
                w.state, w.report_days = _ASSIGNED, (20, 30, 45)[int(rnd() * 3)]
                w.routed_by, w.owner = owner, w.village
            elif depts:
                w.state, w.routed_by, w.owner = _FORWARDED, owner, depts[int(rnd() * len(depts))]
        w.routed_day = w.t // DAY + self.epoch_ord
        return True

    def _returned(self, w: _Walk, nt: int) -> bool:
        """Returned at nt as not competent: back at the router, which forwards it elsewhere or accepts it."""
        rnd = self.rng.random
        w.t, returned_by, w.owner, w.routed_by, w.report_days = nt, w.owner, w.routed_by, None, 0
        r = self._routed_at(w, w.t // DAY + self.epoch_ord)
        if r is None:
            return False
        if w.kind == _CLAIM and r < 0.05:
            return self._redirected(w)
        if r < 0.12:
            return self._declined(w)
        depts = [d for d in w.depts if d != returned_by]
        if not (depts and r < 0.55):
            w.state = _ACCEPTED
        else:
            w.state, w.routed_by, w.owner = _FORWARDED, w.owner, depts[int(rnd() * len(depts))]
            w.routed_day = w.t // DAY + self.epoch_ord
        return True

    def _receive(self, w: _Walk) -> bool:
        """The receiving unit accepts or declines (within 15 days), or returns it (the second may not)."""
        if w.state is _ACCEPTED:
            return True
        rnd = self.rng.random
        r = rnd()
        if r < 0.08:
            nt = self._later_t(w.t, 0, 4)
            if not nt:
                return self._stay(w, w.state, self._routed_pending(w))
            if nt // DAY + self.epoch_ord <= self._due_of(K[DK.OBJECTION], w.routed_day):
                if not self._returned(w, nt):
                    return False
                r = rnd()
        if w.state is not _ACCEPTED:
            nt = self._later_t(w.t, 0, 12) if rnd() < 0.95 else self._later_t(w.t, 13, 22)
            if not nt:
                return self._stay(w, w.state, self._routed_pending(w))
            w.t = nt
            if r < 0.14:
                return self._declined(w)
            if r < 0.18 and w.kind == _CLAIM:
                return self._redirected(w)
        w.state = _ACCEPTED
        return True

    # -- handling: some steps, perhaps one extension, then the written opinion
    def _handle(self, w: _Walk) -> bool:
        rnd = self.rng.random
        t = w.t
        accepted_day = t // DAY + self.epoch_ord
        h_days, h_working, h_roll, _ = self.dk[K[DK.HANDLING]]
        handling_due = self.due(accepted_day, h_days, h_working, h_roll)
        ext, ext_reason = 0, ""
        steps = (0, 0, 0, 1, 1, 2)[int(rnd() * 6)]
        stalled = steps and rnd() < 1 - 0.98**steps
        if rnd() < 0.08:
            et = self._later_t(t, 1, 20)
            if not et:
                stalled = True
            elif et // DAY + self.epoch_ord <= handling_due:
                ext, ext_reason = 10 + int(rnd() * 21), EXTEND_REASONS[int(rnd() * len(EXTEND_REASONS))]
                handling_due = self.due(accepted_day, h_days + ext, h_working, h_roll)
                t = et
        if rnd() < 0.05:
            decide_day = handling_due + 1 + int(rnd() * 20)  # late
        else:
            decide_day = accepted_day + 3 + int(rnd() * (max(3, handling_due - accepted_day - 1) - 2))
        nt = 0 if stalled else self._on_day_t(t, decide_day)
        if not nt:
            w.t = t
            pending = ((K[DK.HANDLING], w.owner, accepted_day, None, ext, ext_reason),)
            if w.report_days:  # an assignment's report date stays open until the decision
                pending += ((K[DK.ASSIGNMENT_REPORT], w.owner, w.routed_day, w.report_days),)
            return self._stay(w, _ACCEPTED, pending)
        w.t, w.state = nt, _DECIDED
        self._decision(w, DecisionStage.HANDLING, nt // DAY + self.epoch_ord)
        return True

    def _close(self, w: _Walk, window_kind: str) -> bool:
        """结案: usually once the petitioner's window has passed, else when they waive it."""
        rnd = self.rng.random
        window_day = w.decided_day
        window_due = self._due_of(window_kind, window_day)
        nt = self._on_day_t(w.t, window_due + 1 + int(rnd() * 12)) if rnd() < 0.7 else self._later_t(w.t, 1, 12)
        if nt:
            w.state, w.t, w.pending = _CLOSED, nt, ()
            return False
        return self._stay(w, w.state, ((window_kind, None, window_day),))

    # -- the petitioner's turn: evaluate, ask for a review, or let the window pass
    def _appeal(self, w: _Walk, window_kind: str, evaluate: tuple[float, int, str], appeal: tuple[float, int]) -> bool:
        """Evaluated perhaps (odds, within days, the state it leaves), then closed, or appealed to the higher
        unit (odds, within days): whether the walk goes on."""
        rnd = self.rng.random
        window = ((window_kind, None, w.decided_day),)
        if rnd() < evaluate[0]:
            nt = self._later_t(w.t, 1, evaluate[1])
            if not nt:
                return self._stay(w, w.state, window)
            w.state = evaluate[2]
            self._evaluation(w, nt)
        higher = self.org.unit_parent.get(w.owner)
        if higher is None or rnd() >= appeal[0]:
            return self._close(w, window_kind)
        nt = self._later_t(w.t, 1, appeal[1])
        if not nt:
            return self._stay(w, w.state, window)
        w.t, w.owner, w.routed_by = nt, higher, None
        return True

    def _review(self, w: _Walk) -> bool:
        review = self._appeal(w, K[DK.REVIEW_REQUEST], (0.65, 12, _EVALUATED), (0.12, 15))
        return (
            review
            and self._review_answer(w)
            and self._appeal(w, K[DK.REEXAMINATION_REQUEST], (0.4, 10, _REVIEWED), (0.25, 14))
        )

    def _review_answer(self, w: _Walk) -> bool:
        rnd, t = self.rng.random, w.t
        asked_day = t // DAY + self.epoch_ord
        nt = self._later_t(t, 1, 12) if rnd() < 0.4 else t  # a handling step
        if nt:
            if rnd() < 0.05:
                day = self._due_of(K[DK.REVIEW_ANSWER], asked_day) + 1 + int(rnd() * 10)
            else:
                day = asked_day + 5 + int(rnd() * 25)
            nt = self._on_day_t(t, day)
        if not nt:
            return self._stay(w, _REVIEW_REQUESTED, ((K[DK.REVIEW_ANSWER], w.owner, asked_day),))
        w.t, w.state = nt, _REVIEWED
        self._decision(w, DecisionStage.REVIEW, nt // DAY + self.epoch_ord)
        return True

    def _reexamine(self, w: _Walk) -> None:
        rnd, t = self.rng.random, w.t
        asked_day = t // DAY + self.epoch_ord
        # (a hearing, in 3 of 10, is not kept; it may stall the case like any other step)
        nt = 0 if rnd() < 0.3 * 0.04 else self._on_day_t(t, asked_day + 8 + int(rnd() * 22))
        if not nt:
            self._stay(w, _REEXAM_REQUESTED, ((K[DK.REEXAMINATION_ANSWER], w.owner, asked_day),))
            return
        w.t, w.state, w.pending = nt, _REEXAMINED, ()
        self._decision(w, DecisionStage.REEXAMINATION, nt // DAY + self.epoch_ord)
        if rnd() < 0.3:
            nt = self._later_t(w.t, 1, 10)
            if not nt:
                return
            self._evaluation(w, nt)
        nt = self._later_t(w.t, 1, 12)
        if nt:
            w.state, w.t = _CLOSED, nt
