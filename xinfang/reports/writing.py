"""The words, tables and charts of each report, written from its figures (xinfang.reports.figures) and
nothing else: what a document says is what the stored figures say. The documents are Chinese whatever
the reader's language, as the notices are.

日统计 (daily statistics): the day's figures by channel, kind, category and place.
单周研判 (weekly analysis): the week against the week before, the days, the categories that grew.
双周通报 (fortnightly bulletin): the fortnight, and each unit's timeliness, naming the late ones.
月点评 (monthly review): the month against the month before, the rates, the units and the places.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from xinfang.org import calendar
from xinfang.reports import charts
from xinfang.reports.layout import Chart, Heading, ReportDoc, Table, Text
from xinfang.reports.schedule import KIND_NAMES_ZH, ReportKind

NUMERALS = "一二三四五六七八九十"
PREVIOUS_WORDS = {
    ReportKind.DAILY: "前一日",
    ReportKind.WEEKLY: "上周",
    ReportKind.FORTNIGHTLY: "上两周",
    ReportKind.MONTHLY: "上月",
}


def _day(iso: str) -> str:
    return calendar.format_date(dt.date.fromisoformat(iso))


def _n(value: int) -> str:
    return f"{value:,}件"


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def _change(now: int, before: int, words: str) -> str:
    if now == before:
        return f"与{words}持平"
    more = "增加" if now > before else "减少"
    pct = f"（{'+' if now > before else '−'}{100 * abs(now - before) / before:.1f}%）" if before else ""
    return f"较{words}{more}{abs(now - before):,}件{pct}"


def _listing(pairs: list[list], limit: int = 5) -> str:
    return "、".join(f"{name}{value:,}件" for name, value in pairs[:limit]) or "无"


class _Sections:
    """Numbered headings: 一、二、三、…"""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, text: str) -> Heading:
        self.n += 1
        return Heading(f"{NUMERALS[self.n - 1]}、{text}")


def title_for(kind: str, region_name: str, start: dt.date, end: dt.date) -> str:
    name = KIND_NAMES_ZH[ReportKind(kind)]
    if kind == ReportKind.DAILY:
        when = calendar.format_date(start)
    elif kind == ReportKind.MONTHLY:
        when = f"{start.year}年{start.month}月"
    else:
        when = f"{calendar.format_date(start)}至{calendar.format_date(end)}"
    return f"{region_name}信访工作{name}（{when}）"


def report_doc(f: dict[str, Any], *, title: str, issuer: str, built_on: dt.date) -> ReportDoc:
    kind = f["kind"]
    t, before = f["totals"], f["previous_totals"]
    start, end = f["period"]
    span = _day(start) if start == end else f"{_day(start)}至{_day(end)}"
    doc = ReportDoc(title, subtitle=f"统计期间：{span}", issuer=issuer, date=calendar.format_date(built_on))
    section = _Sections()
    words = PREVIOUS_WORDS[ReportKind(kind)]

    # 总体情况
    summary = (
        f"{span}，{f['region']}共收到信访事项{_n(t['received'])}，{_change(t['received'], before['received'], words)}。"
        f"其中{_listing(f['by_channel'], 7)}；集体访{_n(t['collective'])}，重复信访{_n(t['repeat'])}，"
        f"越级访{_n(t['skip_level'])}。"
    )
    handling = (
        f"办结（作出处理意见）{_n(t['concluded'])}；期间到期应办结{_n(t['handling_due'])}，按期办结"
        f"{_n(t['handling_on_time'])}，按期办结率{_pct(t['handling_on_time'], t['handling_due'])}；应告知受理"
        f"{_n(t['accept_due'])}，及时受理率{_pct(t['accept_on_time'], t['accept_due'])}。"
        f"群众评价{_n(t['evaluated'])}，满意及基本满意率{_pct(t['satisfied'] + t['basically'], t['evaluated'])}。"
    )
    overdue = (
        f"截至{_day(f['overdue_as_of'])}，超期未办结{_n(f['open_overdue'])}。"
        if f["overdue_as_of"]
        else "期末未统计到超期未办结事项。"
    )
    doc.add(section("总体情况"), Text(summary), Text(handling + overdue))

    # 分布
    doc.add(section("问题类别与地区分布"))
    if f["by_category"]:
        doc.add(Text(f"按问题类别，居前的是{_listing(f['by_category'])}；按地区，居前的是{_listing(f['by_place'])}。"))
        doc.add(
            Chart(
                charts.bar_chart_png(
                    "按问题类别（收到件数）", [r[0] for r in f["by_category"]], [r[1] for r in f["by_category"]]
                )
            )
        )
    else:
        doc.add(Text("本期未收到信访事项。"))
    doc.add(
        Table(
            ["地区", "收到件数", "占比"],
            [[name, f"{n:,}", _pct(n, t["received"])] for name, n in f["by_place"]] or [["—", "0", "—"]],
            [3, 1.5, 1.5],
        )
    )
    doc.add(
        Table(
            ["信访形式", "收到件数"] + ["信访类型", "收到件数"],
            _side_by_side(f["by_channel"], f["by_kind"]),
            [2, 1.2, 2, 1.2],
        )
    )

    if "series" in f:
        doc.add(section("每日走势"))
        series = f["series"]
        peak = max(series, key=lambda row: (row[1], row[0]))
        doc.add(
            Text(f"期间日均收到{t['received'] / len(series):.1f}件，最多的一天是{_day(peak[0])}（{_n(peak[1])}）。")
        )
        doc.add(
            Chart(
                charts.column_chart_png("每日收到信访事项", [row[0][5:] for row in series], [row[1] for row in series])
            )
        )
    if kind == ReportKind.WEEKLY:
        doc.add(section("研判"))
        if f["growth"]:
            doc.add(
                Text(
                    "较上周增长较多的问题类别："
                    + "；".join(f"{name}{n:,}件（增加{up:,}件）" for name, n, up in f["growth"])
                    + "。建议相关单位提前研判、源头化解。"
                )
            )
        else:
            doc.add(Text("本周没有较上周增长的问题类别。"))
    if kind in (ReportKind.FORTNIGHTLY, ReportKind.MONTHLY):
        _units(doc, section, f)
    if kind == ReportKind.MONTHLY:
        _review(doc, section, f["ranking"])
    doc.add(
        Text(
            f"数据来源：每日统计表（预汇总），按收到日、处理意见日、评价日和期限到期日统计；生成于"
            f"{calendar.format_date(built_on)}。",
            note=True,
        )
    )
    return doc


def _side_by_side(left: list[list], right: list[list]) -> list[list[str]]:
    """Two [name, count] lists as one table of four columns."""
    if not left and not right:
        return [["—", "0", "—", "0"]]
    rows = []
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else None
        b = right[i] if i < len(right) else None
        rows.append([a[0] if a else "", f"{a[1]:,}" if a else "", b[0] if b else "", f"{b[1]:,}" if b else ""])
    return rows


def _units(doc: ReportDoc, section: _Sections, f: dict[str, Any]) -> None:
    cols = f["unit_columns"]
    units = [dict(zip(["name", *cols], row, strict=True)) for row in f["units"]]
    late = sorted((u for u in units if u["handling_late"]), key=lambda u: (-u["handling_late"], u["name"]))
    doc.add(section("各单位办理情况" if f["kind"] == ReportKind.MONTHLY else "通报"))
    if late:
        doc.add(
            Text(
                "以下单位有到期未按期办结的信访事项，予以通报，请于下一期前整改："
                + "、".join(f"{u['name']}（{u['handling_late']:,}件）" for u in late)
                + "。"
            )
        )
    else:
        doc.add(Text("本期各单位到期事项均按期办结。"))
    doc.add(
        Table(
            ["单位", "收到", "到期应办结", "按期办结", "超期", "按期办结率", "满意率"],
            [
                [
                    u["name"],
                    f"{u['received']:,}",
                    f"{u['handling_due']:,}",
                    f"{u['handling_on_time']:,}",
                    f"{u['handling_late']:,}",
                    _pct(u["handling_on_time"], u["handling_due"]),
                    _pct(u["satisfied"] + u["basically"], u["evaluated"]),
                ]
                for u in units
            ]
            or [["—"] + ["0"] * 6],
            [3.2, 1, 1.3, 1.3, 1, 1.3, 1.2],
        )
    )
    if late:
        doc.add(
            Chart(
                charts.bar_chart_png(
                    "超期未按期办结（件）", [u["name"] for u in late[:10]], [u["handling_late"] for u in late[:10]]
                )
            )
        )


def _review(doc: ReportDoc, section: _Sections, ranking: dict[str, Any]) -> None:
    """点评: the units' places in the month's ranking, the best and the last three, and what followed."""
    rows = ranking["rows"]
    doc.add(section("考核点评"))
    if not rows:
        doc.add(Text("本月本地区没有参加考核排名的单位。"))
        return
    state = "已公布" if ranking["published"] else "尚未公布（以下为预排名）"
    named = lambda part: "、".join(f"{r[0]}（{r[1]}分，第{r[2]}名）" for r in part)  # noqa: E731
    text = f"本月考核排名{state}，本地区{len(rows)}个单位参加排名（全部{ranking['ranked']}个）。得分居前的是{named(rows[:3])}"
    if len(rows) > 3:
        text += f"；居后的是{named(rows[-3:][::-1])}"
    doc.add(Text(text + "。"))
    fired = [f"{r[0]}：{'、'.join(r[5])}" for r in rows if r[5]]
    if fired:
        doc.add(Text("按通报排名规则：" + "；".join(fired) + "。"))
    doc.add(
        Table(
            ["名次", "单位", "得分", "结果"],
            [[str(r[2]), r[0], r[1], "、".join(r[5]) or ("前列" if r[3] else "后列" if r[4] else "")] for r in rows],
            [0.8, 3.2, 1, 2.5],
        )
    )
