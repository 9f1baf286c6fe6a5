"""Notices (告知书、意见书) from the administrator's templates, as Word and PDF."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from tests.conftest import D, act, at_date, handler, head, path_to, register, staff_login
from tests.support.documents import pdf_text
from xinfang.documents import layout, services
from xinfang.documents.defaults import DEFAULT_TEMPLATES
from xinfang.documents.models import NoticeKind as K
from xinfang.documents.models import NoticeTemplate
from xinfang.petitions.models import State
from xinfang.petitions.services import query_code_display

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_template_cache():
    """The active kinds are cached per process; a test's rollback does not clear them."""
    services.invalidate_cache()
    yield
    services.invalidate_cache()


TITLES = {kind: title for kind, (title, _body) in DEFAULT_TEMPLATES.items()}
TITLES[K.ROUTING] = "信访事项转送单"  # the verb is filled in: 转送 or 交办


def docx_text(body: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(body)).paragraphs)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def reexamined(org):
    """Handled by 县人社局 (decided 3-12), reviewed by 县政府 (3-22), reexamined by 市政府 (4-1)."""
    p, _day = path_to(org, State.REEXAMINED)
    return p


@pytest.fixture
def extended(org):
    p, _day = path_to(org, State.ACCEPTED)
    return act(org, "extend", p, head(org, "hrss"), at_date(D(2026, 3, 20)), days=10, reason="需要现场勘查")


# ---------------------------------------------------------------- which notices


def test_notices_available_follows_the_state(org):
    def kinds(state: str) -> list[str]:
        return services.notices_available(path_to(org, state)[0])

    assert kinds(State.REGISTERED) == []
    assert kinds(State.FORWARDED) == [K.ROUTING]
    assert kinds(State.ASSIGNED) == [K.ROUTING]
    assert kinds(State.DECLINED) == [K.DECLINE]
    assert kinds(State.REDIRECTED) == []
    assert kinds(State.ACCEPTED) == [K.ROUTING, K.ACCEPTANCE]
    assert kinds(State.DECIDED) == [K.ROUTING, K.ACCEPTANCE, K.HANDLING]
    # a review goes up to the next-higher unit: the forwarding slip is no longer this unit's document
    assert kinds(State.REVIEWED) == [K.ACCEPTANCE, K.HANDLING, K.REVIEW]
    assert kinds(State.REEXAMINED) == [K.ACCEPTANCE, K.HANDLING, K.REVIEW, K.REEXAMINATION]


def test_extension_notice_only_after_an_extension(org, extended):
    assert K.EXTENSION in services.notices_available(extended)
    not_extended, _day = path_to(org, State.ACCEPTED)
    assert K.EXTENSION not in services.notices_available(not_extended)
    with pytest.raises(services.NoticeUnavailable):
        services.notice_docx(not_extended, K.EXTENSION)


def test_no_handling_opinion_before_a_decision(org):
    p, _day = path_to(org, State.ACCEPTED)
    with pytest.raises(services.NoticeUnavailable, match="处理意见书"):
        services.notice_pdf(p, K.HANDLING)


def test_an_inactive_template_is_not_offered(org, reexamined):
    template = NoticeTemplate.objects.get(kind=K.REVIEW)
    template.is_active = False
    template.save()
    assert K.REVIEW not in services.notices_available(reexamined)
    with pytest.raises(services.NoticeUnavailable, match="模板"):
        services.notice_docx(reexamined, K.REVIEW)


def test_notice_context_query_count_is_fixed(org, reexamined, extended, django_assert_num_queries):
    declined, _ = path_to(org, State.DECLINED)
    cases = [(reexamined, k) for k in (K.ACCEPTANCE, K.HANDLING, K.REVIEW, K.REEXAMINATION)]
    cases += [(extended, K.ROUTING), (extended, K.EXTENSION), (declined, K.DECLINE)]
    for petition, kind in cases:
        with django_assert_num_queries(6):
            services.notice_context(petition, kind)


# ---------------------------------------------------------------- what each notice says


def _all_notices(org, reexamined, extended):
    declined, _ = path_to(org, State.DECLINED)
    assigned, _ = path_to(org, State.ASSIGNED)
    return [(reexamined, k) for k in (K.ACCEPTANCE, K.HANDLING, K.REVIEW, K.REEXAMINATION)] + [
        (extended, K.ROUTING),
        (extended, K.EXTENSION),
        (declined, K.DECLINE),
        (assigned, K.ROUTING),
    ]


def test_every_notice_renders_as_docx_and_pdf(org, reexamined, extended):
    for petition, kind in _all_notices(org, reexamined, extended):
        context = services.notice_context(petition, kind)
        title = TITLES[kind] if context.get("route_verb") != "交办" else "信访事项交办单"
        code = query_code_display(petition.query_code)

        word = services.notice_docx(petition, kind)
        text = docx_text(word)
        assert text.splitlines()[0] == title
        assert code in text
        if context["due_on"]:
            assert context["due_on"] in text
        assert text.splitlines()[-1] == context["issued_on"]
        assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", context["issued_on"])

        pdf = services.notice_pdf(petition, kind)
        assert pdf.startswith(b"%PDF")
        extracted = pdf_text(pdf)
        assert extracted.startswith(title)
        assert code in extracted
        assert flat(context["issued_on"]) in extracted
        if context["due_on"]:
            assert context["due_on"] in extracted


def test_the_words_of_each_notice(org, reexamined, extended):
    code = query_code_display(reexamined.query_code)
    acceptance = docx_text(services.notice_docx(reexamined, K.ACCEPTANCE))
    assert acceptance.startswith("信访事项受理告知书\n张三：\n")
    assert f"查询码：{code}" in acceptance
    assert "本机关已于2026年3月4日依法受理" in acceptance and "60日内办结" in acceptance
    assert acceptance.splitlines()[-2:] == ["县人力资源和社会保障局", "2026年3月4日"]

    handling = docx_text(services.notice_docx(reexamined, K.HANDLING))
    assert "经调查，诉求合理，予以支持。" in handling
    assert "本机关对你（们）的诉求予以支持" in handling
    ctx = services.notice_context(reexamined, K.HANDLING)
    assert f"30日内，即于{ctx['due_on']}前，向示范县人民政府请求复查" in handling
    assert handling.splitlines()[-2:] == ["县人力资源和社会保障局", "2026年3月12日"]

    review = docx_text(services.notice_docx(reexamined, K.REVIEW))
    assert "对县人力资源和社会保障局于2026年3月12日出具的处理意见不服" in review
    assert "向示范市人民政府请求复核" in review

    final = docx_text(services.notice_docx(reexamined, K.REEXAMINATION))
    assert "最终处理意见" in final and "不再受理" in final and "同一事实和理由" in final
    assert "请求复" not in final.split("不服")[-1]  # no further appeal is offered
    assert final.splitlines()[-2] == "示范市人民政府"

    slip = docx_text(services.notice_docx(extended, K.ROUTING))
    ctx = services.notice_context(extended, K.ROUTING)
    assert slip.startswith("信访事项转送单\n县人力资源和社会保障局：\n")
    assert f"于{ctx['acceptance_due_on']}前将是否受理的情况书面告知信访人" in slip
    assert "报告办理结果" not in slip
    assert slip.splitlines()[-2] == "示范县信访局"

    extension = docx_text(services.notice_docx(extended, K.EXTENSION))
    assert "因需要现场勘查" in extension and "延长10日" in extension
    assert "原定于2026年5月6日前办结" in extension and "延长后的办结期限为2026年5月13日" in extension
    assert extension.splitlines()[-1] == "2026年3月20日"


def test_assignment_slip_and_decline_notice(org):
    assigned, _ = path_to(org, State.ASSIGNED)
    ctx = services.notice_context(assigned, K.ROUTING)
    slip = docx_text(services.notice_docx(assigned, K.ROUTING))
    assert slip.startswith("信访事项交办单\n青石镇人民政府：\n")
    assert ctx["report_due_on"] and f"请于{ctx['report_due_on']}前将办理结果报告本机关" in slip

    declined, _ = path_to(org, State.DECLINED)
    notice = docx_text(services.notice_docx(declined, K.DECLINE))
    assert notice.startswith("信访事项不予受理告知书\n张三：\n")
    assert "该事项不属于本机关职权范围" in notice and "决定不予受理" in notice
    assert notice.splitlines()[-2:] == ["示范县信访局", "2026年3月3日"]


def test_anonymous_and_collective_addressees(org):
    anonymous, _ = path_to(org, State.ACCEPTED, kind="suggestion")
    assert services.notice_context(anonymous, K.ACCEPTANCE)["petitioner_names"] == "信访人"
    from xinfang.petitions.models import Petitioner

    people = [Petitioner(name=n) for n in ("甲某", "乙某")]
    collective, _ = path_to(org, State.ACCEPTED, petitioners=people, representatives=people, headcount=12)
    assert services.notice_context(collective, K.ACCEPTANCE)["petitioner_names"] == "甲某、乙某等12人"


# ---------------------------------------------------------------- typesetting


def test_docx_is_typeset_like_an_official_notice(org, reexamined):
    doc = Document(io.BytesIO(services.notice_docx(reexamined, K.HANDLING)))
    section = doc.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    title, addressee, *body = doc.paragraphs
    sign, date = body[-2:]
    body = body[:-2]
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert all(r.bold for r in title.runs) and title.runs[0].font.size.pt == 22
    assert title.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
    assert addressee.paragraph_format.first_line_indent is None
    for p in body:
        assert p.paragraph_format.first_line_indent.pt == 32  # two characters of 16 pt
        assert p._p.pPr.ind.get(qn("w:firstLineChars")) == "200"
        assert p.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋"
        assert p.runs[0].font.size.pt == 16
    assert sign.alignment == date.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert date.paragraph_format.right_indent.pt >= 4 * 16


def test_chinese_line_breaking():
    def width(text: str) -> float:
        return sum(0.5 if ord(ch) < 0x2000 else 1.0 for ch in text)

    lines = layout._break_lines("一二三四五，六七八九十。", width, 5, 5)
    assert lines == ["一二三四五，", "六七八九十。"]  # the comma hangs, it never starts a line
    lines = layout._break_lines("一二三四“五六”七", width, 5, 5)
    assert lines == ["一二三四", "“五六”七"]  # an opening quote never ends a line
    lines = layout._break_lines("查询码ABCDE-FGHJK好", width, 6, 6)
    assert "ABCDE-FGHJK" in lines[1]  # a code is not cut in two


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_pdftotext_reads_the_pdf(org, reexamined, tmp_path):
    path = tmp_path / "notice.pdf"
    path.write_bytes(services.notice_pdf(reexamined, K.REEXAMINATION))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert text.strip().startswith("信访事项复核意见书")
    assert query_code_display(reexamined.query_code) in text and "不再受理" in flat(text)
    assert "\x00" not in text


def test_pdf_needs_the_font_and_says_so(org, reexamined, settings):
    settings.NOTICE_FONT = "/nonexistent/font.ttc"
    with pytest.raises(layout.FontMissing, match="fonts-noto-cjk"):
        services.notice_pdf(reexamined, K.ACCEPTANCE)


# ---------------------------------------------------------------- the administrator's wording


@pytest.fixture
def admin_client(org):
    """The Django admin as a site administrator (the org's own "admin" user is no staff member)."""
    from xinfang.org.models import User

    user = User.objects.create_superuser("site_admin", "", "x-pass-123")
    c = Client()
    staff_login(c, user)
    return c


def test_an_admin_edit_changes_the_output(org, reexamined, admin_client):
    template = NoticeTemplate.objects.get(kind=K.ACCEPTANCE, is_active=True)
    url = f"/admin/documents/noticetemplate/{template.pk}/change/"
    assert admin_client.get(url).status_code == 200
    body = "{{ petitioner_names }}：\n你的事项（{{ query_code }}）已由{{ unit.name }}受理，限{{ due_on }}前办结。"
    response = admin_client.post(
        url, {"kind": K.ACCEPTANCE, "title": "受理通知（{{ petition.title }}）", "body": body, "is_active": "on"}
    )
    assert response.status_code == 302
    ctx = services.notice_context(reexamined, K.ACCEPTANCE)
    expected = f"你的事项（{ctx['query_code']}）已由县人力资源和社会保障局受理，限{ctx['due_on']}前办结。"
    assert docx_text(services.notice_docx(reexamined, K.ACCEPTANCE)).splitlines()[:3] == [
        "受理通知（村道损坏）",
        "张三：",
        expected,
    ]
    assert flat(expected) in pdf_text(services.notice_pdf(reexamined, K.ACCEPTANCE))


def test_admin_refuses_a_broken_template_and_a_second_active_one(org, admin_client):
    response = admin_client.post(
        "/admin/documents/noticetemplate/add/",
        {"kind": K.DECLINE, "title": "不予受理", "body": "{% if %}坏的模板", "is_active": ""},
    )
    assert response.status_code == 200 and NoticeTemplate.objects.filter(kind=K.DECLINE).count() == 1
    response = admin_client.post(
        "/admin/documents/noticetemplate/add/",
        {"kind": K.DECLINE, "title": "第二个", "body": "{{ petitioner_names }}：\n正文", "is_active": "on"},
    )
    assert response.status_code == 200 and NoticeTemplate.objects.filter(kind=K.DECLINE).count() == 1


def test_admin_restores_the_default_wording(org, admin_client):
    template = NoticeTemplate.objects.get(kind=K.HANDLING)
    NoticeTemplate.objects.filter(pk=template.pk).update(title="改过的", body="改过的正文")
    admin_client.post(
        "/admin/documents/noticetemplate/", {"action": "restore_defaults", "_selected_action": [template.pk]}
    )
    template.refresh_from_db()
    assert (template.title, template.body) == DEFAULT_TEMPLATES[K.HANDLING]


# ---------------------------------------------------------------- views


def _client(user) -> Client:
    c = Client()
    staff_login(c, user)
    return c


def test_views_serve_the_notices_to_those_who_may_see_the_petition(org):
    p = register(org, on=at_date(D(2026, 3, 2)), actor=org.users["town_a_clerk"], kind="claim")
    p = act(org, "accept", p, handler(org, "town_a"), at_date(D(2026, 3, 3)))
    own = _client(handler(org, "town_a"))

    word = own.get(f"/p/{p.pk}/notice/acceptance.docx")
    assert word.status_code == 200
    assert word["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert "attachment" in word["Content-Disposition"] and ".docx" in word["Content-Disposition"]
    assert "信访事项受理告知书" in docx_text(word.content)
    pdf = own.get(f"/p/{p.pk}/notice/acceptance.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    page = own.get(f"/p/{p.pk}/").content.decode()
    assert f'href="/p/{p.pk}/notice/acceptance.docx"' in page
    assert f'href="/p/{p.pk}/notice/acceptance.pdf"' in page
    assert "/notice/handling." not in page

    other_township = _client(handler(org, "town_b"))
    assert other_township.get(f"/p/{p.pk}/notice/acceptance.docx").status_code == 404
    assert other_township.get(f"/p/{p.pk}/notice/acceptance.pdf").status_code == 404
    assert own.get(f"/p/{p.pk}/notice/handling.docx").status_code == 404  # no decision yet
    assert own.get(f"/p/{p.pk}/notice/nonsense.pdf").status_code == 404
    assert Client().get(f"/p/{p.pk}/notice/acceptance.docx").status_code == 302  # to the login page


def test_petition_page_lists_notices_in_few_queries(org, reexamined):
    c = _client(org.users["admin"])
    with CaptureQueriesContext(connection) as ctx:
        page = c.get(f"/p/{reexamined.pk}/")
    html = page.content.decode()
    for kind in (K.ACCEPTANCE, K.HANDLING, K.REVIEW, K.REEXAMINATION):
        assert f"/notice/{kind}.pdf" in html
    assert len(ctx.captured_queries) < 40
