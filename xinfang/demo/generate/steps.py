"""The pieces of services._apply for the full generator: one transition of the table (workflow.TABLE)
on a case held in memory, with the deadlines it closes and opens, its event, and the time of its next step."""

from __future__ import annotations

from xinfang.demo.generate.base import GeneratorBase, Stop
from xinfang.demo.generate.clock import DAY, WORK_END, WORK_START
from xinfang.demo.generate.odds import EVAL_REASONS, MEASURE_FOR, OUTCOMES, SATISFACTIONS, _pick
from xinfang.petitions.deadlines import REPORT_ARTICLE, UNIT_DEADLINES
from xinfang.petitions.models import DeadlineKind as DK
from xinfang.petitions.models import Measure
from xinfang.petitions.workflow import EVALUATE_TARGET, TABLE

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


class FullSteps(GeneratorBase):
    def _emit(self, c: _Case, action: str, actor: tuple[int, str], at: int, frm: str, data: dict) -> None:
        c.seq += 1
        row = self.event_row(c.pid, c.seq, c.prev, action, actor, at, frm, c.state, data)
        self.out_e.append(row)
        c.prev = row[-1]
        c.t = at

    def _deadline(self, c: _Case, kind: str, start: int, unit: int | None, days: int | None = None) -> list:
        """A deadline opened on day `start` (deadlines.deadline_new: the period's, or `days` of a report)."""
        if days is None:
            p = self.periods[kind]
            days, working, roll, article = p.days, p.working_days, p.roll_over, p.article
        else:
            working, roll, article = False, False, REPORT_ARTICLE
        due = self.due(start, days, working, roll)
        d = [kind, unit, start, days, working, roll, article, 0, "", 0, None, due, True, None]
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
            unit = c.owner if k in UNIT_DEADLINES else None
            c.open[k] = self._deadline(c, k, today, unit, report_days if k == DK.ASSIGNMENT_REPORT else None)
        if tr.opens:  # as services._apply: the due dates it opened (replay.py checks the rows)
            data["opened"] = {k: self.clock.date_iso(c.open[k][DUE]) for k in tr.opens}
        target = EVALUATE_TARGET.get(c.state) if action == "evaluate" else tr.target
        if target:
            c.state = target
        self._emit(c, action, actor, at, frm, data)

    def _later(self, c: _Case, lo: int, hi: int) -> int:
        """A working-hours time lo..hi days after the last event (0: later the same day). Stop if that is
        in the future, or (rarely) if the case stalls there: some petitions are left lying about."""
        r = self.rng.random
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
        reply = replies[int(self.rng.random() * len(replies))]
        day = self.clock.date_iso(at // DAY + self.epoch_ord)
        self.out_dec.append((c.pid, stage, c.owner, outcome, measure, reply, day, actor[0]))
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
