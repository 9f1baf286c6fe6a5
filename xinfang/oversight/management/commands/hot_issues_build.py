import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from xinfang.oversight import hot


class Command(BaseCommand):
    help = (
        "Find the hot issues (发现热点问题) of the last --days days: petitions about one underlying "
        "problem in one county, grouped by the similarity of their texts, ranked by size, growth and "
        "spread, and stored for the hot-issue page. Run it on a schedule (e.g. daily by cron); pages "
        "never compute it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=hot.PERIOD_DAYS,
            help=f"length of the period in days (default {hot.PERIOD_DAYS})",
        )
        parser.add_argument("--until", default=None, help="last day of the period, YYYY-MM-DD (default today)")

    def handle(self, *args, **options) -> None:
        if options["days"] < 1:
            raise CommandError("--days 必须大于 0 (must be positive).")
        try:
            until = dt.date.fromisoformat(options["until"]) if options["until"] else None
        except ValueError as exc:
            raise CommandError("--until 的格式应为 YYYY-MM-DD。") from exc
        result = hot.hot_issues_build(until=until, days=options["days"])
        start, end = result.period
        self.stdout.write(
            f"{start} – {end}：{result.petitions} 件信访事项，发现 {result.groups} 个热点问题，"
            f"保存前 {result.kept} 个，删除旧记录 {result.deleted} 条，用时 {result.seconds:.1f} 秒。"
        )
        for rank, issue in enumerate(result.issues[:10], start=1):
            self.stdout.write(
                f"#{rank} {issue.size} 件 {issue.petitioners} 人 {issue.places} 地 "
                f"增长 {issue.growth:+d} 得分 {issue.score}  {issue.title[:40]}"
            )
