"""The draft check of a decision (答复意见预检, issue 6 point 6): not answering the claim, no legal or policy
basis, late; its calibration command; the petition page's panel."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from tests.conftest import handler, path_to, staff_login
from tests.support.replies import CONTENT, NO_BASIS, OFF_POINT, ON_POINT, TITLE
from xinfang.petitions.models import Deadline, DeadlineKind, State
from xinfang.routing.reply_check import key_words, reply_check

D = dt.date


def codes(flags) -> set[str]:
    return {f.code for f in flags}


# ---------------------------------------------------------------- the three flags


def test_a_draft_on_the_claim_with_a_basis_in_time_is_not_flagged():
    assert reply_check(CONTENT, ON_POINT, due_on=D(2026, 12, 1), today=D(2026, 11, 23), title=TITLE) == []


def test_a_draft_about_another_matter_is_flagged_unaddressed_with_the_missing_key_words():
    flags = reply_check(CONTENT, OFF_POINT, due_on=None, today=D(2026, 11, 23), title=TITLE)
    assert codes(flags) == {"unaddressed"}
    flag = flags[0]
    assert "破裂" in key_words(TITLE, CONTENT) and "破裂" in flag.evidence
    assert any("\u4e00" <= ch <= "\u9fff" for ch in flag.message)


def test_a_draft_without_law_or_policy_is_flagged_no_basis():
    flags = reply_check(CONTENT, NO_BASIS, due_on=None, today=D(2026, 11, 23), title=TITLE)
    assert codes(flags) == {"no_basis"}


@pytest.mark.parametrize(
    "basis",
    [
        "《信访工作条例》",
        "依照第三十二条",
        "按照县里的相关政策",
        "依据有关规定",
        "根据县政府办公室关于农村饮水安全的通知",
        "参照示范县农村供水管理办法",
    ],
)
def test_each_kind_of_citation_counts_as_a_basis(basis):
    assert "no_basis" not in codes(
        reply_check(CONTENT, NO_BASIS + basis + "处理。", due_on=None, today=D(2026, 11, 23), title=TITLE)
    )


def test_late_after_the_deadline_a_warning_within_a_day_nothing_before():
    def late(due: D) -> list:
        return [
            f
            for f in reply_check(CONTENT, ON_POINT, due_on=due, today=D(2026, 11, 23), title=TITLE)
            if f.code == "late"
        ]

    (passed,) = late(D(2026, 11, 20))
    assert passed.level == "flag" and "2026-11-20" in passed.evidence and "2026-11-23" in passed.evidence
    (soon,) = late(D(2026, 11, 24))
    assert soon.level == "warning"
    assert late(D(2026, 11, 25)) == [] and late(None) == []


# ---------------------------------------------------------------- the calibration command


def test_evaluate_command_ends_with_one_json_line_of_the_figures(tmp_path):
    header = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "答复意见", "答复时间"]
    rows = [
        ["1", "U1", TITLE, "2019/1/2 9:00:00", CONTENT, ON_POINT, "2019/1/20 9:00:00"],
        [
            "2",
            "U2",
            "学校食堂收费过高",
            "2019/1/3 9:00:00",
            "学校食堂收费过高，饭菜质量差，请求整改。",
            "学校食堂收费问题已责成学校整改。",
            "2019/4/10 9:00:00",
        ],
        [
            "3",
            "U3",
            "小区路灯不亮",
            "2019/2/1 9:00:00",
            "小区路灯坏了一个月不亮，夜间出行危险。",
            "小区路灯已由物业维修，路灯恢复照明。依据《物业管理条例》处理。",
            "2019/2/5 9:00:00",
        ],
    ]
    path = tmp_path / "replies.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    out = io.StringIO()
    call_command("reply_check_evaluate", "--csv", str(path), stdout=out, stderr=io.StringIO())
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert result["pairs"] == 3
    assert result["unaddressed"]["real_rate"] == 0  # each reply takes up its own message
    assert result["unaddressed"]["shuffled_rate"] == 1  # and none another's
    assert result["no_basis"] == {"real_rate": round(1 / 3, 4), "flagged": 1}
    assert result["late"]["flagged"] == 1 and result["late"]["period_days"] == 60  # 97 days


# ---------------------------------------------------------------- the petition page's panel


@pytest.fixture
def accepted(org):
    petition, _day = path_to(org, State.ACCEPTED, title=TITLE, content=CONTENT)
    return petition


def client_of(user) -> Client:
    c = Client()
    staff_login(c, user)
    return c


def test_panel_renders_the_flags_of_the_text_typed(org, accepted, django_assert_max_num_queries):
    due = Deadline.objects.get(petition=accepted, kind=DeadlineKind.HANDLING, is_open=True).due_on
    c = client_of(handler(org, org.unit_key(accepted.owner_unit_id)))
    page = c.get(f"/p/{accepted.pk}/").content.decode()
    assert f'hx-post="/p/{accepted.pk}/reply-check"' in page
    with django_assert_max_num_queries(5):
        response = c.post(f"/p/{accepted.pk}/reply-check", {"decide-text": OFF_POINT})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-code="unaddressed"' in html and 'data-code="no_basis"' not in html
    assert ('data-code="late"' in html) == (due < dt.date.today())
    html = c.post(f"/p/{accepted.pk}/reply-check", {"decide-text": NO_BASIS}).content.decode()
    assert 'data-code="no_basis"' in html and 'data-code="unaddressed"' not in html
    assert "由您决定" in html  # only a check: staff decide


def test_panel_is_404_for_a_petition_of_another_township(org, accepted):
    response = client_of(handler(org, "town_b")).post(f"/p/{accepted.pk}/reply-check", {"decide-text": OFF_POINT})
    assert response.status_code == 404


def test_the_check_never_blocks_the_decision(org, accepted):
    c = client_of(handler(org, org.unit_key(accepted.owner_unit_id)))
    c.post(
        f"/p/{accepted.pk}/act/decide/",
        {"decide-outcome": "support", "decide-measure": "resolved", "decide-text": OFF_POINT},
    )
    accepted.refresh_from_db()
    assert accepted.state == State.DECIDED
