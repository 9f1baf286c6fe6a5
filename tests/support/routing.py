"""A small synthetic corpus for the category model, and a command runner (the routing tests share them)."""

from __future__ import annotations

import io
import random

from django.core.management import call_command

PHRASES = {
    "劳动和社会保障": [
        "公司拖欠工资三个月",
        "农民工工资至今未发",
        "单位不给缴纳社保",
        "养老保险待遇没有落实",
        "工伤认定迟迟不办",
        "劳动合同到期不续签",
        "失业保险金无法领取",
        "医保转移接续困难",
    ],
    "城乡建设": [
        "小区物业乱收费",
        "开发商延期交房",
        "违章建筑占用消防通道",
        "老旧小区改造漏水",
        "拆迁安置补偿不到位",
        "市政道路施工扬尘",
        "房产证迟迟办不下来",
        "棚户区改造进度缓慢",
    ],
    "教育文体": [
        "学校违规补课收费",
        "幼儿园入学难",
        "教师绩效工资未发放",
        "学生课业负担太重",
        "校车安全隐患",
        "体育场馆不对外开放",
        "民办学校乱收费",
        "中考招生政策不公平",
    ],
    "环境保护": [
        "工厂夜间排放废气",
        "河道被倒入污水",
        "养猪场臭味熏天",
        "搅拌站噪音扰民",
        "垃圾焚烧污染空气",
        "化工厂偷排废水",
        "渣土乱倒污染农田",
        "饭店油烟直排",
    ],
}


FILLER = ["希望有关部门尽快处理", "请领导重视", "多次反映无果", "严重影响群众生活", "恳请调查", ""]


PLACES = ["青石镇", "柳河镇", "丰收村", "新民村", "县城"]


def corpus(per_label: int = 30, seed: int = 0) -> tuple[list[str], list[str]]:
    """Synthetic petitions: a place, two phrases of the label and a common closing sentence."""
    rnd = random.Random(seed)
    texts, labels = [], []
    for label, phrases in PHRASES.items():
        for _ in range(per_label):
            a, b = rnd.sample(phrases, 2)
            texts.append(f"{rnd.choice(PLACES)}{a}，{b}。{rnd.choice(FILLER)}")
            labels.append(label)
    return texts, labels


WAGES = "某公司拖欠农民工工资三个月，也不给缴纳社保，多次讨要无果"


def run(command: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()
