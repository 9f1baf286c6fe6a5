"""The category model: first-level category (一级分类) of a petition from its text.

TF-IDF of the text's words and word pairs (bigrams of neighbouring words), of its 100,000 commonest
character 1–3-grams, and, at half weight, of its first OPENING_WORDS words and their character 1–2-grams
(the title comes first: the desk's and the training file's texts start with it) (xinfang.routing.text:
raw and pre-segmented texts read the same). The classifier (`SvmNbsvm`) adds the decision values of
two linear SVMs (C = SVM_C, balanced class weights): a multi-class one on the TF-IDF, and per label an
NBSVM (Wang & Manning 2012: the TF-IDF scaled by the label's naive-Bayes log-count ratio); both are
linear, so their sum is one weight matrix. Sigmoid-calibrated probabilities give the confidence
(CalibratedClassifierCV, calibrated on inner folds; one blend kept).

The second reading (`SecondReading`, settings.ROUTING_SECOND_READING): where the blend is unsure (its two
highest decision values closer than SECOND_READING_MARGIN: 6–16 % of the texts), the text's sentence
embedding (xinfang.routing.embedding: multilingual-e5-small, ~90 ms) is read by a linear SVM whose decision
values are added at SECOND_READING_WEIGHT before the calibration. The other texts cost what the blend costs.

5-fold cross-validation on datasets/tipdm2020c_msg_seg/dev.csv (StratifiedGroupKFold, seed 0,
duplicates kept in one fold; `manage.py routing_evaluate --folds 5`): macro-F1 0.9314, accuracy 0.9352
(seed 1: 0.9306, 0.9339); the blend alone 0.9281 and 0.9324, the single SVM before it 0.9212 and 0.9262.
The NBSVM and the opening's characters were chosen on the folds of seeds 1 and 2, not on seed 0's
(bench/routing_variants.py lists the variants tried and their figures; bench/routing.py the speed and size).

The trained model is one joblib file under DATA_DIR (settings.ROUTING_MODEL_PATH), written by
`manage.py routing_train` (which `make run` calls when the file is missing) and read once per process,
again when the file changes. It is a pickle: load only files this project wrote.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import sklearn
from django.conf import settings
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from xinfang.routing import embedding
from xinfang.routing.text import text_canonical

FORMAT = 4  # of the saved file; a file of another format is not read (2: word pairs, the opening; 3: NBSVM;
# 4: the second reading)
MIN_PER_LABEL = 3  # examples a label needs to be learned (fewer: left out, and said so)
CALIBRATION_FOLDS = 5
QUICK_CALIBRATION_FOLDS = 3  # the quick model `make run` trains before it serves (first reading only): ~1 minute
# the commonest character n-grams kept: all 365,000 of dev.csv score the same in cross-validation and
# make a 17 MB file that takes seconds to load
MAX_CHAR_GRAMS = 100_000
# both SVMs' regularisation: 0.3 and 0.5 scored lower for the single SVM; for the blend, 0.5 and 2 were
# within 0.001 of 1 on the folds of seeds 1 and 2 (bench/routing_variants.py)
SVM_C = 1.0
OPENING_WORDS = 12  # the words that stand for the title (dev.csv joins title and details into one text)
OPENING_WEIGHT = 0.5  # of the opening's TF-IDF blocks (words, characters) beside the whole text's
NB_SMOOTHING = 1.0  # added to each feature's count in the naive-Bayes log-count ratio
# The second reading (`SecondReading`): where the blend's two highest decision values are closer than
# SECOND_READING_MARGIN (6 % of dev.csv's texts in cross-validation, 16 % of 附件3's, which are about every kind
# of matter), a linear SVM (C = SECOND_READING_C, balanced) on the text's sentence embedding adds
# SECOND_READING_WEIGHT times its decision values. Margins 0.3–1.0 (4–12 % of dev.csv) scored within 0.0015 of
# each other on the folds of seeds 0 and 1 (bench/routing_variants.py); 1.0 re-read 31 % of 附件3 and put the
# median proposal at 5.0 ms, 0.5 at 2.7 ms (bench/routing.py).
SECOND_READING_MARGIN = 0.5
SECOND_READING_WEIGHT = 0.5
SECOND_READING_C = 4.0
logger = logging.getLogger(__name__)
Progress = Callable[[int], None]


class TrainingError(ValueError):
    """Too little to learn from; the message says what is missing, in Chinese."""


def _despaced(text: str) -> str:
    return text.replace(" ", "")


def _word_terms(words: list[str]) -> list[str]:
    """The words and each pair of neighbouring words ("拖欠 工资")."""
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def _words_and_pairs(text: str) -> list[str]:
    return _word_terms(text.split())


def _opening(text: str) -> list[str]:
    return text.split()[:OPENING_WORDS]


def _opening_chars(text: str) -> str:
    return "".join(text.split()[:OPENING_WORDS])


class SvmNbsvm(ClassifierMixin, BaseEstimator):
    """A multi-class linear SVM plus, per label, an NBSVM (a binary linear SVM on the features scaled by
    the label's naive-Bayes log-count ratio r = log((p/|p|)/(q/|q|)), p and q the smoothed counts of
    documents with the feature in the label and outside it). Decision values are summed; both being
    linear, `coef_` and `intercept_` hold the sum (weights × r for the NBSVM), as LinearSVC's would."""

    def __init__(self, C: float = 1.0, random_state: int = 0) -> None:
        self.C = C
        self.random_state = random_state

    def _svm(self) -> LinearSVC:
        return LinearSVC(C=self.C, class_weight="balanced", random_state=self.random_state)

    def fit(self, x, y) -> SvmNbsvm:
        y = np.asarray(y)
        svm = self._svm().fit(x, y)
        self.classes_ = svm.classes_
        coef, intercept = svm.coef_.copy(), svm.intercept_.copy()
        present = (x > 0).astype(np.float64)
        # two labels: LinearSVC keeps one row of weights, for the second label
        for row, label in enumerate(self.classes_[1:] if len(self.classes_) == 2 else self.classes_):
            inside = y == label
            p = NB_SMOOTHING + np.asarray(present[inside].sum(axis=0)).ravel()
            q = NB_SMOOTHING + np.asarray(present[~inside].sum(axis=0)).ravel()
            ratio = np.log((p / p.sum()) / (q / q.sum()))
            nb = self._svm().fit(x @ sparse.diags(ratio), inside)
            coef[row] += nb.coef_[0] * ratio
            intercept[row] += nb.intercept_[0]
        self.coef_, self.intercept_ = coef, intercept
        return self

    def decision_function(self, x) -> np.ndarray:
        scores = np.asarray(x @ self.coef_.T) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, x) -> np.ndarray:
        scores = self.decision_function(x)
        return self.classes_[(scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)]


@dataclass
class SecondReading:
    """A linear SVM on the sentence embedding (xinfang.routing.embedding): weights (DIMENSIONS × the
    blend's decision columns) and intercepts, read only for texts the blend is unsure of."""

    coef: np.ndarray
    intercept: np.ndarray

    @classmethod
    def fit(cls, vectors: np.ndarray, labels: Sequence[str], seed: int = 0) -> SecondReading:
        svm = LinearSVC(C=SECOND_READING_C, class_weight="balanced", random_state=seed).fit(vectors, labels)
        return cls(coef=np.ascontiguousarray(svm.coef_.T, dtype=np.float64), intercept=svm.intercept_.copy())

    def decision(self, vector: np.ndarray) -> np.ndarray:
        return vector.astype(np.float64) @ self.coef + self.intercept


def unsure(decision: np.ndarray) -> bool:
    """Whether the blend's decision values (one row) leave the label open enough for the second reading:
    the two highest closer than SECOND_READING_MARGIN (two labels: the one value that near 0)."""
    if decision.shape[0] == 1:
        return bool(abs(decision[0]) < SECOND_READING_MARGIN / 2)
    top, runner_up = np.partition(decision, -2)[-2:][::-1]
    return bool(top - runner_up < SECOND_READING_MARGIN)


def _pipeline(samples: int) -> Pipeline:
    min_df = 2 if samples >= 200 else 1  # a small training set keeps its rare words
    words = TfidfVectorizer(analyzer=_words_and_pairs, min_df=min_df, sublinear_tf=True, dtype=np.float32)
    chars = TfidfVectorizer(
        analyzer="char",
        ngram_range=(1, 3),
        preprocessor=_despaced,
        min_df=min_df,
        max_features=MAX_CHAR_GRAMS,
        sublinear_tf=True,
        dtype=np.float32,
    )
    opening = TfidfVectorizer(analyzer=_opening, min_df=min_df, sublinear_tf=True, dtype=np.float32)
    opening_chars = TfidfVectorizer(
        analyzer="char",
        ngram_range=(1, 2),
        preprocessor=_opening_chars,
        min_df=min_df,
        sublinear_tf=True,
        dtype=np.float32,
    )
    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [("words", words), ("chars", chars), ("opening", opening), ("opening_chars", opening_chars)],
                    transformer_weights={"opening": OPENING_WEIGHT, "opening_chars": OPENING_WEIGHT},
                ),
            ),
            ("classify", None),  # set in category_model_fit, once the folds of the calibration are known
        ]
    )


def _char_grams(chars: str, sizes: tuple[int, ...]) -> list[str]:
    return [chars[i : i + n] for n in sizes for i in range(len(chars) - n + 1)]


class _Scorer:
    """The fitted pipeline's arithmetic for one text at a time, without scikit-learn's per-call checks
    (which cost ~15 ms a text): each vectorizer's sublinear TF-IDF, L2-normalised, times its weight; the blend's
    decision values; each label's sigmoid calibration; probabilities normalised to sum to 1. The same figures
    as `pipeline.predict_proba` (tests/routing/test_routing.py checks it), but where the second reading, if the
    model has one, adds its decision values to an unsure text's before the calibration."""

    def __init__(self, pipeline: Pipeline, second: SecondReading | None = None) -> None:
        self.second = second
        union: FeatureUnion = pipeline.named_steps["features"]
        calibrated = pipeline.named_steps["classify"].calibrated_classifiers_[0]
        self.parts = []
        offset = 0
        weights = union.transformer_weights or {}
        for name, vectorizer in union.transformer_list:
            vocabulary = vectorizer.vocabulary_
            self.parts.append(
                (vocabulary, np.asarray(vectorizer.idf_, dtype=np.float64), offset, float(weights.get(name, 1.0)))
            )
            offset += len(vocabulary)
        self.word_names = {i: w for w, i in union.transformer_list[0][1].vocabulary_.items() if " " not in w}
        self.coef = np.ascontiguousarray(calibrated.estimator.coef_.T)  # features × decision columns
        self.intercept = calibrated.estimator.intercept_
        self.a = np.array([c.a_ for c in calibrated.calibrators])
        self.b = np.array([c.b_ for c in calibrated.calibrators])
        self.n_labels = len(pipeline.classes_)

    def features(self, canonical: str) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and TF-IDF values of the text: its words and word pairs, its character
        1–3-grams, its opening words and their character 1–2-grams."""
        words = canonical.split()
        opening = words[:OPENING_WORDS]
        terms_of_parts = (
            _word_terms(words),
            _char_grams(_despaced(canonical), (1, 2, 3)),
            opening,
            _char_grams("".join(opening), (1, 2)),
        )
        indices, values = [], []
        for terms, (vocabulary, idf, offset, weight) in zip(terms_of_parts, self.parts):
            counts = Counter(vocabulary[t] for t in terms if t in vocabulary)
            if not counts:
                continue
            idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts))) + 1.0
            value = tf * idf[idx]
            indices.append(idx + offset)
            values.append(value * (weight / np.sqrt(value @ value)))
        if not indices:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(indices), np.concatenate(values)

    def probabilities(self, canonical: str, vector: np.ndarray | None = None) -> np.ndarray:
        """`vector`: the text's embedding if known (cross-validation); else it is embedded when needed."""
        idx, values = self.features(canonical)
        decision = values @ self.coef[idx] + self.intercept
        if self.second is not None and unsure(decision):
            if vector is None:
                vector = embedding.embed([embedding.embedding_input(canonical)])[0]
            decision = decision + SECOND_READING_WEIGHT * self.second.decision(vector)
        p = 1.0 / (1.0 + np.exp(self.a * decision + self.b))
        if self.n_labels == 2:
            return np.array([1.0 - p[0], p[0]])
        total = p.sum()
        return p / total if total > 0 else np.full(self.n_labels, 1.0 / self.n_labels)

    def word_weights(self, canonical: str, label_index: int) -> list[tuple[float, str]]:
        """(weight for the label, word) of the text's words (not the pairs): TF-IDF times the blend's weight."""
        idx, values = self.features(canonical)
        words = np.array([int(i) in self.word_names for i in idx], dtype=bool)  # single words only
        idx, values = idx[words], values[words]
        if self.coef.shape[1] == 1:  # two labels: one column of weights, positive for the second
            column = self.coef[idx, 0] * (1 if label_index == 1 else -1)
        else:
            column = self.coef[idx, label_index]
        return [(float(v * c), self.word_names[int(i)]) for i, v, c in zip(idx, values, column)]


@dataclass
class CategoryModel:
    pipeline: Pipeline
    version: str
    trained_at: str
    samples: int
    source: str
    label_counts: dict[str, int]
    second: SecondReading | None = None

    def __post_init__(self) -> None:
        self._scorer = _Scorer(self.pipeline, self.second)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.pipeline.classes_)

    def probabilities(self, canonical: Sequence[str], vectors: np.ndarray | None = None) -> np.ndarray:
        """Rows of label probabilities (in `labels` order) of texts already made canonical; `vectors`, their
        embeddings where already known (else the second reading embeds the unsure ones)."""
        rows = [self._scorer.probabilities(c, None if vectors is None else vectors[i]) for i, c in enumerate(canonical)]
        return np.array(rows).reshape(len(canonical), -1)

    def predict(self, canonical: Sequence[str], vectors: np.ndarray | None = None) -> list[str]:
        labels = self.labels
        if not len(canonical):
            return []
        return [labels[i] for i in self.probabilities(canonical, vectors).argmax(axis=1)]

    def top_words(self, canonical: str, label: str, limit: int = 3) -> list[str]:
        """The words of the text that weigh most for `label` (the blend's weights times the text's TF-IDF)."""
        if label not in self.labels:
            return []
        weights = sorted(self._scorer.word_weights(canonical, self.labels.index(label)), reverse=True)
        return [word for weight, word in weights[:limit] if weight > 0]

    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "sklearn": sklearn.__version__,
            "pipeline": self.pipeline,
            "version": self.version,
            "trained_at": self.trained_at,
            "samples": self.samples,
            "source": self.source,
            "label_counts": self.label_counts,
            "second": self.second,
        }


def texts_canonical(texts: Sequence[str], progress: Progress | None = None) -> list[str]:
    out = []
    for i, text in enumerate(texts, start=1):
        out.append(text_canonical(text))
        if progress and i % 500 == 0:
            progress(500)
    if progress and len(texts) % 500:
        progress(len(texts) % 500)
    return out


def category_model_fit(
    canonical: Sequence[str],
    labels: Sequence[str],
    *,
    source: str = "",
    seed: int = 0,
    vectors: np.ndarray | None = None,
    calibration_folds: int = CALIBRATION_FOLDS,
) -> CategoryModel:
    """Train on texts already made canonical (`texts_canonical`). Labels with fewer than
    MIN_PER_LABEL examples are left out; at least two labels must remain. With `vectors` (the texts'
    embeddings, `embedding.embeddings_for`), the model has a second reading. The probabilities are
    calibrated on `calibration_folds` inner folds (fewer: quicker)."""
    counts = Counter(labels)
    kept = {label for label, n in counts.items() if n >= MIN_PER_LABEL and label}
    if len(kept) < 2:
        raise TrainingError(
            f"训练数据不足：至少需要两个类别、每类至少{MIN_PER_LABEL}条已分类的信访事项"
            f"（现有：{dict(counts) or '无'}）。"
        )
    keep = [i for i, label in enumerate(labels) if label in kept]
    rows = [(canonical[i], labels[i]) for i in keep]
    x, y = [t for t, _ in rows], [label for _, label in rows]
    pipeline = _pipeline(len(x))
    folds = min(calibration_folds, min(counts[label] for label in kept))
    blend = SvmNbsvm(C=SVM_C, random_state=seed)
    pipeline.set_params(classify=CalibratedClassifierCV(blend, cv=folds, method="sigmoid", ensemble=False))
    pipeline.fit(x, y)
    second = None if vectors is None else SecondReading.fit(np.asarray(vectors)[keep], y, seed)
    now = dt.datetime.now(dt.UTC)
    recipe = f"{folds}\t{vectors is not None}\n"  # the same texts read another way: another model
    digest = hashlib.sha256((recipe + "\n".join(f"{label}\t{t}" for t, label in rows)).encode()).hexdigest()[:8]
    return CategoryModel(
        pipeline=pipeline,
        version=f"{now:%Y%m%d%H%M}-{digest}",
        trained_at=now.isoformat(),
        samples=len(x),
        source=source,
        label_counts=dict(sorted(Counter(y).items())),
        second=second,
    )


# ---------------------------------------------------------------- the installed model


def model_path() -> Path:
    return Path(settings.ROUTING_MODEL_PATH)


def model_save(model: CategoryModel, path: Path | None = None) -> Path:
    """Write the model next to its final name and move it there: a reader sees the old file or the new."""
    path = path or model_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    joblib.dump(model.to_dict(), partial, compress=3)
    os.replace(partial, path)
    return path


def model_read(path: Path) -> CategoryModel | None:
    """The model in `path`, or None if it was written by another format or scikit-learn version (a
    pickle is not portable between versions: `routing_train --if-missing` then trains it again)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scikit-learn's InconsistentVersionWarning: checked below
            data = joblib.load(path)
    except Exception:  # noqa: BLE001 - an unreadable file is a missing model, not a broken page
        logger.warning("category model %s could not be read; run manage.py routing_train", path, exc_info=True)
        return None
    stamp = (data.get("format"), data.get("sklearn")) if isinstance(data, dict) else None
    if stamp != (FORMAT, sklearn.__version__):
        logger.warning("category model %s is of another version; run manage.py routing_train", path)
        return None
    return CategoryModel(**{k: v for k, v in data.items() if k not in ("format", "sklearn")})


_lock = threading.Lock()
_current: tuple[Path, tuple[int, int], CategoryModel | None] | None = None


def model_current() -> CategoryModel | None:
    """The installed model (None if there is none yet), read again when its file has been replaced."""
    global _current
    path = model_path()
    try:
        st = path.stat()
    except OSError:
        return None
    stamp = (st.st_ino, st.st_mtime_ns)  # model_save replaces the file: a new inode
    with _lock:
        if _current is None or _current[0] != path or _current[1] != stamp:
            _current = (path, stamp, model_read(path))
        return _current[2]


def model_forget() -> None:
    """Drop the model held in memory (tests; a process that replaced the file itself)."""
    global _current
    with _lock:
        _current = None
