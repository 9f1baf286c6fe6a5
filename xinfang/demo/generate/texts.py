"""The texts of synthetic petitions: the 2020 泰迪杯 C messages in datasets/ (settings.DATASETS_DIR), else a few
built in (a folder without them, e.g. XINFANG_DATASETS pointing elsewhere)."""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from xinfang.lib.datasets import ATTACHMENT3, ATTACHMENT4, RAW_SAMPLE, csv_open

log = logging.getLogger(__name__)

FALLBACK_TEXTS = [
    (
        "反映村道路面破损影响出行",
        "本村通组公路去年修建后不到一年路面多处开裂塌陷，雨天积水严重，学生和老人出行困难，请有关部门核查施工质量并尽快维修。",
        "城乡建设",
    ),
    (
        "拖欠农民工工资问题",
        "我们在县城某建筑工地务工，包工头拖欠三个月工资共计四万余元，多次讨要未果，请求劳动监察部门督促支付。",
        "劳动和社会保障",
    ),
    (
        "小区噪音扰民",
        "小区旁边的夜市每天营业到凌晨两点，音响声音很大，严重影响周边居民休息，希望城管部门加强管理。",
        "环境保护",
    ),
    (
        "宅基地审批迟迟没有结果",
        "本人于今年三月提交建房宅基地申请，材料齐全，至今没有答复，请求乡镇政府说明审批进度。",
        "城乡建设",
    ),
    (
        "学校周边交通安全隐患",
        "县第二小学门口上下学时段车辆乱停乱放，没有交通协管员，存在很大安全隐患，建议设置减速带和隔离栏。",
        "交通运输",
    ),
    (
        "低保资格认定有异议",
        "我家两位老人均患慢性病，无劳动能力，今年低保复核被取消，认为认定不公，请求重新核查。",
        "劳动和社会保障",
    ),
    (
        "建议增开城乡公交班次",
        "镇上到县城的公交每天只有四班，村民看病、办事很不方便，建议增加班次并延长末班时间。",
        "交通运输",
    ),
    (
        "养殖场污水直排河道",
        "村东头一家养猪场长期将污水直接排入小河，河水发黑发臭，下游农田灌溉受到影响，请环保部门查处。",
        "环境保护",
    ),
]
FALLBACK_REPLIES = [
    "经调查核实，您反映的问题属实，相关部门已责成责任单位限期整改，整改情况将及时告知您。感谢您对我们工作的关心和支持。",
    "经核查，您反映的情况与实际不符，已向您当面解释说明相关政策规定。如有其他问题，欢迎继续反映。",
    "您反映的问题已转交主管部门研究处理，已制定解决方案并逐步落实。",
]


@dataclass
@dataclass
class Texts:
    items: list[tuple[str, str, str]]  # (title, content, level-1 label or "")
    replies: list[str]


SOURCES = (ATTACHMENT3, ATTACHMENT4, RAW_SAMPLE)


def _texts_read(path: Path, items: list[tuple[str, str, str]], replies: list[str]) -> None:
    """Add the (title, content, label) and the replies of one CSV file; a missing or unreadable one adds none."""
    try:
        with csv_open(path) as f:
            for row in csv.DictReader(f):
                title = " ".join((row.get("留言主题") or "").split())[:200]
                content = (row.get("留言详情") or "").strip()
                if title and content:
                    items.append((title, content, (row.get("一级分类") or "").strip()))
                reply = (row.get("答复意见") or "").strip()
                if reply:
                    replies.append(reply)
    except (OSError, EOFError, csv.Error, UnicodeDecodeError) as exc:
        log.info("texts: %s not used (%s)", path, exc)


def texts_load(folder: Path | None = None) -> Texts:
    """The raw 留言 (title, content) of the 2020 泰迪杯 C data in DATASETS_DIR; built-in texts if absent."""
    folder = Path(folder or settings.DATASETS_DIR)
    items: list[tuple[str, str, str]] = []
    replies: list[str] = []
    for name in SOURCES:
        _texts_read(folder / name, items, replies)
    return Texts(items or list(FALLBACK_TEXTS), replies or list(FALLBACK_REPLIES))
