"""Reads of the routing proposals: the category proposed for a text, and what the models learn from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from xinfang.petitions.categories import CategoryRow, category_rows
from xinfang.routing.classifier import model_current
from xinfang.routing.models import ProposalKind, ProposalOutcome
from xinfang.routing.text import text_canonical

LIMIT = 3  # proposals shown: the first and two alternatives
MIN_CONFIDENCE = 0.05  # an alternative less likely than this is not shown
MIN_CHARS = 4  # of text before anything is proposed


@dataclass(frozen=True)
class Proposal:
    label: str  # a first-level category name (一级分类)
    confidence: float  # the model's calibrated probability, 0–1
    category: CategoryRow | None  # the first-level node of the category tree with that name, if there is one
    words: tuple[str, ...] = ()  # the words of the text that weigh most for it (the first proposal only)
    model_version: str = ""

    @property
    def percent(self) -> int:
        return round(self.confidence * 100)


def petition_text(title: str, content: str) -> str:
    return f"{title.strip()}\n{content.strip()}".strip()


def first_level_categories() -> dict[str, CategoryRow]:
    """Name → first-level node of the category tree (from memory: no query)."""
    return {c.name: c for c in category_rows() if c.level == 1}


def category_propose(text: str, limit: int = LIMIT) -> list[Proposal]:
    """The likeliest first-level categories of `text` (raw or segmented), most likely first, each with
    its confidence and the node of the project's category tree; the first with the words that speak
    for it. Empty without an installed model (`manage.py routing_train`) or with too little text."""
    model = model_current()
    if model is None or len("".join(text.split())) < MIN_CHARS:
        return []
    canonical = text_canonical(text)
    if not canonical:
        return []
    probabilities = model.probabilities([canonical])[0]
    order = probabilities.argsort()[::-1][:limit]
    tree = first_level_categories()
    proposals = []
    for rank, i in enumerate(order):
        label, confidence = model.labels[i], float(probabilities[i])
        if rank and confidence < MIN_CONFIDENCE:
            break
        words = tuple(model.top_words(canonical, label)) if rank == 0 else ()
        proposals.append(Proposal(label, confidence, tree.get(label), words, model.version))
    return proposals


def first_level_name(path: str) -> str:
    """The first-level category of a category path ("城乡建设/物业管理/…" → "城乡建设")."""
    return path.split("/", 1)[0]


def category_training_rows() -> Iterator[tuple[str, str]]:
    """(text, first-level category) of every petition whose category staff confirmed or corrected at
    registration: the petitions with a category outcome, labeled by their category now (a later
    correction counts), mapped to its first-level ancestor."""
    petitions = (
        ProposalOutcome.objects.filter(kind=ProposalKind.CATEGORY, petition__category__isnull=False)
        .order_by("pk")
        .values_list("petition__title", "petition__content", "petition__category__path")
    )
    for title, content, path in petitions.iterator(chunk_size=2000):
        yield petition_text(title, content), first_level_name(path)
