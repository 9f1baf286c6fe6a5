"""What synthetic petitions are made of: invented people and notes, the odds of each channel, kind,
priority, outcome and satisfaction, and query codes (the core's alphabet and length, from the id)."""

from __future__ import annotations

import bisect
import random

from xinfang.petitions import rules
from xinfang.petitions.models import Channel, Kind, Measure, Outcome, Priority, Satisfaction
from xinfang.petitions.services import QUERY_CODE_ALPHABET, QUERY_CODE_LENGTH

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
STEMS = "甲乙丙丁戊己庚辛壬癸"
STEP_NOTES = [
    "已约谈信访人，了解诉求和有关情况",
    "已到现场调查核实",
    "已召开协调会，相关单位参加",
    "已调取有关档案材料",
    "已征求相关部门意见",
    "已与被反映单位沟通，要求其说明情况",
    "已组织听取群众意见",
]
EXTEND_REASONS = [
    "案情复杂，需要多部门会商",
    "需要补充调查取证",
    "涉及历史遗留问题，需调阅档案核实",
    "需要等待鉴定结论",
]
RETURN_REASONS = [
    "该事项不属于本单位职权范围，请转有关主管部门办理",
    "该事项应由属地乡镇人民政府办理",
    "该事项涉及的事权在上级部门，本单位无权处理",
]
EVAL_REASONS = {
    Satisfaction.SATISFIED: ["问题已解决", "答复及时，态度好", ""],
    Satisfaction.BASICALLY: ["问题基本解决", "处理较慢", ""],
    Satisfaction.DISSATISFIED: ["问题没有解决", "对处理意见不认可", "办理时间太长"],
}


def _weighted(pairs):
    values = [v for v, _ in pairs]
    cum, total = [], 0.0
    for _, w in pairs:
        total += w
        cum.append(total)
    return values, cum, total


def _pick(rng: random.Random, table) -> object:
    values, cum, total = table
    return values[bisect.bisect_right(cum, rng.random() * total)]


CHANNELS = _weighted(
    [
        (Channel.VISIT, 30),
        (Channel.LETTER, 12),
        (Channel.PHONE, 18),
        (Channel.WEB, 22),
        (Channel.WECHAT, 10),
        (Channel.MAILBOX, 6),
        (Channel.FAX, 2),
    ]
)
KINDS = _weighted([(Kind.CLAIM, 72), (Kind.SUGGESTION, 16), (Kind.ACCUSATION, 12)])
PRIORITIES = _weighted([(Priority.ORDINARY, 80), (Priority.IMPORTANT, 13), (Priority.URGENT, 5), (Priority.SPECIAL, 2)])
OUTCOMES = _weighted([(Outcome.SUPPORT, 45), (Outcome.EXPLAIN, 40), (Outcome.NOT_SUPPORT, 15)])
MEASURE_FOR = {Outcome.SUPPORT: Measure.RESOLVED, Outcome.EXPLAIN: Measure.EXPLAINED, Outcome.NOT_SUPPORT: Measure.LAW}
SATISFACTIONS = _weighted([(Satisfaction.SATISFIED, 62), (Satisfaction.BASICALLY, 26), (Satisfaction.DISSATISFIED, 12)])
DECLINE_KEYS = list(rules.DECLINE_REASONS)
CHANNEL_KEYS = list(rules.LEGAL_CHANNELS)

_BASE = len(QUERY_CODE_ALPHABET)
_CODE_SPACE = _BASE**QUERY_CODE_LENGTH
_CODE_MUL = 0x2F1B_5A3D_9C7  # odd and not a multiple of 31: id -> code is a bijection mod 31**10
_CODE_FAR = _CODE_SPACE // 2  # fallback codes come from ids no real petition reaches
_DIGITS_3 = _BASE**3


# three base-31 digits at a time, lowest first: the same code as ten divmods by 31, a third of the work
_CODE_3 = [
    QUERY_CODE_ALPHABET[r % _BASE] + QUERY_CODE_ALPHABET[r // _BASE % _BASE] + QUERY_CODE_ALPHABET[r // _BASE**2]
    for r in range(_DIGITS_3)
]


def query_code_for(n: int, salt: int) -> str:
    x = (n * _CODE_MUL + salt) % _CODE_SPACE
    x, a = divmod(x, _DIGITS_3)
    x, b = divmod(x, _DIGITS_3)
    x, c = divmod(x, _DIGITS_3)
    return _CODE_3[a] + _CODE_3[b] + _CODE_3[c] + QUERY_CODE_ALPHABET[x]
