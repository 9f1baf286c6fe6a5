"""The registration desk (登记): earlier petitioners by name, phone or ID number; attachments checked
by content and size, stored outside every served folder, read only by those who may see the petition;
likely earlier petitions on the same matter; sensible defaults; a fixed number of queries."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import register
from tests.support.desk import EXE, client_for, form_data, pdf, upload
from xinfang.org.models import User
from xinfang.petitions import attachments as intake_files
from xinfang.petitions import registration
from xinfang.petitions.errors import AttachmentError, WorkflowError
from xinfang.petitions.eventlog import verify_chains
from xinfang.petitions.models import Attachment, Category, Event, Petition, Petitioner
from xinfang.petitions.selectors import LOOKUP_PEOPLE, petitioner_lookup_for
from xinfang.petitions.similar import features, similar_petitions_for, similarity

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """Every test stores its uploads in a folder of its own."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return settings.MEDIA_ROOT


def person(name: str = "王某甲", phone: str = "", id_number: str = "") -> Petitioner:
    return Petitioner(name=name, phone=phone, id_number=id_number)


def earlier(
    org,
    *,
    actor: User | None = None,
    title: str = "村道损坏",
    content: str = "村道损坏，请求维修。",
    region=None,
    people: list[Petitioner] | None = None,
    days_ago: int = 10,
) -> Petition:
    """A petition registered `days_ago` days ago (received then too)."""
    on = NOW - timezone.timedelta(days=days_ago)
    return register(
        org, on=on, actor=actor, region=region, title=title, content=content, petitioners=people or [], received_at=on
    )


# ---------------------------------------------------------------- files of every accepted kind


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
TIFF = b"II*\x00\x08\x00\x00\x00" + b"\x00" * 64
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64


def docx() -> bytes:
    import docx as python_docx

    buf = io.BytesIO()
    document = python_docx.Document()
    document.add_paragraph("来信扫描件的文字版")
    document.save(buf)
    return buf.getvalue()


def xlsx() -> bytes:
    import openpyxl

    buf = io.BytesIO()
    book = openpyxl.Workbook()
    book.active["A1"] = "台账"
    book.save(buf)
    return buf.getvalue()


def ole2(stream: str) -> bytes:
    """A compound file whose directory names `stream` (what .doc and .xls files carry)."""
    return intake_files.OLE2 + b"\x00" * 504 + stream.encode("utf-16-le") + b"\x00" * 200


def zipped(names: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, body in names.items():
            z.writestr(name, body)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "body", "kind"),
    [
        ("来信.pdf", pdf(), "pdf"),
        ("照片.jpg", JPEG, "jpeg"),
        ("scan.png", PNG, "png"),
        ("scan.tif", TIFF, "tiff"),
        ("IMG_0001.HEIC", HEIC, "heic"),
        ("说明.docx", docx(), "docx"),
        ("台账.xlsx", xlsx(), "xlsx"),
        ("旧信.doc", ole2("WordDocument"), "doc"),
        ("旧账.xls", ole2("Workbook"), "xls"),
        # the type comes from the content: a scan sent without its extension is still a PDF
        ("扫描件", pdf(), "pdf"),
    ],
)
def test_accepted_kinds_by_content(name, body, kind):
    checked = intake_files.attachment_check(upload(name, body))
    assert checked.type.key == kind
    assert checked.size == len(body) and checked.sha256 == hashlib.sha256(body).hexdigest()
    assert Path(checked.name).suffix.lower() in checked.type.extensions


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("来信.pdf", EXE),  # a program renamed to look like a scan
        ("照片.jpg", b"<html><script>alert(1)</script></html>"),
        ("资料.zip", zipped({"a.txt": b"x"})),  # an archive could carry anything
        (
            "宏.docx",
            zipped({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<x/>", "word/vbaProject.bin": b"macro"}),
        ),  # Office with macros
        ("安装包.doc", intake_files.OLE2 + b"\x00" * 600),  # a compound file that is no Word or Excel file
    ],
)
def test_other_content_is_refused_whatever_its_name(name, body):
    with pytest.raises(intake_files.AttachmentRefused) as refused:
        intake_files.attachment_check(upload(name, body))
    assert name in str(refused.value) and "不是允许的文件类型" in str(refused.value)


def test_file_names_are_made_safe():
    assert intake_files.safe_name("../../etc/passwd.pdf", intake_files.PDF) == "passwd.pdf"
    assert intake_files.safe_name("C:\\扫描\\来信<1>.PDF", intake_files.PDF) == "来信_1_.pdf"
    assert intake_files.safe_name("photo.exe", intake_files.JPEG) == "photo.exe.jpg"
    assert intake_files.safe_name("", intake_files.PNG) == "附件.png"


# ---------------------------------------------------------------- attachments at registration


def test_registration_with_attachments_stores_them_and_logs_each(org, media):
    c = client_for(org.users["clerk"])
    files = [upload("来信扫描.pdf", pdf(), "application/pdf"), upload("现场照片.jpg", JPEG, "image/jpeg")]
    response = c.post("/register/", form_data(attachments=files))
    assert response.status_code == 302
    p = Petition.objects.get()
    attachments = list(p.attachments.order_by("pk"))
    assert [(a.name, a.content_type, a.size) for a in attachments] == [
        ("来信扫描.pdf", "application/pdf", len(pdf())),
        ("现场照片.jpg", "image/jpeg", len(JPEG)),
    ]
    for a, body in zip(attachments, (pdf(), JPEG)):
        stored = Path(a.file.path)
        assert stored.read_bytes() == body and a.sha256 == hashlib.sha256(body).hexdigest()
        assert stored.is_relative_to(media) and stored.parent == media / "petitions" / str(p.pk)
        assert a.uploaded_by == org.users["clerk"]
    # one "attach" event per file after "register", in the hash chain, which still verifies
    events = list(p.events.order_by("seq"))
    assert [e.action for e in events] == ["register", "attach", "attach"]
    assert events[1].data == {
        "attachment": attachments[0].pk,
        "name": "来信扫描.pdf",
        "size": len(pdf()),
        "sha256": attachments[0].sha256,
        "content_type": "application/pdf",
    }
    assert list(verify_chains([p.pk])) == []
    page = c.get(f"/p/{p.pk}/").content.decode()
    assert "添加附件" in page and "来信扫描.pdf" in page and f"/p/{p.pk}/attachments/{attachments[0].pk}/" in page


def test_uploads_are_kept_outside_every_served_folder(org, media):
    uploads = Path(django_settings.MEDIA_ROOT).resolve()
    for served in [Path(django_settings.STATIC_ROOT), *map(Path, getattr(django_settings, "STATICFILES_DIRS", []))]:
        assert not uploads.is_relative_to(served.resolve())
    assert "static" not in uploads.parts
    p = register(org, on=NOW)
    a = registration.attachment_add(p, actor=org.users["clerk"], file=upload("信.pdf", pdf()))
    # no URL serves the folder: the file is only reached through the download view
    assert client_for(org.users["clerk"]).get(f"/{django_settings.MEDIA_URL}{a.file.name}").status_code == 404


def test_stored_names_are_unique_and_unguessable(org):
    p = register(org, on=NOW)
    a = registration.attachment_add(p, actor=org.users["clerk"], file=upload("来信.pdf", pdf()))
    b = registration.attachment_add(p, actor=org.users["clerk"], file=upload("来信.pdf", pdf()))
    assert a.name == b.name == "来信.pdf" and a.file.name != b.file.name
    assert a.file.name.startswith(f"petitions/{p.pk}/") and len(Path(a.file.name).stem) >= 16


def test_a_renamed_program_is_refused_and_nothing_is_registered(org, media):
    c = client_for(org.users["clerk"])
    files = [upload("来信.pdf", pdf()), upload("扫描件.pdf", EXE, "application/pdf")]
    response = c.post("/register/", form_data(title="拖欠工资三个月", attachments=files))
    assert response.status_code == 400
    page = response.content.decode()
    assert "附件“扫描件.pdf”不是允许的文件类型" in page
    assert 'value="拖欠工资三个月"' in page and 'value="13900001111"' in page  # what was typed is kept
    assert "请重新选择" in page  # files cannot be kept by a browser: say so
    assert Petition.objects.count() == Attachment.objects.count() == Event.objects.count() == 0
    assert not media.exists() or not any(media.rglob("*.*"))


def test_a_file_too_large_is_refused_with_the_limit(org, settings, media):
    settings.ATTACHMENT_MAX_BYTES = 1024
    c = client_for(org.users["clerk"])
    response = c.post("/register/", form_data(attachments=[upload("大扫描件.pdf", pdf(2048))]))
    assert response.status_code == 400
    assert "附件“大扫描件.pdf”大小为 2 KB，超过每个文件 1 KB 的上限" in response.content.decode()
    assert Petition.objects.count() == 0
    # the default limit is 20 MB
    del settings.ATTACHMENT_MAX_BYTES
    assert intake_files.max_bytes() == 20 * 1024 * 1024


def test_the_service_refuses_too_and_registers_nothing(org, media):
    with pytest.raises(AttachmentError) as refused:
        registration.petition_register(
            actor=org.users["clerk"],
            channel="visit",
            kind="suggestion",
            region=org.regions["village_a"],
            title="道路",
            content="道路积水",
            attachments=[upload("a.pdf", pdf()), upload("b.pdf", EXE)],
        )
    assert refused.value.file_name == "b.pdf"
    assert Petition.objects.count() == Attachment.objects.count() == 0
    assert not media.exists() or not any(media.rglob("*.*"))


def test_a_failure_after_the_files_are_stored_removes_them(org, media, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(Event.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        registration.petition_register(
            actor=org.users["clerk"],
            channel="visit",
            kind="suggestion",
            region=org.regions["village_a"],
            title="道路",
            content="道路积水",
            attachments=[upload("a.pdf", pdf())],
        )
    assert not any(media.rglob("*.*"))


# ---------------------------------------------------------------- attachments later, and downloads


def test_files_added_from_the_petition_page(org):
    p = register(org, on=NOW)
    c = client_for(org.users["clerk"])
    response = c.post(f"/p/{p.pk}/attachments/", {"files": [upload("补充材料.docx", docx())]})
    assert response.status_code == 302 and response["Location"] == f"/p/{p.pk}/#attachments"
    a = p.attachments.get()
    assert a.content_type == intake_files.DOCX.content_type
    assert [e.action for e in p.events.order_by("seq")] == ["register", "attach"]
    assert list(verify_chains([p.pk])) == []
    page = c.get(f"/p/{p.pk}/").content.decode()
    assert "补充材料.docx" in page and "添加附件" in page
    # refused by content: a message naming the file, nothing added
    response = c.post(f"/p/{p.pk}/attachments/", {"files": [upload("说明.docx", EXE)]}, follow=True)
    assert "附件“说明.docx”不是允许的文件类型" in response.content.decode()
    assert p.attachments.count() == 1 and p.events.count() == 2


def test_only_those_who_may_see_the_petition_get_its_files(org):
    p = register(org, on=NOW, actor=org.users["town_a_clerk"])
    a = registration.attachment_add(p, actor=org.users["town_a_clerk"], file=upload("举报信.pdf", pdf()))
    url = f"/p/{p.pk}/attachments/{a.pk}/"
    response = client_for(org.users["town_a_clerk"]).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf()
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"].startswith("attachment;")
        and "filename*=utf-8''" in response["Content-Disposition"]
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    # another township's staff: the same answer as for a file that does not exist
    other = client_for(org.users["town_b_clerk"])
    assert other.get(url).status_code == 404
    assert other.get(f"/p/{p.pk}/attachments/{a.pk + 1000}/").status_code == 404
    assert other.post(f"/p/{p.pk}/attachments/", {"files": [upload("x.pdf", pdf())]}).status_code == 404
    # a file of another petition is not reached through this one
    q = register(org, on=NOW, actor=org.users["town_b_clerk"])
    assert client_for(org.users["town_b_clerk"]).get(f"/p/{q.pk}/attachments/{a.pk}/").status_code == 404
    assert Client().get(url).status_code == 302  # not logged in: to the login page
    assert p.attachments.count() == 1


def test_leaders_may_read_but_not_add(org):
    p = register(org, on=NOW)
    leader = org.users["leader"]
    with pytest.raises(WorkflowError):
        registration.attachment_add(p, actor=leader, file=upload("a.pdf", pdf()))
    assert "attachment_upload" not in client_for(leader).get(f"/p/{p.pk}/").content.decode()
    assert p.attachments.count() == 0


# ---------------------------------------------------------------- earlier petitioners by name, phone, ID number

ID_NUMBER = "990121199001011234"


@pytest.mark.parametrize(
    "typed",
    [
        {"name": "王某甲"},
        {"phone": "137 0000-2222"},
        {"phone": "+86 13700002222"},
        {"id_number": "990121 19900101 1234"},
        {"id_number": ID_NUMBER.lower()},
    ],
)
def test_lookup_by_name_phone_or_id_number(org, typed):
    p = earlier(org, title="第一次来访", people=[person("王某甲", "13700002222", ID_NUMBER)])
    page = client_for(org.users["clerk"]).get("/register/lookup", typed).content.decode()
    assert p.query_code in page and "第一次来访" in page
    who = p.petitioners.get()
    assert f'name="petitioner_id" value="{who.pk}"' in page and f'name="related" value="{p.pk}"' in page
    assert "137****2222" in page and ID_NUMBER not in page  # personal data masked in the list


def test_lookup_never_shows_another_townships_petitions(org):
    mine = earlier(org, actor=org.users["town_a_clerk"], title="青石镇的事", people=[person("王某甲", "13700002222")])
    theirs = earlier(
        org,
        actor=org.users["town_b_clerk"],
        title="柳河镇的事",
        region=org.regions["village_b"],
        people=[person("王某甲", "13700002222")],
    )
    for typed in ({"name": "王某甲"}, {"phone": "13700002222"}):
        a = client_for(org.users["town_a_clerk"]).get("/register/lookup", typed).content.decode()
        assert "青石镇的事" in a and "柳河镇的事" not in a and theirs.query_code not in a
        assert f'value="{theirs.petitioners.get().pk}"' not in a  # nor the person known only from there
        b = client_for(org.users["town_b_clerk"]).get("/register/lookup", typed).content.decode()
        assert "柳河镇的事" in b and "青石镇的事" not in b and mine.query_code not in b
    # the county bureau's staff see their whole county
    staff = petitioner_lookup_for(org.users["bureau_staff"], name="王某甲")
    assert {p.title for m in staff for p in m.petitions} == {"青石镇的事", "柳河镇的事"}


def test_lookup_ranks_stronger_matches_first_and_is_bounded(org):
    for i in range(LOOKUP_PEOPLE + 3):
        earlier(org, title=f"同名{i}", people=[person("张某丙", f"1360000{i:04d}")], days_ago=i + 1)
    same = earlier(org, title="本人", people=[person("张某丙", "13911112222")], days_ago=30)
    matches = petitioner_lookup_for(org.users["clerk"], name="张某丙", phone="13911112222")
    assert len(matches) == LOOKUP_PEOPLE
    assert matches[0].person == same.petitioners.get() and matches[0].matched_on == ("name", "phone")
    assert all(m.matched_on == ("name",) for m in matches[1:])
    page = client_for(org.users["clerk"]).get("/register/lookup", {"name": "张某丙"}).content.decode()
    assert "只有姓名相同" in page


def test_lookup_matches_exact_values_on_indexes_never_a_scan(org):
    earlier(org, people=[person("王某甲", "13700002222", ID_NUMBER)])
    with CaptureQueriesContext(connection) as ctx:
        assert petitioner_lookup_for(org.users["clerk"], name="王某", phone="1370000", id_number="9901211990") == []
        found = petitioner_lookup_for(org.users["clerk"], name="王某甲", phone="13700002222", id_number=ID_NUMBER)
    assert len(found) == 1
    assert not any("LIKE" in q["sql"].upper() for q in ctx.captured_queries)
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, Petitioner._meta.db_table)
    indexed = {tuple(c["columns"]) for c in indexes.values() if c["index"] or c["unique"]}
    # phone and ID number are encrypted: matched by their keyed hashes, never by their text
    assert {("name",), ("phone_digest",), ("id_number_digest",)} <= indexed
    assert not any("13700002222" in str(q["sql"]) or ID_NUMBER in str(q["sql"]) for q in ctx.captured_queries)


def test_registering_the_same_person_links_the_earlier_petition(org):
    p = earlier(org, people=[person("王某甲", "13700002222", ID_NUMBER)])
    who = p.petitioners.get()
    c = client_for(org.users["clerk"])
    data = form_data(name="王某甲", phone="", id_number=ID_NUMBER, petitioner_id=str(who.pk), related=[str(p.pk)])
    assert c.post("/register/", data).status_code == 302
    new = Petition.objects.exclude(pk=p.pk).get()
    assert list(new.petitioners.all()) == [who] and list(new.related.all()) == [p]


def test_a_new_petitioner_is_stored_with_the_numbers_as_matched(org):
    c = client_for(org.users["clerk"])
    assert c.post("/register/", form_data(phone="139 0000-1111", id_number="990121 19900101 123x")).status_code == 302
    who = Petition.objects.get().petitioners.get()
    assert (who.phone, who.id_number) == ("13900001111", "99012119900101123X")
    assert petitioner_lookup_for(org.users["clerk"], phone="13900001111")[0].person == who


def test_a_petitioner_the_user_may_not_see_cannot_be_chosen(org):
    theirs = earlier(
        org, actor=org.users["town_b_clerk"], region=org.regions["village_b"], people=[person("王某甲", "13700002222")]
    )
    c = client_for(org.users["town_a_clerk"])
    response = c.post("/register/", form_data(petitioner_id=str(theirs.petitioners.get().pk)))
    assert response.status_code == 400 and Petition.objects.count() == 1


# ---------------------------------------------------------------- likely earlier petitions on the same matter

WAGES = (
    "拖欠农民工工资",
    "青石镇丰收村的建筑工地承包商拖欠二十多名农民工工资共计八万元，已经半年，多次找包工头讨要无果，请求政府督促支付。",
)
WAGES_AGAIN = (
    "农民工工资被拖欠",
    "丰收村建筑工地的承包商拖欠我们二十多名农民工的工资八万元，半年了，"
    "找包工头讨要多次都没有结果，请政府督促尽快支付。",
)
ROAD = ("村道积水", "丰收村村口道路每逢下雨严重积水，学生上学和村民出行都很困难，请求修建排水沟。")
NOISE = ("夜间施工噪音", "青石镇中学旁边的工地每天夜里施工到凌晨，噪音很大，影响学生休息。")


def test_the_near_duplicate_ranks_first_and_an_unrelated_text_is_not_listed(org):
    wages = earlier(org, title=WAGES[0], content=WAGES[1], days_ago=40)
    road = earlier(org, title=ROAD[0], content=ROAD[1], days_ago=5)
    noise = earlier(org, title=NOISE[0], content=NOISE[1], days_ago=3)
    found = similar_petitions_for(
        org.users["clerk"], title=WAGES_AGAIN[0], content=WAGES_AGAIN[1], region=org.regions["village_a"]
    )
    assert [s.petition for s in found] == [wages]
    assert found[0].same_place and found[0].similarity > 0.4 and found[0].words
    assert road not in [s.petition for s in found] and noise not in [s.petition for s in found]
    # the figures: the same text is 1, unrelated texts stay far below the threshold
    assert similarity(features(*WAGES), features(*WAGES)) == pytest.approx(1.0)
    assert similarity(features(*WAGES), features(*ROAD)) < 0.1


def test_the_panel_shows_why_and_lets_the_clerk_link(org):
    who = person("王某甲", "13700002222")
    wages = earlier(org, title=WAGES[0], content=WAGES[1], people=[who])
    c = client_for(org.users["clerk"])
    params = {"title": WAGES_AGAIN[0], "content": WAGES_AGAIN[1], "place": "丰收村", "petitioner_id": str(who.pk)}
    page = c.get("/register/similar", params).content.decode()
    assert wages.query_code in page and f'name="related" value="{wages.pk}"' in page
    assert "同一信访人" in page and "同一地点" in page and "相似" in page and "相同词语" in page
    page = c.get("/register/similar", {**params, "title": ROAD[0], "content": ROAD[1]}).content.decode()
    assert wages.query_code not in page and "可能是同一事项" not in page and "没有看起来是同一事项" in page
    # ticking it links the new petition to it
    assert (
        c.post(
            "/register/", form_data(title=WAGES_AGAIN[0], content=WAGES_AGAIN[1], related=[str(wages.pk)])
        ).status_code
        == 302
    )
    assert list(Petition.objects.exclude(pk=wages.pk).get().related.all()) == [wages]


def test_similar_petitions_only_those_the_user_may_see(org):
    # placed in 丰收村 (青石镇) but registered by 柳河镇: the clerk of 青石镇 does not see it
    hidden = earlier(org, actor=org.users["town_b_clerk"], title=WAGES[0], content=WAGES[1])
    assert (
        similar_petitions_for(
            org.users["town_a_clerk"], title=WAGES_AGAIN[0], content=WAGES_AGAIN[1], region=org.regions["village_a"]
        )
        == []
    )
    found = similar_petitions_for(
        org.users["bureau_staff"], title=WAGES_AGAIN[0], content=WAGES_AGAIN[1], region=org.regions["village_a"]
    )
    assert [s.petition for s in found] == [hidden]
    # another township's petitions are not candidates at all
    assert (
        similar_petitions_for(
            org.users["bureau_staff"], title=WAGES_AGAIN[0], content=WAGES_AGAIN[1], region=org.regions["village_b"]
        )
        == []
    )


def test_the_candidates_are_bounded(org, monkeypatch):
    from xinfang.petitions import similar

    monkeypatch.setattr(similar, "TOWNSHIP_RECENT", 3)
    monkeypatch.setattr(similar, "PLACE_OWN", 0)
    old = earlier(org, title=WAGES[0], content=WAGES[1], days_ago=100)
    for i in range(4):
        earlier(org, title=f"其他事项{i}", content=ROAD[1], days_ago=i + 1)
    places, _mine = similar.candidate_ids(org.regions["village_a"])
    assert len(places) == 3 and old.pk not in places


# ---------------------------------------------------------------- defaults and pickers


def test_the_form_starts_with_sensible_defaults(org):
    page = client_for(org.users["clerk"]).get("/register/").content.decode()
    assert 'value="visit" id="id_channel_0" checked autofocus' in page  # a visit, the commonest at the desk
    now = timezone.localtime()
    assert f'value="{now.strftime("%Y-%m-%dT%H:")}' in page  # received now (to the minute)
    assert 'list="place-list"' in page and 'list="category-list"' in page
    assert 'enctype="multipart/form-data"' in page and 'type="file" name="attachments"' in page and "multiple" in page
    assert 'src="/static/workbench/register.js"' in page  # Enter moves on; Ctrl+Enter registers (the script)
    assert 'hx-get="/register/lookup"' in page and 'hx-get="/register/similar"' in page


def test_place_and_category_picked_by_any_part_of_the_name(org):
    paths = list(Category.objects.filter(level__gte=2).values_list("path", flat=True))
    leaf, unique_part = next(
        (c, c.path[i : i + 4])
        for c in Category.objects.filter(level=3).order_by("path")
        for i in range(len(c.path) - 3)
        if sum(c.path[i : i + 4] in p for p in paths) == 1
    )
    c = client_for(org.users["clerk"])
    assert c.post("/register/", form_data(place="丰收", category=unique_part)).status_code == 302
    p = Petition.objects.get()
    assert (p.region, p.category) == (org.regions["village_a"], leaf)
    response = c.post("/register/", form_data(place="镇"))  # 青石镇 and 柳河镇: which one?
    assert response.status_code == 400 and "有多个地点包含" in response.content.decode()


# ---------------------------------------------------------------- a fixed number of queries


def count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def more_petitions(org, n: int, start: int) -> None:
    for i in range(start, start + n):
        earlier(org, title=f"{WAGES[0]}{i}", content=WAGES[1], people=[person("王某甲", "13700002222")], days_ago=i + 1)


@pytest.mark.django_db(transaction=True)
def test_registration_costs_a_fixed_number_of_queries(org, category_model):
    """Counted as a request runs: outside a test's transaction (inside one, the request's BEGIN and
    COMMIT would be a SAVEPOINT and its RELEASE), with a category model installed (the proposal shown
    is kept) and a petitioner to notify (the outbox): 12 statements, BEGIN and COMMIT included, at 5
    and at 50 earlier petitions; attachments add one INSERT, however many there are."""
    c = client_for(org.users["clerk"])
    c.get("/register/")  # the session and the cached tables are warm, as at a desk

    def post(files: int = 0) -> None:
        data = form_data(attachments=[upload(f"来信{i}.pdf", pdf(), "application/pdf") for i in range(files)])
        assert c.post("/register/", data).status_code == 302

    more_petitions(org, 5, 0)
    few = count_queries(post)
    more_petitions(org, 45, 5)
    many = count_queries(post)
    assert few == many <= 12
    assert count_queries(lambda: post(files=1)) == count_queries(lambda: post(files=3)) == many + 1


@pytest.mark.parametrize(
    ("url", "params", "shown"),
    [
        ("/register/lookup", {"name": "王某甲", "phone": "13700002222", "id_number": ID_NUMBER}, "王某甲"),
        (
            "/register/similar",
            {"title": WAGES_AGAIN[0], "content": WAGES_AGAIN[1], "place": "丰收村", "petitioner_id": "1"},
            "可能是同一事项",
        ),
    ],
)
def test_the_panels_cost_a_fixed_number_of_queries(org, url, params, shown):
    c = client_for(org.users["clerk"])
    c.get("/register/")

    def get() -> None:
        response = c.get(url, params)
        assert response.status_code == 200 and shown in response.content.decode()

    more_petitions(org, 5, 0)
    few = count_queries(get)
    more_petitions(org, 45, 5)
    many = count_queries(get)
    assert few == many <= 8
