"""Labeled texts for the category model: a UTF-8 CSV with a header read into texts and labels
(`routing_train` trains on it; xinfang.lab measures the model on it)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from xinfang.lib.datasets import csv_open


@dataclass
class LabeledTexts:
    texts: list[str]
    labels: list[str]
    skipped: int  # rows without a text or a label


class CsvColumnError(ValueError):
    pass


def labeled_csv_read(path: Path, text_cols: Sequence[str], label_col: str, strip_spaces: bool = False) -> LabeledTexts:
    """The rows of a UTF-8 CSV with a header (gzip-compressed when it ends in .gz): texts (several columns joined by a line break, e.g. a
    title and the details) and labels. `strip_spaces` removes every space of the texts first."""
    texts, labels, skipped = [], [], 0
    with csv_open(path) as f:
        reader = csv.DictReader(f)
        missing = [c for c in [*text_cols, label_col] if c not in (reader.fieldnames or [])]
        if missing:
            raise CsvColumnError(
                f"文件中没有这些列：{'、'.join(missing)}（现有：{'、'.join(reader.fieldnames or [])}）。"
            )
        for row in reader:
            text = "\n".join((row[c] or "").strip() for c in text_cols).strip()
            label = (row[label_col] or "").strip()
            if not text or not label:
                skipped += 1
                continue
            texts.append("".join(text.split()) if strip_spaces else text)
            labels.append(label)
    return LabeledTexts(texts, labels, skipped)
