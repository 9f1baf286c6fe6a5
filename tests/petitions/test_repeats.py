"""Repeat petitions (重复件): the same-matter lookup ranks and explains, costs the same whatever the table's
size, and `repeats_evaluate` measures it on labeled messages."""

from __future__ import annotations

import csv
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import register
from xinfang.lab.repeats import messages_read, twins_find
from xinfang.org.models import Region
from xinfang.petitions import similar
from xinfang.petitions.models import Petition, Petitioner

pytestmark = pytest.mark.django_db

NOW = timezone.now()
LIFT = (
    "小区电梯故障",
    "青石镇丰收村幸福小区三号楼电梯已经停运两个月，老人上下楼十分困难，物业一直推脱，请求督促物业尽快维修电梯。",
)
LIFT_AGAIN = (
    "电梯还没修好",
    "幸福小区三号楼电梯停运两个多月了，物业仍然推脱不修，老人上下楼困难，再次请求督促物业维修电梯。",
)
LAMP = ("路灯不亮", "丰收村村口到学校的一段路没有路灯，晚上学生放学回家很不安全，请求安装路灯。")


def earlier(org, title: str, content: str, *, days_ago: int, people=(), region=None) -> Petition:
    on = NOW - timezone.timedelta(days=days_ago)
    return register(org, on=on, title=title, content=content, received_at=on, petitioners=list(people), region=region)


def test_the_petitioners_own_earlier_petition_ranks_first_with_why(org):
    me = Petitioner(name="王某甲")
    mine = earlier(org, *LIFT, days_ago=30, people=[me])
    # the same words from a neighbour, placed in the township (not the village), and more recent
    theirs = earlier(org, *LIFT, days_ago=3, people=[Petitioner(name="李某乙")], region=org.regions["town_a"])
    unrelated = earlier(org, *LAMP, days_ago=1)
    found = similar.similar_petitions_for(
        org.users["clerk"], title=LIFT_AGAIN[0], content=LIFT_AGAIN[1], region=org.regions["village_a"], petitioner=me
    )
    assert [s.petition for s in found] == [mine, theirs]
    first, second = found
    assert (first.same_petitioner, first.same_place) == (True, True)
    assert (second.same_petitioner, second.same_place) == (False, False)
    assert first.score > second.score and first.similarity == pytest.approx(second.similarity)
    assert any("电梯" in w for w in first.words)  # the words both texts use
    assert unrelated not in [s.petition for s in found]
    # what the desk shows of each: only the fields it needs, read in one more query
    assert first.petition.query_code == mine.query_code and first.petition.received_at == mine.received_at


def test_without_the_petitioner_the_text_and_place_still_find_it(org):
    mine = earlier(org, *LIFT, days_ago=30, people=[Petitioner(name="王某甲")])
    found = similar.similar_petitions_for(
        org.users["clerk"], title=LIFT_AGAIN[0], content=LIFT_AGAIN[1], region=org.regions["village_a"]
    )
    assert [s.petition for s in found] == [mine] and not found[0].same_petitioner


def _lookup_cost(org, me: Petitioner) -> tuple[int, int]:
    """Queries of one lookup, and the candidate petitions it reads."""
    with CaptureQueriesContext(connection) as ctx:
        similar.similar_petitions_for(
            org.users["bureau_staff"],
            title=LIFT_AGAIN[0],
            content=LIFT_AGAIN[1],
            region=org.regions["village_a"],
            petitioner=me,
        )
    places, mine = similar.candidate_ids(org.regions["village_a"], me)
    return len(ctx.captured_queries), len(places | mine)


def test_the_cost_does_not_grow_with_the_table(org, monkeypatch):
    """Candidates are bounded: at two sizes, the same queries and at most the bound of rows read."""
    monkeypatch.setattr(similar, "TOWNSHIP_RECENT", 6)
    monkeypatch.setattr(similar, "PLACE_RECENT", 6)
    monkeypatch.setattr(similar, "PLACE_OWN", 3)
    monkeypatch.setattr(similar, "PETITIONER_RECENT", 2)
    bound = 6 + 3 + 2
    me = Petitioner(name="王某甲")
    earlier(org, *LIFT, days_ago=90, people=[me])
    costs = []
    for size in (12, 48):
        while Petition.objects.count() < size:
            n = Petition.objects.count()
            earlier(
                org,
                f"{LAMP[0]}{n}",
                LAMP[1],
                days_ago=60 - n % 50,
                people=[me] if n % 5 == 0 else [],
                region=org.regions["village_a" if n % 2 else "town_a"],
            )
        costs.append(_lookup_cost(org, me))
    (queries_small, read_small), (queries_big, read_big) = costs
    assert queries_small == queries_big <= 5
    assert read_small <= bound and read_big <= bound
    assert Petition.objects.count() == 48 > 4 * bound


# ---------------------------------------------------------------- repeats_evaluate

ROWS = [  # 留言编号, 留言用户, 留言主题, 留言时间, 留言详情
    ("1", "U1", LIFT[0], "2019/3/1 9:00:00", "A1区" + LIFT[1]),
    ("2", "U2", LAMP[0], "2019/3/2 10:00:00", "A1区" + LAMP[1]),
    ("3", "U1", LIFT[0], "2019/3/9 9:30:00", "A1区" + LIFT_AGAIN[1]),  # same user and subject as 1
    ("4", "U3", "村口没有路灯", "2019-03-10 08:00:00", "A1区" + LAMP[1]),  # same details as 2, another user
    ("5", "U4", "学校乱收费", "2019/3/11 11:00:00", "A2区某中学以资料费名义向每名学生收取三百元，家长意见很大。"),
    ("6", "U5", "公交线路调整", "2019/3/12 12:00:00", "建议增开从高铁站到城区的夜间公交线路，方便旅客出行。"),
]


def write_messages(path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "反对数", "点赞数"])
        w.writerows([*row, 0, 0] for row in ROWS)


def test_twins_are_the_same_details_or_the_same_user_and_subject(tmp_path):
    path = tmp_path / "messages.csv"
    write_messages(path)
    messages = messages_read(path)
    assert [m.number for m in messages] == ["1", "2", "3", "4", "5", "6"]
    assert [m.district for m in messages] == ["A1区", "A1区", "A1区", "A1区", "A2区", ""]
    assert twins_find(messages) == [set(), set(), {0}, {1}, set(), set()]


@pytest.mark.parametrize("args", [[], ["--places", "one"], ["--no-petitioner"]])
def test_repeats_evaluate_prints_precision_and_recall_as_its_last_line(db, tmp_path, args):
    path = tmp_path / "messages.csv"
    write_messages(path)
    out = StringIO()
    call_command("repeats_evaluate", "--csv", str(path), *args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("1/6") and lines[-2].startswith("6/6")  # progress
    result = json.loads(lines[-1])
    assert (result["messages"], result["positives"], result["positives_same_user"]) == (6, 2, 1)
    assert (result["hits_at_1"], result["hits_at_5"]) == (2, 2)
    assert result["recall_at_1"] == result["recall_at_5"] == 1.0
    assert result["precision_at_1"] == 1.0 and result["listed_for_messages_without_twin"] == 0
    assert result["threshold"] == similar.THRESHOLD
    assert result["petitioner_known"] == ("--no-petitioner" not in args)
    # a scratch county, rolled back: nothing is kept
    assert not Petition.objects.exists() and not Region.objects.filter(name="评测县").exists()


def test_repeats_evaluate_counts_a_miss(db, tmp_path):
    """A threshold no text reaches: the repeats are counted, none is found."""
    path = tmp_path / "messages.csv"
    write_messages(path)
    out = StringIO()
    call_command(
        "repeats_evaluate", "--csv", str(path), "--threshold", "1.01", "--threshold-same-petitioner", "1.01", stdout=out
    )
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert (result["positives"], result["hits_at_5"], result["recall_at_5"]) == (2, 0, 0.0)
    assert result["precision_at_1"] is None and result["threshold"] == 1.01
    assert similar.THRESHOLD != 1.01  # put back after the run
