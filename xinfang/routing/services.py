"""Writes of the routing proposals: what staff did with a proposal, and (re)training the category model."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from xinfang.org.models import Region, Unit, UnitKind, User
from xinfang.petitions.categories import CategoryRow, category_rows
from xinfang.petitions.models import Category, Event, Petition
from xinfang.routing.classifier import (
    CALIBRATION_FOLDS,
    QUICK_CALIBRATION_FOLDS,
    CategoryModel,
    Progress,
    category_model_fit,
    model_current,
    model_save,
    texts_canonical,
)
from xinfang.routing.embedding import training_embeddings
from xinfang.routing.evaluation import cross_validate
from xinfang.routing.models import (
    CategoryModelRecord,
    ProposalKind,
    ProposalOutcome,
    Reading,
    RoutingRule,
    RuleSource,
    RuleTarget,
    UnitOutcome,
)
from xinfang.routing.selectors import Proposal, first_level_name
from xinfang.routing.training_data import labeled_csv_read
from xinfang.routing.units import place_township_id, unit_propose


def category_outcome_record(
    *,
    petition: Petition,
    proposals: Sequence[Proposal],
    chosen: Category | None,
    actor: User | None = None,
    at: dt.datetime | None = None,
) -> ProposalOutcome | None:
    """Keep the category proposal shown for a petition being registered and the category staff chose
    (its first-level name; empty if none). Call it in the registration's transaction. Nothing is kept
    when nothing was proposed (no model yet, too little text)."""
    if not proposals:
        return None
    first = proposals[0]
    chosen_label = first_level_name(chosen.path) if chosen is not None else ""
    return ProposalOutcome.objects.create(
        petition=petition,
        kind=ProposalKind.CATEGORY,
        proposed=first.label,
        confidence=round(first.confidence, 4),
        alternatives=[[p.label, round(p.confidence, 4)] for p in proposals[1:]],
        chosen=chosen_label,
        accepted=chosen_label == first.label,
        model_version=first.model_version,
        recorded_at=at or timezone.now(),
        recorded_by=actor,
    )


def category_model_train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    source: str,
    path: Path | None = None,
    progress: Progress | None = None,
    embedding_progress: Progress | None = None,
    quick: bool = False,
    record: bool = True,
) -> CategoryModel:
    """Train the category model on labeled texts (raw or segmented), install it and record it
    (CategoryModelRecord): the desk's proposals use it from the next request on, in every process. With
    settings.ROUTING_SECOND_READING, the texts are embedded first (from the cache where they were
    before; `embedding_progress` counts); `quick` leaves the second reading out and calibrates on
    fewer folds (what `make run` trains before it serves, about a minute). `record=False`: a model for
    a test or a benchmark, not installed for the county (no record)."""
    started = time.perf_counter()
    canonical = texts_canonical(texts, progress)
    vectors = None if quick else training_embeddings(canonical, embedding_progress)
    folds = QUICK_CALIBRATION_FOLDS if quick else CALIBRATION_FOLDS
    model = category_model_fit(canonical, labels, source=source, vectors=vectors, calibration_folds=folds)
    model_save(model, path)
    if not record:
        return model
    CategoryModelRecord.objects.update_or_create(  # the same data the same way in one minute: one version
        version=model.version,
        defaults={
            "reading": Reading.FULL if model.second is not None else Reading.QUICK,
            "trained_at": dt.datetime.fromisoformat(model.trained_at),
            "samples": model.samples,
            "source": model.source[:200],
            "seconds": round(time.perf_counter() - started, 1),
        },
    )
    return model


def category_model_improve(say: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The background job behind the quick model: unless the installed model already has its second
    reading (or settings.ROUTING_SECOND_READING is off), train the full model on the labeled messages
    (settings.ROUTING_TRAINING_CSV) and install it; then, while the installed full model trained on that
    file has no figures yet (also after a run stopped half-way), cross-validate its configuration (5
    folds, as `routing_evaluate --folds 5`) and record them."""
    current = model_current()
    path = Path(settings.ROUTING_TRAINING_CSV)
    idle = {"trained": False, "model": current.version if current else None}
    if not settings.ROUTING_SECOND_READING:
        return idle
    if not path.exists():
        return idle | {"missing": str(path)}
    full = current is not None and current.second is not None
    if full and not CategoryModelRecord.objects.filter(version=current.version, cv_at__isnull=True).exists():
        return idle  # the daily run's usual answer, without reading the file
    data = labeled_csv_read(path, ["text_seg"], "label")
    source = f"{path.name}: {len(data.texts)}"
    trained = not full
    if trained:
        current = category_model_train(data.texts, data.labels, source=source)
    record = CategoryModelRecord.objects.filter(version=current.version, source=source, cv_at__isnull=True)
    if not record.exists():
        return idle if not trained else {"trained": True, "model": current.version}
    figures = cross_validate(data, folds=5, say=say)
    record.update(
        cv_folds=figures["folds"],
        cv_accuracy=figures["accuracy"],
        cv_macro_f1=figures["macro_f1"],
        cv_at=timezone.now(),
    )
    return {
        "trained": trained,
        "model": current.version,
        "accuracy": figures["accuracy"],
        "macro_f1": figures["macro_f1"],
    }


# ---------------------------------------------------------------- unit proposals: outcomes and learning

ROUTING_ACTIONS = ("forward", "assign")
LEARN_MIN_CORRECTIONS = 3
LEARN_CATEGORY_LEVEL = 2  # corrections are grouped by the category's second-level ancestor


def on_workflow_events_written(sender: type, *, petition: Petition, events: Sequence[Event], **_: Any) -> None:
    """The receiver of xinfang.petitions.eventlog.workflow_events_written (connected in apps.py): keep
    the unit proposal of every forward and assignment, in the action's transaction. Registration and
    every other action cost nothing (no query)."""
    for event in events:
        if event.action in ROUTING_ACTIONS and event.data.get("to_unit"):
            unit_outcome_record(petition=petition, event=event)


def category_row(pk: int | None) -> CategoryRow | None:
    """The category tree's row (from memory: no query)."""
    return next((c for c in category_rows() if c.pk == pk), None) if pk is not None else None


def chosen_target(unit: Unit, region: Region | None) -> str:
    """How the chosen unit stands to the petition's place: its township office, its village
    committee, or just a unit (what a learned rule would say)."""
    if unit.kind == UnitKind.TOWNSHIP_OFFICE and unit.region_id == place_township_id(region):
        return RuleTarget.TOWNSHIP_OFFICE
    if unit.kind == UnitKind.VILLAGE_COMMITTEE and region is not None and unit.region_id == region.pk:
        return RuleTarget.VILLAGE_COMMITTEE
    return RuleTarget.UNIT


def unit_outcome_record(*, petition: Petition, event: Event) -> UnitOutcome:
    """Keep what the routing table proposed when `event` (a forward or assignment, just written)
    routed the petition, and the unit staff chose; count it on the rule that proposed it. The proposal
    is the one the petition page showed: the same tables, the unit that had the petition excluded."""
    region = Region.objects.filter(pk=petition.region_id).first() if petition.region_id else None
    category = category_row(petition.category_id)
    # forward and assign set routed_by_unit to the unit that had the petition before
    proposals = [
        p
        for p in unit_propose(
            category,
            region,
            kind=petition.kind,
            accused_unit_id=petition.accused_unit_id,
            owner_unit_id=petition.routed_by_unit_id,
        )
        if not p.excluded
    ]
    chosen = Unit.objects.get(pk=event.data["to_unit"])
    first = proposals[0] if proposals else None
    accepted = first is not None and first.unit.pk == chosen.pk
    if first is not None and first.rule_pk is not None:
        RoutingRule.objects.filter(pk=first.rule_pk).update(
            proposed_count=F("proposed_count") + 1, accepted_count=F("accepted_count") + int(accepted)
        )
    return UnitOutcome.objects.create(
        petition=petition,
        action=event.action,
        category_id=petition.category_id,
        region=region,
        region_level=region.level if region else None,
        proposed_unit=first.unit if first else None,
        rule_id=first.rule_pk if first else None,
        confidence=first.confidence if first else 0,
        alternatives=[p.unit.pk for p in proposals[1:]],
        chosen_unit=chosen,
        chosen_target=chosen_target(chosen, region),
        accepted=accepted,
        recorded_at=event.at,
        recorded_by_id=event.actor_id,
    )


def _ancestor_at(category: CategoryRow | None, level: int, by_path: dict[str, CategoryRow]) -> CategoryRow | None:
    if category is None or category.level <= level:
        return category
    return by_path.get("/".join(category.path.split("/")[:level]))


def routing_rules_learn(
    *, min_corrections: int = LEARN_MIN_CORRECTIONS, category_level: int = LEARN_CATEGORY_LEVEL
) -> list[RoutingRule]:
    """Turn repeated corrections into suggested rules: when staff routed petitions of one category (its
    ancestor at `category_level`) about places of one level to the same unit (or to the township office
    or village committee of each place) against the proposal, `min_corrections` times or more (distinct
    petitions), a rule saying so is suggested, inactive until an administrator ticks it. A suggestion
    already made is updated with its count; a rule that already says it (active or not) is left alone.
    Returns the rules suggested or updated."""
    by_path = {c.path: c for c in category_rows()}
    by_pk = {c.pk: c for c in by_path.values()}
    groups: dict[tuple[int | None, int | None, str, int | None], set[int]] = {}
    rows = (
        UnitOutcome.objects.filter(accepted=False)
        .order_by("pk")
        .values_list("petition_id", "category_id", "region_level", "chosen_target", "chosen_unit_id")
    )
    for petition_id, category_id, region_level, target, unit_id in rows.iterator(chunk_size=2000):
        category = _ancestor_at(by_pk.get(category_id), category_level, by_path)
        key = (category.pk if category else None, region_level, target, unit_id if target == RuleTarget.UNIT else None)
        groups.setdefault(key, set()).add(petition_id)
    existing = {
        (r.category_id, r.region_level, r.target, r.unit_id): r for r in RoutingRule.objects.filter(region__isnull=True)
    }
    learned = []
    for (category_id, region_level, target, unit_id), petitions in sorted(groups.items(), key=lambda g: -len(g[1])):
        if len(petitions) < min_corrections:
            continue
        key = (category_id, region_level, target, unit_id)
        rule = existing.get(key)
        if rule is not None and (rule.source != RuleSource.LEARNED or rule.is_active):
            continue
        if rule is None:
            rule = RoutingRule(
                category_id=category_id,
                region_level=region_level,
                target=target,
                unit_id=unit_id,
                is_active=False,
                source=RuleSource.LEARNED,
            )
        rule.corrections = len(petitions)
        rule.note = f"由{len(petitions)}件人工更正学得，启用前请核对"
        rule.save()
        learned.append(rule)
    return learned
