"""Put the open petitions that the active automatic rules match on the supervision list (idempotent)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from xinfang.oversight.autorules import rules_apply


class Command(BaseCommand):
    help = (
        "Apply the automatic supervision rules (自动督办规则) once: each open petition a rule matches is put "
        "under supervision, once per rule; run it every few minutes or hourly (safe to run twice)."
    )

    def handle(self, *args, **options) -> None:
        done = rules_apply()
        for name, count in done.items():
            self.stdout.write(f"{name}: {count}")
        self.stdout.write(json.dumps({"opened": sum(done.values())}, ensure_ascii=False))
