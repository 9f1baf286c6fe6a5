"""How the category model reads a text: the same words whether the text is raw (what a clerk types or
the portal receives) or already segmented with spaces (the 2020 泰迪杯 training file).

Spaces are removed first, so that a segmented text and its raw original become the same string; it
is normalised (NFKC: full-width → half-width; lower case) and cut into words by jieba (the project's
one tokenizer, xinfang.petitions.search); words without a Chinese character (numbers, the anonymised
codes such as "A3") and stop words are dropped. The stop words (data/stopwords.txt) are the ones the
training file's authors removed: words of the raw messages that never occur in the segmented file.
On the 349 messages of datasets/tipdm2020c_msg_sample, a model trained on segmented texts
labels the raw originals as well as their segmented twins (see bench/routing.py).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from xinfang.petitions.search import _tokenizer

STOPWORDS_FILE = Path(__file__).parent / "data" / "stopwords.txt"
STOPWORDS = frozenset(
    line.strip()
    for line in STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)
MAX_CHARS = 5000  # of a text read (the longest training texts run to 13,000: the start says what it is about)
_SPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u3400-\u9fff]")


def text_words(text: str) -> list[str]:
    """The words of `text` the model reads, in order, repeats kept."""
    text = _SPACE.sub("", unicodedata.normalize("NFKC", text or ""))[:MAX_CHARS].lower()
    if not text:
        return []
    return [w for w in _tokenizer().cut(text) if w not in STOPWORDS and _CJK.search(w)]


def text_canonical(text: str) -> str:
    """`text_words` joined by spaces: what the model's vectorizers take."""
    return " ".join(text_words(text))
