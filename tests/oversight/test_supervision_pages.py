"""The supervision pages: the list (filters, overdue answers, Excel export, a fixed number of queries),
a unit's supervision opened, answered and accepted through the pages, the petition page's steps after an
answer, the supervision notice (督办通知书) as Word and PDF, recommendations through the pages."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.test import Client
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from tests.conftest import path_to, register, staff_login
from tests.support.documents import pdf_text
from xinfang.documents.models import NoticeTemplate
from xinfang.org.models import Role
from xinfang.oversight import notices
from xinfang.oversight import services as oversight
from xinfang.oversight.models import Recommendation, Supervision, SupervisionRule
from xinfang.petitions.models import Petitioner, State

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NOW = timezone.now()


def client_for(user) -> Client:
    c = Client()
    staff_login(c, user)
    return c


def petition_supervision(org, *, due: dt.date, **kw) -> Supervision:
    p = register(org, on=NOW, **kw)
    return oversight.supervision_open(
        p, actor=org.u_supervisor, mode="online", reason="群众反映强烈", requirement="七日内报告", answer_due_on=due
    )


def unit_supervision(org, unit, *, due: dt.date, at: dt.datetime | None = None) -> Supervision:
    return oversight.unit_supervision_open(
        unit,
        actor=org.u_supervisor,
        mode="on_site",
        reason="超期事项较多",
        requirement="逐件报告",
        answer_due_on=due,
        at=at,
    )


def rows_of(page: str) -> list[str]:
    return re.findall(r'<a href="/supervision/(\d+)/">', page)


def test_seeded_rules_are_editable_in_the_admin(org):
    assert list(SupervisionRule.objects.values_list("kind", "threshold")) == [
        ("open_days", 60),
        ("headcount", 5),
        ("repeats", 3),
        ("attention", 0),
    ]
    org.u_admin.is_staff = True
    org.u_admin.save(update_fields=["is_staff"])
    page = client_for(org.u_admin).get("/admin/oversight/supervisionrule/")
    assert page.status_code == 200 and "5人以上集体访" in page.content.decode()


def test_list_filters_overdue_and_queries(org, django_assert_max_num_queries):
    past = NOW - dt.timedelta(days=10)
    late = unit_supervision(org, org.town_a, due=TODAY - dt.timedelta(days=1), at=past)
    on_time = unit_supervision(org, org.town_b, due=TODAY + dt.timedelta(days=5))
    of_petition = petition_supervision(org, due=TODAY + dt.timedelta(days=3))
    c = client_for(org.u_supervisor)
    with django_assert_max_num_queries(8):
        page = c.get("/supervision/").content.decode()
    assert set(rows_of(page)) == {str(late.pk), str(on_time.pk), str(of_petition.pk)}
    assert "督办中 3 件 · 待审核答复 0 件 · 答复超期 1 件" in page
    assert rows_of(c.get("/supervision/?state=overdue").content.decode()) == [str(late.pk)]
    assert rows_of(c.get("/supervision/?subject=petition").content.decode()) == [str(of_petition.pk)]
    assert rows_of(c.get(f"/supervision/?unit={org.town_b.pk}").content.decode()) == [str(on_time.pk)]
    assert rows_of(c.get("/supervision/?source=rule").content.decode()) == []
    for n in range(6):
        petition_supervision(org, due=TODAY + dt.timedelta(days=n))
    with django_assert_max_num_queries(8):  # the same number with three times the rows
        page = c.get("/supervision/").content.decode()
    assert len(rows_of(page)) == 9
    export = c.get("/supervision/export.xlsx?state=overdue")
    rows = list(load_workbook(io.BytesIO(export.content)).active.values)
    assert rows[0][:3] == ("编号", "督办对象", "查询码") and len(rows) == 2
    assert rows[1][0] == late.number and rows[1][1] == "单位整体" and rows[1][12] == "是"


def test_what_each_person_sees_on_the_list(org):
    town_a = unit_supervision(org, org.town_a, due=TODAY)
    unit_supervision(org, org.town_b, due=TODAY)
    assert rows_of(client_for(org.user("town_a", Role.HANDLER)).get("/supervision/").content.decode()) == [
        str(town_a.pk)
    ]
    assert rows_of(client_for(org.u_other_bureau_staff).get("/supervision/").content.decode()) == []
    assert client_for(org.user("town_b", Role.HANDLER)).get(f"/supervision/{town_a.pk}/").status_code == 404


def test_unit_supervision_through_the_pages(org):
    supervisor, head = client_for(org.u_supervisor), client_for(org.user("town_a", Role.UNIT_HEAD))
    assert client_for(org.user("town_a", Role.HANDLER)).get("/supervision/new/").status_code == 404
    due = (TODAY + dt.timedelta(days=7)).isoformat()
    response = supervisor.post(
        "/supervision/new/",
        {
            "supervise-unit": org.other_gov.pk,
            "supervise-mode": "on_site",
            "supervise-reason": "x",
            "supervise-requirement": "y",
            "supervise-answer_due_on": due,
        },
    )
    assert response.status_code == 400 and not Supervision.objects.exists()  # not a unit in the county
    response = supervisor.post(
        "/supervision/new/",
        {
            "supervise-unit": org.town_a.pk,
            "supervise-mode": "on_site",
            "supervise-reason": "本月超期事项较多",
            "supervise-requirement": "逐件说明原因",
            "supervise-answer_due_on": due,
        },
    )
    s = Supervision.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/supervision/{s.pk}/"
    page = head.get(f"/supervision/{s.pk}/").content.decode()
    assert "/supervision/%d/answer/" % s.pk in page and "/accept/" not in page
    response = head.post(f"/supervision/{s.pk}/answer/", {"supervision_answer-answer": "已逐件说明"})
    assert response.status_code == 302
    refused = client_for(org.user("town_a", Role.HANDLER)).post(
        f"/supervision/{s.pk}/answer/", {"supervision_answer-answer": "再答"}
    )
    assert refused.status_code == 400 and "督办答复已提交，正等待督办单位审核。" in refused.content.decode()
    page = supervisor.get(f"/supervision/{s.pk}/").content.decode()
    assert "/accept/" in page and "/return/" in page and "已逐件说明" in page
    assert supervisor.post(f"/supervision/{s.pk}/accept/", {"supervision_accept-note": "同意"}).status_code == 302
    s.refresh_from_db()
    assert s.state == "accepted"
    assert "答复已采纳" in supervisor.get(f"/supervision/{s.pk}/").content.decode()


def test_petition_page_offers_accept_and_return_after_the_answer(org):
    s = petition_supervision(org, due=TODAY + dt.timedelta(days=3))
    owner = org.user(org.unit_key(s.petition.owner_unit_id), Role.HANDLER)
    oversight.supervision_answer(s, actor=owner, answer="已处理")
    page = client_for(org.u_supervisor).get(f"/p/{s.petition_id}/").content.decode()
    offered = set(re.findall(rf'action="/p/{s.petition_id}/supervision/(\w+)/"', page))
    assert offered == {"accept", "return"}
    response = client_for(org.u_supervisor).post(
        f"/p/{s.petition_id}/supervision/return/", {"supervision_return-note": "请补充整改时限"}
    )
    assert response.status_code == 302
    s.refresh_from_db()
    assert s.state == "returned"
    assert "督办答复被退回" in client_for(org.u_supervisor).get(f"/p/{s.petition_id}/").content.decode()


# ---------------------------------------------------------------- the notice


def test_notice_text_of_a_petition_supervision(org):
    p = register(
        org, on=NOW, title="村道积水", petitioners=[Petitioner(name="李四"), Petitioner(name="王五")], headcount=7
    )
    due = TODAY + dt.timedelta(days=10)
    s = oversight.supervision_open(
        p,
        actor=org.u_supervisor,
        mode="joint",
        reason="群众多次反映。",
        requirement="会同有关部门处理并报告",
        answer_due_on=due,
    )
    s = Supervision.objects.select_related("petition", "unit", "supervising_unit").get(pk=s.pk)
    n = notices.supervision_notice_text(s)
    text = "\n".join(par.text for par in n.paragraphs)
    assert n.title == "督办通知书" and n.issuer == "示范县信访局"
    assert text.startswith(f"{p.owner_unit.name}：")
    assert "李四、王五等7人" in text and "“村道积水”" in text and "因群众多次反映，本机关决定予以联合督办。" in text
    assert f"请于{due.year}年{due.month}月{due.day}日前将办理情况书面报告本机关" in text
    assert "督办要求：会同有关部门处理并报告" in text and f"督办编号：督〔{NOW.year}〕{s.pk}号" in text


def test_notice_of_a_unit_supervision_as_word_and_pdf(org):
    s = unit_supervision(org, org.town_a, due=TODAY + dt.timedelta(days=5))
    c = client_for(org.user("town_a", Role.HANDLER))  # the supervised unit may read its notice
    docx = c.get(f"/supervision/{s.pk}/notice.docx")
    assert docx.status_code == 200 and "attachment" in docx["Content-Disposition"]
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "青石镇人民政府：" in text and "你单位的信访工作，因超期事项较多，本机关决定予以实地督办。" in text
    pdf = c.get(f"/supervision/{s.pk}/notice.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "你单位的信访工作" in pdf_text(pdf.content)
    # an administrator's wording is used; without an active template the notice is not offered
    NoticeTemplate.objects.filter(kind="supervision").update(body="{{ to_unit.name }}：\n限{{ answer_due_on }}前报告。")
    assert "限" in "\n".join(
        p.text for p in Document(io.BytesIO(c.get(f"/supervision/{s.pk}/notice.docx").content)).paragraphs
    )
    NoticeTemplate.objects.filter(kind="supervision").update(is_active=False)
    assert c.get(f"/supervision/{s.pk}/notice.docx").status_code == 404


# ---------------------------------------------------------------- recommendations through the pages


def test_recommendation_pages(org, django_assert_max_num_queries):
    p, _ = path_to(org, State.ACCEPTED, start=TODAY - dt.timedelta(days=5))
    supervisor = client_for(org.u_supervisor)
    due = (TODAY + dt.timedelta(days=15)).isoformat()
    response = supervisor.post(
        "/recommendations/new/",
        {
            "recommendation-kind": "accountability",
            "recommendation-query_code": p.query_code,
            "recommendation-to_unit": org.discipline.pk,
            "recommendation-text": "建议对拖延办理的责任人追责",
            "recommendation-due_on": due,
        },
    )
    r = Recommendation.objects.get()
    assert response.status_code == 302 and (r.petition, r.to_unit, r.kind) == (p, org.discipline, "accountability")
    response = supervisor.post(
        "/recommendations/new/",
        {
            "recommendation-kind": "work",
            "recommendation-query_code": "NOSUCHCODE0",
            "recommendation-to_unit": org.discipline.pk,
            "recommendation-text": "x",
            "recommendation-due_on": due,
        },
    )
    assert response.status_code == 400 and Recommendation.objects.count() == 1
    discipline = client_for(org.user("discipline", Role.UNIT_HEAD))
    assert discipline.post(f"/recommendations/{r.pk}/answer/", {"answer-answer": "已立案调查"}).status_code == 302
    assert supervisor.post(f"/recommendations/{r.pk}/return/", {"check-note": ""}).status_code == 400
    assert supervisor.post(f"/recommendations/{r.pk}/accept/", {"check-note": "同意"}).status_code == 302
    r.refresh_from_db()
    assert r.state == "accepted"
    with django_assert_max_num_queries(8):
        page = supervisor.get("/recommendations/").content.decode()
    assert "追责建议" in page and "答复已采纳" in page
