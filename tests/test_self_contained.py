"""The repository stands alone (issue 20, point 1): nothing it holds reads or links outside it, and the
data sets it uses are inside it, each folder with a README giving its source and terms."""

import csv
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from xinfang.lib import datasets

ROOT = Path(__file__).resolve().parent.parent


def tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / name for name in out.splitlines()]


def test_no_file_reads_or_links_beside_the_repository():
    outside = []
    for path in tracked_files():
        if path.suffix in {".gz", ".mo", ".png", ".jpg", ".ico", ".woff2", ".ttf", ".joblib"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        if "../" + "shared" in text or "XINFANG_" + "SHARED_DATA" in text:
            outside.append(path.relative_to(ROOT))
    assert outside == []


@pytest.mark.parametrize(
    "name, rows",
    [
        (datasets.LABELED_MESSAGES, 6447),
        (datasets.LABEL_TAXONOMY, 517),
        (datasets.RAW_SAMPLE, 349),
        (datasets.ATTACHMENT3, 4326),
        (datasets.ATTACHMENT4, 2816),
        (datasets.WEAK_HOT_GROUPS, 162),
    ],
)
def test_every_data_set_is_in_the_repository_with_its_source(name, rows):
    path = datasets.dataset_path(name)
    assert path.is_relative_to(ROOT) and path.exists()
    with datasets.csv_open(path) as f:
        assert sum(1 for _ in csv.DictReader(f)) == rows
    readme = (path.parent / "README.md").read_text(encoding="utf-8")
    assert "Source" in readme and "Licence" in readme


def test_the_category_model_trains_on_the_repositorys_messages():
    assert Path(settings.ROUTING_TRAINING_CSV) == datasets.dataset_path(datasets.LABELED_MESSAGES)


def test_the_glossary_and_rules_the_code_cites_are_in_docs():
    for name in ("glossary.md", "rules.md", "mechanisms.md"):
        assert (ROOT / "docs" / name).stat().st_size > 1000
