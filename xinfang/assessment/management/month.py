"""What the month commands share: the --month option (YYYY-MM)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from xinfang.lib.months import month_parse


class MonthCommand(BaseCommand):
    default_help = "the current month"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--month", help=f"YYYY-MM (default: {self.default_help})")

    def month(self, options: dict, default: dt.date) -> dt.date:
        if not options["month"]:
            return default
        try:
            return month_parse(options["month"])
        except ValueError as e:
            raise CommandError("--month 应为 YYYY-MM 格式 (expected YYYY-MM)") from e
