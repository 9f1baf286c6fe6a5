from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from xinfang.petitions.crypto import data_keys, encrypted_rows_count, personal_data_rekey


class Command(BaseCommand):
    help = (
        "Re-encrypt all personal data with the newest key (个人信息密钥轮换): every encrypted value is "
        "decrypted with whichever key of XINFANG_DATA_KEYS opens it and written again under the first "
        "one; the lookup digests are recomputed with XINFANG_LOOKUP_KEY. In batches, one transaction "
        "each; safe to interrupt and run again. Drop an old key only after it has finished."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch", type=int, default=1000, help="rows per transaction (default 1000)")

    def handle(self, *args, **options) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch 必须大于 0 (must be positive).")
        bar = tqdm(
            total=encrypted_rows_count(), unit="行", desc="重新加密", unit_scale=True, disable=options["verbosity"] < 1
        )
        try:
            done = personal_data_rekey(batch=options["batch"], progress=bar.update)
        finally:
            bar.close()
        self.stdout.write(
            f"已用最新密钥重新加密 {done} 行（共 {len(data_keys())} 个密钥）。 "
            f"(Re-encrypted {done} rows with the newest of {len(data_keys())} keys.)"
        )
