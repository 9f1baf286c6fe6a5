"""Local times as integer seconds (fast to draw and compare), and their UTC forms for storage and hashing."""

from __future__ import annotations

import datetime as dt
import zoneinfo

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
