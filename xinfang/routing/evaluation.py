"""How well the category model labels a labeled file: accuracy, macro-F1 and per-label precision,
recall, F1 and support, of the installed model or by stratified k-fold cross-validation.

Texts may be raw or segmented with spaces (xinfang.routing.text reads both alike). In
cross-validation, identical texts (after that reading) stay in one fold, so that a duplicate post
never tests the model on its own training text. A label the model does not know counts as an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedGroupKFold

from xinfang.routing.classifier import CategoryModel, category_model_fit, texts_canonical
from xinfang.routing.embedding import training_embeddings
from xinfang.routing.training_data import LabeledTexts

Say = Callable[[str], None]


def report(truth: Sequence[str], predicted: Sequence[str]) -> dict:
    """accuracy, macro_f1 (over every label true or predicted) and per-label figures."""
    labels = sorted(set(truth) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=labels, zero_division=0)
    return {
        "samples": len(truth),
        "accuracy": round(float(accuracy_score(truth, predicted)), 4) if truth else 0.0,
        "macro_f1": round(float(np.mean(f1)), 4) if labels else 0.0,
        "per_label": {
            label: {
                "precision": round(float(p), 4),
                "recall": round(float(r), 4),
                "f1": round(float(f), 4),
                "support": int(s),
            }
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
    }


def _counter(what: str, total: int, every: int, say: Say | None) -> Callable[[int], None]:
    """A progress callback that says "what done/total" every `every` items and at the end."""
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        before, done = done, done + n
        if say and (done // every > before // every or done == total):
            say(f"{what} {done}/{total}")

    return progress


def _read(texts: Sequence[str], say: Say | None) -> list[str]:
    """The canonical texts, saying how far the reading has got every 1,000 texts."""
    return texts_canonical(texts, _counter("分词", len(texts), 1000, say))


def model_evaluate(model: CategoryModel, data: LabeledTexts, say: Say | None = None) -> dict:
    canonical = _read(data.texts, say)
    predicted = model.predict(canonical) if canonical else []
    if say:
        known = set(model.labels)
        unknown = sorted({label for label in data.labels if label not in known})
        if unknown:
            say(f"模型不认识的类别（计为错误）：{'、'.join(unknown)}")
    return report(data.labels, predicted)


def fold_models(
    canonical: Sequence[str], labels: Sequence[str], folds: int = 5, seed: int = 0, vectors: np.ndarray | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray, CategoryModel]]:
    """(train rows, test rows, model trained on the train rows) of each fold of a stratified k-fold
    split in which identical texts share a fold (StratifiedGroupKFold); with `vectors` (the texts'
    embeddings), the models have their second reading."""
    x, y = np.array(canonical, dtype=object), np.array(labels, dtype=object)
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(x, y, text_groups(canonical)):
        yield (
            train,
            test,
            category_model_fit(
                list(x[train]), list(y[train]), seed=seed, vectors=None if vectors is None else vectors[train]
            ),
        )


def _embedded(canonical: Sequence[str], say: Say | None) -> np.ndarray | None:
    """The texts' embeddings if the second reading is on (cached; new ones take ~0.1 s each), saying how far
    it has got."""
    return training_embeddings(canonical, _counter("句向量", len(canonical), 500, say))


def cross_validate(data: LabeledTexts, folds: int = 5, seed: int = 0, say: Say | None = None) -> dict:
    """Stratified k-fold cross-validation of the category model on `data` (see `fold_models`), with the
    second reading when settings.ROUTING_SECOND_READING is on (as routing_train trains it)."""
    canonical = _read(data.texts, say)
    vectors = _embedded(canonical, say)
    labels = np.array(data.labels, dtype=object)
    predicted = np.empty(len(labels), dtype=object)
    for k, (train, test, model) in enumerate(fold_models(canonical, data.labels, folds, seed, vectors), start=1):
        predicted[test] = model.predict([canonical[i] for i in test], None if vectors is None else vectors[test])
        if say:
            part = report(list(labels[test]), list(predicted[test]))
            say(
                f"第{k}/{folds}折：训练{len(train)}条，测试{len(test)}条，准确率 {part['accuracy']:.4f}，"
                f"宏F1 {part['macro_f1']:.4f}"
            )
    result = report(list(labels), list(predicted))
    groups = text_groups(canonical)
    result["folds"] = folds
    result["duplicate_texts_grouped"] = len(groups) - len(set(groups))
    return result


def text_groups(canonical: Sequence[str]) -> list[int]:
    """One group number per distinct text."""
    seen: dict[str, int] = {}
    return [seen.setdefault(t, len(seen)) for t in canonical]
