"""The English UI in English: refusals and the workflow's action labels go through gettext, with the Chinese
of the default UI as their zh_Hans translation (issue 19, point 5)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from tests.conftest import at, is_chinese, path_to, register, staff_login
from tests.support.api import api_for
from xinfang.org.models import Role
from xinfang.oversight import services as oversight
from xinfang.petitions import services
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.models import Kind, State
from xinfang.petitions.workflow import TABLE

# The button texts of the Chinese UI, as they were literals before they went through gettext.
ZH_LABELS = {
    "confirm_accused": "确认被检举控告对象",
    "accept": "受理",
    "decline": "不予受理",
    "forward": "转送",
    "assign": "交办",
    "redirect": "导入法定途径",
    "return": "退回",
    "extend": "延期",
    "record_step": "记录办理情况",
    "decide": "出具处理意见",
    "evaluate": "记录满意度评价",
    "request_review": "申请复查",
    "review_decide": "出具复查意见",
    "request_reexamination": "申请复核",
    "hearing_start": "举行听证（中止计时）",
    "hearing_end": "听证结束（恢复计时）",
    "reexamine_decide": "出具复核意见",
    "close": "结案",
}


def refused(call) -> str:
    """The message of the refusal `call` raises, taken in English."""
    with translation.override("en"), pytest.raises(WorkflowError) as e:
        call()
    return str(e.value)


def test_every_action_label_has_an_english_text():
    with translation.override("en"):
        english = {action: str(t.label) for action, t in TABLE.items()}
    assert [a for a, text in english.items() if is_chinese(text) or not text.strip()] == []
    assert english["decide"] == "Issue the handling opinion"


def test_every_action_label_in_chinese_is_todays_text():
    with translation.override("zh-hans"):
        assert {action: str(t.label) for action, t in TABLE.items()} == ZH_LABELS


@pytest.mark.django_db
def test_a_transition_refused_by_its_rule_says_why_in_english(org):
    p = register(org, on=at(2026, 3, 2))
    decision = {"outcome": "support", "measure": "resolved", "text": "予以支持。"}
    wrong_state = refused(lambda: services.petition_decide(p, actor=org.users["clerk"], at=at(2026, 3, 3), **decision))
    wrong_role = refused(
        lambda: services.petition_confirm_accused(p, actor=org.users["clerk"], accused_unit=org.units["land"])
    )
    for message in (wrong_state, wrong_role):
        assert not is_chinese(message), message
    assert wrong_state == "The petition is now “registered”: “Issue the handling opinion” is not possible."
    assert wrong_role == "Your role (registration clerk) cannot take the action “Confirm the accused”."
    with translation.override("zh-hans"), pytest.raises(WorkflowError) as e:
        services.petition_confirm_accused(p, actor=org.users["clerk"], accused_unit=org.units["land"])
    assert str(e.value) == "您的角色（登记员）不能确认被检举控告对象。"


@pytest.mark.django_db
def test_a_refused_date_is_written_in_english(org):
    p, day = path_to(org, State.ACCEPTED)
    head = org.user(org.unit_key(p.owner_unit_id), Role.UNIT_HEAD)
    late = at(2026, 12, 1)
    message = refused(lambda: services.petition_extend(p, actor=head, days=10, reason="需要现场勘查", at=late))
    assert not is_chinese(message), message
    assert message.startswith("The handling period ended on ") and "2026" in message
    with translation.override("zh-hans"), pytest.raises(WorkflowError) as e:
        services.petition_extend(p, actor=head, days=10, reason="需要现场勘查", at=late)
    assert "届满，不能再批准延期。" in str(e.value) and "年" in str(e.value)


@pytest.mark.django_db
def test_art_30_refusals_in_english(org):
    own_unit = refused(lambda: register(org, on=at(2026, 3, 2), kind=Kind.ACCUSATION, accused_unit=org.units["bureau"]))
    assert not is_chinese(own_unit), own_unit
    assert "art. 30" in own_unit and "your own unit" in own_unit
    p = register(org, on=at(2026, 3, 2), kind=Kind.ACCUSATION, accused_unit=org.units["land"], accused_confirmed=False)
    unconfirmed = refused(
        lambda: services.petition_forward(
            p, actor=org.users["bureau_staff"], to_unit=org.units["hrss"], at=at(2026, 3, 3)
        )
    )
    assert not is_chinese(unconfirmed), unconfirmed
    assert unconfirmed.startswith("First confirm the unit or person accused, then take the action “Forward”")


@pytest.mark.django_db
def test_a_supervision_refusal_in_english(org):
    p, _ = path_to(org, State.DECLINED)
    due = timezone.localdate() + dt.timedelta(days=10)
    message = refused(
        lambda: oversight.supervision_open(
            p,
            actor=org.users["supervisor"],
            mode="on_site",
            reason="群众多次反映",
            requirement="报告",
            answer_due_on=due,
        )
    )
    assert message == "This petition is concluded: it cannot be supervised."
    with translation.override("zh-hans"):
        assert oversight.supervise_refusal(p, org.users["supervisor"]) == "该事项已办结，不能督办。"


@pytest.mark.django_db
def test_an_api_refusal_in_english(org):
    p, _ = path_to(org, State.ACCEPTED, start=dt.date.today() - dt.timedelta(days=5))
    clerk = api_for(org, org.unit_key(p.owner_unit_id), role=Role.CLERK)
    body = {"days": 10, "reason": "需要现场勘查"}
    english = clerk.post(f"/api/petitions/{p.pk}/extend", body, **{"Accept-Language": "en"})
    assert english.status_code == 409
    assert (
        english.json()["detail"]
        == "Your role (registration clerk) cannot take the action “Extend the handling period”."
    )
    chinese = clerk.post(f"/api/petitions/{p.pk}/extend", body)
    assert chinese.status_code == 409 and chinese.json()["detail"] == "您的角色（登记员）不能延期。"


@pytest.mark.django_db
def test_the_petition_page_in_english_shows_english_buttons(org):
    p, _ = path_to(org, State.ACCEPTED)
    c = Client()
    staff_login(c, org.user(org.unit_key(p.owner_unit_id), Role.HANDLER))
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = c.get(f"/p/{p.pk}/").content.decode()
    assert "Issue the handling opinion" in html and "Record a handling step" in html
    assert ZH_LABELS["decide"] not in html and ZH_LABELS["record_step"] not in html
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = c.get(f"/p/{p.pk}/").content.decode()
    assert ZH_LABELS["decide"] in html and "Issue the handling opinion" not in html


def test_an_attachment_and_a_ranking_refusal_in_english_and_in_chinese(db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from xinfang.assessment.services import AssessmentError, month_close
    from xinfang.petitions.attachments import AttachmentRefused, attachment_check

    this_month = timezone.localdate().replace(day=1)
    for language, words in (("en", ("not a type of file", "extension")), ("zh-hans", ("不是允许的文件类型",))):
        with translation.override(language), pytest.raises(AttachmentRefused) as file_refused:
            attachment_check(SimpleUploadedFile("x.exe", b"MZ\x90\x00" + b"\x00" * 60))
        with translation.override(language), pytest.raises(AssessmentError) as month_refused:
            month_close(this_month, today=timezone.localdate())
        message = str(file_refused.value)
        assert "x.exe" in message and all(w in message for w in words)
        assert is_chinese(message.replace("x.exe", "")) == (language == "zh-hans")
        assert is_chinese(str(month_refused.value)) == (language == "zh-hans")
