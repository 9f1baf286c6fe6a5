"""One full history, through the transition table: routed (forwarded, assigned, perhaps returned),
accepted, handled (steps, perhaps an extension), decided, and perhaps reviewed and re-examined (with a
hearing), each step at a plausible pace after the last; Stop ends it where it would lie in the future."""

from __future__ import annotations

import datetime as dt

from xinfang.demo.generate.clock import DAY
from xinfang.demo.generate.odds import CHANNEL_KEYS, DECLINE_KEYS, EXTEND_REASONS, RETURN_REASONS, STEP_NOTES
from xinfang.demo.generate.steps import (
    DUE,
    EXT,
    EXT_REASON,
    PAUSED,
    PAUSED_SINCE,
    PERIOD,
    ROLL,
    START,
    WORKING,
    FullSteps,
    _Case,
)
from xinfang.org import calendar
from xinfang.org.models import UnitKind
from xinfang.petitions.models import DeadlineKind as DK
from xinfang.petitions.models import DecisionStage, Kind
from xinfang.petitions.models import State as S

ROUTING = (S.REGISTERED, S.FORWARDED, S.ASSIGNED)
BUREAU_KINDS = (UnitKind.BUREAU, UnitKind.GOVERNMENT)


class HistoryWalk(FullSteps):
    def _history(self, c: _Case) -> None:
        returned_by: int | None = None
        while c.state in ROUTING:
            r = self.rng.random()
            if c.state == S.REGISTERED:
                self._route(c, r, returned_by)
                continue
            back = self._return(c) if r < 0.08 and returned_by is None else None
            if back is None:
                self._receive(c, r)
            else:
                returned_by = back
        if c.state != S.ACCEPTED:
            return
        self._handle(c)
        if self._review(c):
            self._reexamine(c)

    # -- routing: the registering (or router) unit forwards, assigns, accepts, declines or redirects
    def _route(self, c: _Case, r: float, returned_by: int | None) -> None:
        org, rnd = self.org, self.rng.random
        owner = c.owner
        at = self._later(c, 0, 13) if rnd() < 0.95 else self._later(c, 14, 24)
        act = org.router[owner]
        ukind = org.unit_kind[owner]
        town, village = org.township_office.get(c.place), org.village_committee.get(c.place)
        depts = [d for d in org.departments[c.place] if d not in (owner, c.accused_unit, returned_by)]
        if c.kind == Kind.CLAIM and r < 0.05:
            self._redirect(c, act, at)
        elif r < 0.12:
            self._decline(c, act, at)
        elif returned_by is not None:
            if depts and r < 0.55:
                self._forward(c, act, at, depts)
            else:
                self._apply(c, "accept", act, at, {})
        elif ukind in BUREAU_KINDS:
            self._route_down(c, act, at, r, (town, 0.42, (30, 45, 60)), (depts, 0.93))
        elif ukind == UnitKind.TOWNSHIP_OFFICE and r < 0.50:
            self._route_down(c, act, at, r, (village, 0.38, (20, 30, 45)), (depts, 1.0))
        else:
            self._apply(c, "accept", act, at, {})

    def _route_down(self, c: _Case, act: tuple[int, str], at: int, r: float, assign: tuple, forward: tuple) -> None:
        """Assign it to the unit below (odds, report days), else forward it to a department, else accept."""
        lower, assign_odds, report_days = assign
        depts, forward_odds = forward
        if lower and lower != c.owner and r < assign_odds:
            days = report_days[int(self.rng.random() * 3)]
            c.routed_by = c.owner
            data = {"to_unit": lower, "report_days": days, "note": ""}
            self._apply(c, "assign", act, at, data, new_owner=lower, report_days=days)
        elif depts and r < forward_odds:
            self._forward(c, act, at, depts)
        else:
            self._apply(c, "accept", act, at, {})

    def _forward(self, c: _Case, act: tuple[int, str], at: int, depts: list[int]) -> None:
        to = depts[int(self.rng.random() * len(depts))]
        c.routed_by = c.owner
        self._apply(c, "forward", act, at, {"to_unit": to, "note": ""}, new_owner=to)

    def _redirect(self, c: _Case, act: tuple[int, str], at: int) -> None:
        c.redirect_channel = CHANNEL_KEYS[int(self.rng.random() * len(CHANNEL_KEYS))]
        self._apply(c, "redirect", act, at, {"channel": c.redirect_channel, "note": ""})

    def _decline(self, c: _Case, act: tuple[int, str], at: int) -> None:
        c.decline_reason = DECLINE_KEYS[int(self.rng.random() * len(DECLINE_KEYS))]
        self._apply(c, "decline", act, at, {"reason": c.decline_reason, "note": ""})

    def _return(self, c: _Case) -> int | None:
        """The receiving unit returns it as not competent, if within the objection period (5 working days):
        the unit that returned it, or None."""
        at = self._later(c, 0, 4)
        if at // DAY + self.epoch_ord > c.open[DK.OBJECTION][DUE]:
            return None
        owner = c.owner
        back, c.routed_by = c.routed_by, None
        reason = RETURN_REASONS[int(self.rng.random() * len(RETURN_REASONS))]
        self._apply(c, "return", self.org.handler[owner], at, {"reason": reason}, new_owner=back)
        return owner

    def _receive(self, c: _Case, r: float) -> None:
        """The receiving unit accepts, declines or redirects a forwarded or assigned petition."""
        at = self._later(c, 0, 12) if self.rng.random() < 0.95 else self._later(c, 13, 22)
        act = self.org.router[c.owner]
        if r < 0.14:
            self._decline(c, act, at)
        elif r < 0.18 and c.kind == Kind.CLAIM:
            self._redirect(c, act, at)
        else:
            self._apply(c, "accept", act, at, {})

    # -- handling: some steps, perhaps one extension, then the written opinion
    def _handle(self, c: _Case) -> None:
        rng, rnd = self.rng, self.rng.random
        accepted_day = c.t // DAY + self.epoch_ord
        handling = c.open[DK.HANDLING]
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
            self._step(c, 1, 15)
        if rnd() < 0.08:
            self._extend(c, handling)
        if rnd() < 0.05:
            decide_day = handling[DUE] + rng.randint(1, 20)  # late
        else:
            decide_day = accepted_day + rng.randint(3, max(3, handling[DUE] - accepted_day - 1))
        self._decide(c, "decide", DecisionStage.HANDLING, self.org.handler[c.owner], self._on_day(c, decide_day))

    def _step(self, c: _Case, lo: int, hi: int) -> None:
        at = self._later(c, lo, hi)
        note = STEP_NOTES[int(self.rng.random() * len(STEP_NOTES))]
        self._apply(c, "record_step", self.org.handler[c.owner], at, {"note": note})

    def _extend(self, c: _Case, handling: list) -> None:
        at = self._later(c, 1, 20)
        if at // DAY + self.epoch_ord > handling[DUE]:
            return
        days = self.rng.randint(10, 30)
        reason = EXTEND_REASONS[int(self.rng.random() * len(EXTEND_REASONS))]
        before = handling[DUE]
        handling[EXT], handling[EXT_REASON] = days, reason
        handling[DUE] = self.due(handling[START], handling[PERIOD] + days, handling[WORKING], handling[ROLL])
        head = self.org.head[c.owner]
        date_iso = self.clock.date_iso
        data = {"days": days, "reason": reason, "approved_by": head[0]}
        data |= {"due_before": date_iso(before), "due_after": date_iso(handling[DUE])}
        self._apply(c, "extend", head, at, data)

    # -- the petitioner's turn: evaluate, ask for a review (and a re-examination), or let the window pass
    def _appeal(self, c: _Case, window_kind: str, evaluate: tuple[float, int], appeal_odds: float) -> int | None:
        """Evaluated perhaps (odds, within days), then closed (None) or appealed to the higher unit (its id)."""
        rnd = self.rng.random
        if rnd() < evaluate[0]:
            self._evaluate(c, self._later(c, 1, evaluate[1]))
        higher = self.org.unit_parent.get(c.owner)
        if higher is None or rnd() >= appeal_odds:
            self._close(c, window_kind)
            return None
        return higher

    def _review(self, c: _Case) -> bool:
        """Closed, or reviewed; whether a re-examination may follow."""
        rng, rnd, org = self.rng, self.rng.random, self.org
        higher = self._appeal(c, DK.REVIEW_REQUEST, (0.65, 12), 0.12)
        if higher is None:
            return False
        at = self._later(c, 1, 15)
        self._apply(c, "request_review", org.handler[c.owner], at, {"to_unit": higher}, new_owner=higher)
        c.routed_by = None
        if rnd() < 0.4:
            self._step(c, 1, 12)
        answer = c.open[DK.REVIEW_ANSWER]
        day = answer[DUE] + rng.randint(1, 10) if rnd() < 0.05 else answer[START] + rng.randint(5, 29)
        self._decide(c, "review_decide", DecisionStage.REVIEW, org.handler[c.owner], self._on_day(c, day))
        return self._appeal(c, DK.REEXAMINATION_REQUEST, (0.4, 10), 0.25) is not None

    def _reexamine(self, c: _Case) -> None:
        rnd, org = self.rng.random, self.org
        higher = org.unit_parent.get(c.owner)
        at = self._later(c, 1, 14)
        self._apply(c, "request_reexamination", org.handler[c.owner], at, {"to_unit": higher}, new_owner=higher)
        answer = c.open[DK.REEXAMINATION_ANSWER]
        if rnd() < 0.3:
            self._hearing(c, answer)
        day = max(c.t // DAY + self.epoch_ord + 1, answer[START] + self.rng.randint(8, 29))
        self._decide(c, "reexamine_decide", DecisionStage.REEXAMINATION, org.handler[c.owner], self._on_day(c, day))
        if rnd() < 0.3:
            self._evaluate(c, self._later(c, 1, 10))
        self._close(c, None)

    def _hearing(self, c: _Case, answer: list) -> None:
        """A hearing (听证) pauses the re-examination's period: its days are not counted."""
        handler, date_iso = self.org.handler[c.owner], self.clock.date_iso
        start = self._later(c, 2, 10)
        self._apply(c, "hearing_start", handler, start, {"paused_on": date_iso(start // DAY + self.epoch_ord)})
        answer[PAUSED_SINCE] = start // DAY + self.epoch_ord
        end = self._later(c, 0, 5)
        end_day = end // DAY + self.epoch_ord
        if answer[WORKING]:
            since = dt.date.fromordinal(answer[PAUSED_SINCE])
            added = calendar.working_days_between(since, dt.date.fromordinal(end_day))
        else:
            added = end_day - answer[PAUSED_SINCE] + 1
        answer[PAUSED] += added
        answer[PAUSED_SINCE] = None
        total = answer[PERIOD] + answer[EXT] + answer[PAUSED]
        answer[DUE] = self.due(answer[START], total, answer[WORKING], answer[ROLL])
        data = {"resumed_on": date_iso(end_day), "days_not_counted": added, "due_after": date_iso(answer[DUE])}
        self._apply(c, "hearing_end", handler, end, data)
