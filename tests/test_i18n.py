"""Chinese first, English available: the zh_Hans catalogue is complete, compiled and in use."""

from __future__ import annotations

import ast
import gettext as stdlib_gettext
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import translation

from xinfang.org.models import RegionLevel, Role, UnitKind
from xinfang.petitions.models import Channel, Kind, Petition, Petitioner, Priority, State

PACKAGE = Path(__file__).resolve().parent.parent / "xinfang"
LC_MESSAGES = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"

_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(line: str) -> str:
    body = _QUOTED.search(line).group(1)
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def read_po(path: Path) -> list[dict]:
    """A small .po reader: entries with msgctxt, msgid, msgstr and flags (no plurals are used)."""
    entries: list[dict] = []
    entry: dict = {}
    field = None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if "msgid" in entry:
                entries.append(entry)
            entry, field = {}, None
        elif line.startswith("#,"):
            entry.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[field] += _unquote(line)
        else:
            field, _, rest = line.partition(" ")
            assert field in {"msgctxt", "msgid", "msgstr"}, f"unexpected .po line: {raw!r}"
            entry[field] = _unquote(rest)
    return entries


def catalogue() -> list[dict]:
    return [e for e in read_po(PO) if e["msgid"]]  # skip the header entry


GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy"}


def msgids_in_code() -> set[tuple[str | None, str]]:
    """(context, msgid) of every literal gettext call in the xinfang package."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in GETTEXT_NAMES:
                continue
            args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args]
            if name.startswith("pgettext") and len(args) >= 2 and None not in args[:2]:
                found.add((args[0], args[1]))
            elif not name.startswith("pgettext") and args[0] is not None:
                found.add((None, args[0]))
    return found


def test_every_msgid_has_a_translation():
    entries = catalogue()
    assert len(entries) > 100
    empty = [e["msgid"] for e in entries if not e.get("msgstr", "").strip()]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e.get("flags", set())]
    assert empty == [], f"untranslated: {empty}"
    assert fuzzy == [], f"fuzzy (not used by Django): {fuzzy}"


def test_every_string_in_the_code_is_in_the_catalogue():
    in_po = {(e.get("msgctxt"), e["msgid"]) for e in catalogue()}
    missing = msgids_in_code() - in_po
    assert not missing, f"run `make messages` and translate: {sorted(missing, key=str)}"


def test_compiled_catalogue_matches_the_po():
    with MO.open("rb") as f:
        mo = stdlib_gettext.GNUTranslations(f)
    for e in catalogue():
        if e.get("msgctxt"):
            got = mo.pgettext(e["msgctxt"], e["msgid"])
        else:
            got = mo.gettext(e["msgid"])
        assert got == e["msgstr"], f"django.mo is stale for {e['msgid']!r}: run `make messages`"


ZH = {
    Role.HANDLER: "单位经办人",
    Role.CLERK: "登记员",
    Role.BUREAU_STAFF: "信访局工作人员",
    Role.ADMIN: "系统管理员",
    Channel.LETTER: "来信",
    Channel.MAILBOX: "领导信箱",
    Kind.ACCUSATION: "检举控告类",
    Priority.URGENT: "紧急",
    State.DECIDED: "已出具处理意见",
    State.REDIRECTED: "已导入法定途径",
    State.REEXAMINED: "已复核",
    RegionLevel.TOWNSHIP: "乡镇（街道）",
    UnitKind.BUREAU: "信访局",
}
EN = {
    Role.HANDLER: "unit handler",
    Channel.LETTER: "letter",
    Kind.ACCUSATION: "accusation",
    State.DECIDED: "decided",
    State.REDIRECTED: "redirected to legal channels",
}


def test_labels_in_chinese():
    with translation.override("zh-hans"):
        assert {member: str(member.label) for member in ZH} == ZH
        assert str(Petition._meta.verbose_name) == "信访事项"
        assert str(Petition._meta.get_field("query_code").verbose_name) == "查询码"
        assert str(Petitioner._meta.verbose_name) == "信访人"
        assert str(Petitioner._meta.get_field("name").verbose_name) == "姓名"
        assert str(apps.get_app_config("petitions").verbose_name) == "信访事项"
        assert str(apps.get_app_config("org").verbose_name) == "组织机构"


def test_labels_in_english():
    with translation.override("en"):
        assert {member: str(member.label) for member in EN} == EN
        assert str(Petition._meta.verbose_name) == "petition"
        assert str(Petitioner._meta.get_field("name").verbose_name) == "name"
        assert str(apps.get_app_config("org").verbose_name) == "Organisation"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept_language", "expected", "absent"),
    [
        ("zh-hans", ["信访事项", "组织机构", "行政区划", "责任单位", "法定期限"], "Organisation"),
        ("en", ["Petitions", "Organisation", "Regions", "Units", "Legal periods"], "组织机构"),
    ],
)
def test_admin_index_language(admin_client, accept_language, expected, absent):
    html = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE=accept_language).content.decode()
    for text in expected:
        assert text in html
    assert absent not in html
