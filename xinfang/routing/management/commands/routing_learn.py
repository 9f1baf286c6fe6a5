import json

from django.core.management.base import BaseCommand
from django.db.models import Count, Q

from xinfang.routing.models import UnitOutcome
from xinfang.routing.services import LEARN_CATEGORY_LEVEL, LEARN_MIN_CORRECTIONS, routing_rules_learn


class Command(BaseCommand):
    help = (
        "Learn the routing table (派单目录) from staff choices: where staff repeatedly routed petitions of one "
        "category and level of place to another unit than the proposed one, suggest a rule (inactive until an "
        "administrator ticks it in the admin). Prints, as its last line, a JSON summary."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--min-corrections",
            type=int,
            default=LEARN_MIN_CORRECTIONS,
            help=f"distinct petitions corrected alike before a rule is suggested (default {LEARN_MIN_CORRECTIONS})",
        )
        parser.add_argument(
            "--category-level",
            type=int,
            default=LEARN_CATEGORY_LEVEL,
            choices=[1, 2, 3],
            help=f"group corrections by the category's ancestor of this level (default {LEARN_CATEGORY_LEVEL})",
        )

    def handle(self, *args, **options) -> None:
        rules = routing_rules_learn(
            min_corrections=options["min_corrections"], category_level=options["category_level"]
        )
        for rule in rules:
            self.stdout.write(
                f"建议规则 第{rule.pk}条：{rule.category.path if rule.category else '全部分类'}"
                f" → {rule.unit.name if rule.unit else rule.get_target_display()}（{rule.corrections}件更正）"
            )
        counts = UnitOutcome.objects.aggregate(
            total=Count("pk"),
            accepted=Count("pk", filter=Q(accepted=True)),
            proposed=Count("pk", filter=Q(proposed_unit__isnull=False)),
        )
        rate = counts["accepted"] / counts["proposed"] if counts["proposed"] else None
        self.stdout.write(
            json.dumps(
                {
                    "outcomes": counts["total"],
                    "with_proposal": counts["proposed"],
                    "accepted": counts["accepted"],
                    "acceptance_rate": rate,
                    "rules_suggested": [r.pk for r in rules],
                },
                ensure_ascii=False,
            )
        )
