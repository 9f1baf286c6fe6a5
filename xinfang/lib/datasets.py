"""The data sets in the repository (datasets/, gzip-compressed CSV: see datasets/README.md) and any CSV a
command is given: one way to open them, compressed or not."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import TextIO

from django.conf import settings

# The 2020 泰迪杯 C messages (datasets/README.md): what the category model trains on, the generator's texts,
# and the labeled sets of the evaluations in xinfang.lab.
LABELED_MESSAGES = "tipdm2020c_msg_seg/dev.csv.gz"  # 6,447 segmented messages with their first-level label
LABEL_TAXONOMY = "tipdm2020c_msg_seg/label_taxonomy_attachment1.csv.gz"  # 附件1: the three-level labels
RAW_SAMPLE = "tipdm2020c_msg_sample/dev.csv.gz"  # 349 raw messages with their label
ATTACHMENT3 = "tipdm2020c_attachments34/attachment3_hot_messages.csv.gz"  # 4,326 messages, hot issues
ATTACHMENT4 = "tipdm2020c_attachments34/attachment4_messages_with_replies.csv.gz"  # 2,816 with replies
WEAK_HOT_GROUPS = "tipdm2020c_attachments34/weak_hot_issue_groups_jesHrz.csv.gz"  # one team's hot issues


def dataset_path(name: str) -> Path:
    """A file of settings.DATASETS_DIR, e.g. "tipdm2020c_msg_seg/dev.csv.gz"."""
    return Path(settings.DATASETS_DIR) / name


def csv_open(path: Path | str) -> TextIO:
    """A UTF-8 CSV file (a byte-order mark skipped) for csv.reader: gzip-compressed when its name ends in .gz."""
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")
