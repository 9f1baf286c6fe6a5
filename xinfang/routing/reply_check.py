"""Checks of a draft decision before it is sent (答复意见预检): does it address the claim, does it cite a
legal or policy basis, is it late. The checks only flag: staff decide.

- unaddressed: the petition's key words (its most frequent words, title words counted three times,
  leaving out single characters and the words of data/reply_common_words.txt, which occur in at least
  5 % of the 2,816 messages of attachment4) are looked up in the draft; too few found → flagged.
  UNADDRESSED_BELOW was calibrated with `manage.py reply_check_evaluate` on attachment4 (see its help).
- no_basis: none of BASIS_PATTERNS (《…》, 第…条, 根据/依据/按照…规定/政策/办法, 条例, …) occurs in the draft.
- late: `today` is after the decision's deadline; a warning (level "warning") when it is due within a day.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.utils.translation import gettext as _

from xinfang.routing.text import text_words

COMMON_WORDS_FILE = Path(__file__).parent / "data" / "reply_common_words.txt"
COMMON_WORDS = frozenset(
    line.strip()
    for line in COMMON_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)
KEY_WORDS = 8  # key words of a petition looked up in the draft
TITLE_WEIGHT = 3
UNADDRESSED_BELOW = 0.1  # share of key words found below which a draft is flagged: none of 8 (calibrated)
SOON_DAYS = 1
BASIS_PATTERNS = [
    re.compile(p)
    for p in (
        r"《[^》]{2,60}》",
        r"第[一二三四五六七八九十百零〇\d]+条",
        r"(根据|依据|依照|按照|参照)[^。；]{0,60}(规定|政策|办法|条例|法|细则|意见|通知|文件|标准|精神)",
        r"[\u4e00-\u9fff]{2,20}(条例|实施办法|管理办法|暂行办法|实施细则|实施意见|若干意见)",
        r"[\u4e00-\u9fff]{2,20}(法|条例)(规定|明确)",
        r"(政策|法律|法规)(规定|明确|要求)",
        r"[〔\[（(]\d{4}[〕\]）)]\d+号",
    )
]


@dataclass(frozen=True)
class ReplyFlag:
    code: str  # "unaddressed", "no_basis", "late"
    message: str  # in Chinese, for the staff
    evidence: str
    level: str = "flag"  # or "warning" (late: due within a day)


def _normal(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).lower()


def key_words(title: str, content: str, limit: int = KEY_WORDS) -> list[str]:
    """The words that say what the petition is about, most telling first."""
    counts: Counter[str] = Counter()
    for weight, text in ((TITLE_WEIGHT, title), (1, content)):
        for word in text_words(text):
            if len(word) > 1 and word not in COMMON_WORDS:
                counts[word] += weight
    return [w for w, _n in counts.most_common(limit)]


def coverage(words: list[str], draft: str) -> tuple[float, list[str]]:
    """The share of `words` found in `draft`, and the words missing."""
    if not words:
        return 1.0, []
    text = _normal(draft)
    missing = [w for w in words if w not in text]
    return 1 - len(missing) / len(words), missing


def basis_found(draft: str) -> str:
    """The first citation of a law, regulation or policy in `draft` ("" when none)."""
    text = unicodedata.normalize("NFKC", draft or "")
    for pattern in BASIS_PATTERNS:
        if m := pattern.search(text):
            return m.group(0)
    return ""


def _unaddressed(title: str, content: str, draft: str) -> ReplyFlag | None:
    words = key_words(title, content)
    share, missing = coverage(words, draft)
    if share >= UNADDRESSED_BELOW:
        return None
    return ReplyFlag(
        "unaddressed",
        _("The draft may not answer what the petitioner asked: few of the petition's key words appear in it."),
        _("%(found)s of %(total)s key words found; missing: %(missing)s")
        % {"found": len(words) - len(missing), "total": len(words), "missing": "、".join(missing)},
    )


def _no_basis(draft: str) -> ReplyFlag | None:
    if basis_found(draft):
        return None
    return ReplyFlag(
        "no_basis",
        _("The draft cites no law, regulation or policy as its basis."),
        _("no 《…》, 第…条, 根据/依据…规定/政策 or 条例/办法 found"),
    )


def _late(due_on: date | None, today: date) -> ReplyFlag | None:
    if due_on is None or (due_on - today).days > SOON_DAYS:
        return None
    evidence = _("due %(due)s, today %(today)s") % {"due": due_on.isoformat(), "today": today.isoformat()}
    if today > due_on:
        return ReplyFlag("late", _("The time limit for this decision has passed."), evidence)
    return ReplyFlag("late", _("The time limit for this decision ends within a day."), evidence, "warning")


def reply_check(
    petition_text: str, draft: str, *, due_on: date | None, today: date, title: str = ""
) -> list[ReplyFlag]:
    """The flags of `draft` as the decision on a petition of `petition_text` (its content; the title, if
    given apart, weighs more), due on `due_on`."""
    flags = [_unaddressed(title, petition_text, draft), _no_basis(draft), _late(due_on, today)]
    return [f for f in flags if f is not None]
