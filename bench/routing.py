"""Figures of the category model (xinfang.routing) on the 2020 泰迪杯 messages in datasets/.

1. 5-fold stratified cross-validation on datasets/tipdm2020c_msg_seg/dev.csv.gz (identical texts in
   one fold), the model exactly as `routing_train` builds it: accuracy, macro-F1 and per-label figures
   for the segmented texts, for the same texts with every space removed, and for the raw originals
   (title + details) of the 349 messages of datasets/tipdm2020c_msg_sample, each predicted by the
   fold model that did not see its segmented twin.
2. Training on the whole file: seconds, and the size of the joblib file.
3. Latency of one proposal as the desk asks for it (read the text, probabilities, the words that speak
   for the first label): median, p90 and p95 in ms over raw texts the model has not seen (the first 349
   messages of 附件3), one at a time, and how many of them the second reading embedded (each ~90 ms).

With settings.ROUTING_SECOND_READING (the default), the texts are embedded first (xinfang.routing.embedding;
about 10 minutes on two cores the first time, then read from the cache file).

    python bench/routing.py                 # everything (CV takes a few minutes on two cores)
    ROUTING_BENCH_FOLDS=0 python bench/routing.py   # training and latency only

Progress goes to stderr; the last line of stdout is one JSON object.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))
FOLDS = int(os.environ.get("ROUTING_BENCH_FOLDS", "5"))
RUNS = int(os.environ.get("ROUTING_BENCH_RUNS", "349"))


def say(*parts) -> None:
    print("[routing bench]", *parts, file=sys.stderr, flush=True)


def _timed_ms(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    import django

    django.setup()
    import numpy as np
    from django.conf import settings

    from xinfang.routing import embedding
    from xinfang.routing.classifier import category_model_fit, model_read, model_save, texts_canonical
    from xinfang.routing.evaluation import fold_models, report, text_groups
    from xinfang.routing.text import text_canonical
    from xinfang.routing.training_data import labeled_csv_read

    seg = labeled_csv_read(settings.ROUTING_TRAINING_CSV, ["text_seg"], "label")
    import csv

    from xinfang.lib.datasets import ATTACHMENT3, RAW_SAMPLE, csv_open, dataset_path

    with csv_open(dataset_path(RAW_SAMPLE)) as f:
        sample = [r for r in csv.DictReader(f) if r["seg_row_id"]]
    with csv_open(settings.ROUTING_TRAINING_CSV) as f:
        row_ids = [r["row_id"] for r in csv.DictReader(f) if r["text_seg"].strip() and r["label"].strip()]
    twin = {row_ids.index(r["seg_row_id"]): f"{r['留言主题']}\n{r['留言详情']}" for r in sample}
    say(f"{len(seg.texts)} labeled messages, {len(twin)} raw twins; reading them")
    t = time.perf_counter()
    canonical = texts_canonical(seg.texts)
    read_s = time.perf_counter() - t
    despaced = texts_canonical(["".join(x.split()) for x in seg.texts])
    raw_canonical = {i: text_canonical(text) for i, text in twin.items()}
    figures: dict = {
        "messages": len(seg.texts),
        "read_seconds": round(read_s, 1),
        "despaced_reads_identical": sum(a == b for a, b in zip(canonical, despaced)),
        "duplicate_texts_grouped": len(canonical) - len(set(text_groups(canonical))),
    }

    vectors = raw_vectors = None
    if settings.ROUTING_SECOND_READING:  # the second reading's embeddings (cached after the first run)
        say("sentence embeddings (about 10 minutes the first time)")
        t = time.perf_counter()
        vectors = embedding.embeddings_for(canonical)
        raw_vectors = dict(zip(raw_canonical, embedding.embeddings_for(list(raw_canonical.values()))))
        figures["embed_seconds"] = round(time.perf_counter() - t, 1)

    def rows(matrix, picked):
        return None if matrix is None else np.array([matrix[i] for i in picked])

    if FOLDS:
        labels = np.array(seg.labels, dtype=object)
        pred, pred_despaced, pred_raw = (np.empty(len(labels), dtype=object) for _ in range(3))
        for k, (_train, test, model) in enumerate(fold_models(canonical, seg.labels, FOLDS, vectors=vectors), start=1):
            pred[test] = model.predict([canonical[i] for i in test], rows(vectors, test))
            # the spaces removed read as the same words (despaced_reads_identical), so embed the same
            pred_despaced[test] = model.predict([despaced[i] for i in test], rows(vectors, test))
            raws = [i for i in test if i in raw_canonical]
            pred_raw[raws] = model.predict([raw_canonical[i] for i in raws], rows(raw_vectors, raws))
            say(f"fold {k}/{FOLDS}: accuracy {report(list(labels[test]), list(pred[test]))['accuracy']}")
        raws = sorted(raw_canonical)
        figures["cv"] = {
            "folds": FOLDS,
            "segmented": report(list(labels), list(pred)),
            "spaces_removed": report(list(labels), list(pred_despaced)),
            "raw_sample_349": report([labels[i] for i in raws], [pred_raw[i] for i in raws]),
            "segmented_twins_of_the_raw_sample": report([labels[i] for i in raws], [pred[i] for i in raws]),
        }

    say("training on everything")
    t = time.perf_counter()
    model = category_model_fit(texts_canonical(seg.texts), seg.labels, source="bench", vectors=vectors)
    figures["train_seconds"] = round(time.perf_counter() - t, 1)
    with tempfile.TemporaryDirectory() as folder:
        path = model_save(model, Path(folder) / "category.joblib")
        figures["model_bytes"] = path.stat().st_size
        t = time.perf_counter()
        model = model_read(path)
        figures["load_seconds"] = round(time.perf_counter() - t, 2)

    # texts the model has not seen: the first messages of 附件3 (every kind of matter, raw), where there; the
    # raw sample's texts were learned through their segmented twins, so the model is sure of nearly all
    unseen = dataset_path(ATTACHMENT3)
    if unseen.exists():
        with csv_open(unseen) as f:
            texts = [f"{r['留言主题']}\n{r['留言详情']}" for r in csv.DictReader(f)][:RUNS]
        figures["proposal_texts"] = "attachment3_hot_messages.csv"
    else:
        texts = list(twin.values())[:RUNS]
        figures["proposal_texts"] = "tipdm2020c_msg_sample (seen in training)"

    def propose(text: str) -> None:
        c = text_canonical(text)
        p = model.probabilities([c])[0]
        model.top_words(c, model.labels[int(p.argmax())])

    for text in texts[:10]:
        propose(text)  # warm: jieba's dictionary, numpy, the embedding model
    embedded = 0
    embed = embedding.embed

    def counted(strings):
        nonlocal embedded
        embedded += 1
        return embed(strings)

    embedding.embed = counted
    times = sorted(_timed_ms(lambda: propose(text)) for text in texts)
    embedding.embed = embed
    figures["proposal_ms"] = {
        "median": round(statistics.median(times), 2),
        "p90": round(times[max(0, int(len(times) * 0.90) - 1)], 2),
        "p95": round(times[max(0, int(len(times) * 0.95) - 1)], 2),
        "runs": len(times),
        "second_readings": embedded,
        "median_chars": int(statistics.median(len(x) for x in texts)),
    }
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
