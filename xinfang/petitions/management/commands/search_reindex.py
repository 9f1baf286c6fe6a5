import os

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from xinfang.petitions.models import Petition
from xinfang.petitions.search import search_reindex


class Command(BaseCommand):
    help = (
        "Rebuild the full-text index of petitions (重建信访事项全文索引) from their titles and contents, "
        "in batches. Run it after upgrading jieba or changing xinfang.petitions.search.segment. "
        "While it runs, a search finds only the petitions re-indexed so far."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch", type=int, default=5000, help="petitions per transaction (default 5000)")
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="processes that segment the texts (default: one per core; 0: this one)",
        )

    def handle(self, *args, **options) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch 必须大于 0 (must be positive).")
        total = Petition.objects.count()
        bar = tqdm(total=total, unit="件", desc="索引", unit_scale=True, disable=options["verbosity"] < 1)
        try:
            done = search_reindex(batch=options["batch"], workers=max(0, options["workers"]), progress=bar.update)
        finally:
            bar.close()
        self.stdout.write(f"已为 {done} 件信访事项重建全文索引。 (Indexed {done} petitions.)")
