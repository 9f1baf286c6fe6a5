"""The default category tree: the 附件1 label system of the 2020 泰迪杯 problem C (15/103/390)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from xinfang.org.tablecache import TableCache

DEFAULT_CSV = Path(__file__).parent / "data" / "categories.csv"


def category_tree_load(model, path: Path = DEFAULT_CSV) -> int:
    """Create the three-level tree from a CSV with columns 一级分类,二级分类,三级分类 (idempotent).
    `model` is the Category model (historical in a migration). Returns the number of nodes created."""
    existing = {c.path: c for c in model.objects.all()}
    created = 0
    with path.open(encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            parent = None
            names = [row["一级分类"].strip(), row["二级分类"].strip(), row["三级分类"].strip()]
            for level, _ in enumerate(names, start=1):
                node_path = "/".join(names[:level])
                if not names[level - 1]:
                    break
                node = existing.get(node_path)
                if node is None:
                    node = model.objects.create(name=names[level - 1], parent=parent, level=level, path=node_path)
                    existing[node_path] = node
                    created += 1
                parent = node
    return created


@dataclass(frozen=True)
class CategoryRow:
    pk: int
    name: str
    path: str
    level: int
    parent_id: int | None


def _category_table() -> list[CategoryRow]:
    from xinfang.petitions.models import Category

    return [
        CategoryRow(*row)
        for row in Category.objects.order_by("path").values_list("pk", "name", "path", "level", "parent_id")
    ]


categories = TableCache(_category_table)
invalidate_cache = categories.invalidate  # connected to Category's save and delete signals


def category_rows() -> list[CategoryRow]:
    """The whole tree in path order, from memory (reloaded within a minute of an admin change)."""
    return categories.get()


def category_subtree(pk: int) -> tuple[int, ...]:
    """The ids of a category and everything under it (empty if there is no such category)."""
    rows = category_rows()
    top = next((c for c in rows if c.pk == pk), None)
    if top is None:
        return ()
    return tuple(c.pk for c in rows if c.pk == pk or c.path.startswith(top.path + "/"))
