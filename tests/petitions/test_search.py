"""Chinese full-text search of petitions (xinfang.petitions.search): what staff type in the work
queue's search box finds the petitions whose title or content has every word of it, within what
they may see, whatever they type."""

from __future__ import annotations

import logging

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import act, at, handler, org_build, owner_handler, register
from xinfang.petitions import search
from xinfang.petitions.models import Petition
from xinfang.petitions.search import (
    petition_search_index,
    search_body,
    search_filter,
    search_row_count,
    search_terms,
    segment,
)
from xinfang.petitions.selectors import petition_list_for
from xinfang.petitions.workflow import OPEN_STATES

pytestmark = pytest.mark.django_db

WAGES = ("拖欠农民工工资", "我们在县城某建筑工地务工，包工头拖欠三个月工资共计四万余元，多次讨要未果。")
NOISE = ("小区噪音扰民", "小区旁边的夜市每天营业到凌晨两点，音响声音很大，严重影响周边居民休息。")
BOTH = ("夜市噪音和欠薪", "夜市摊主反映：市场管理方拖欠保洁员工资，夜间噪音也无人管理。")
HOSTILE = [
    '"',
    '""',
    "'",
    '工资"',
    '"工资',
    "*",
    "工资*",
    "AND",
    "OR",
    "NOT",
    "NEAR",
    "NEAR(工资 噪音)",
    "工资 AND 噪音",
    "工资 OR 噪音",
    "工资 NOT 噪音",
    "-工资",
    "工资-噪音",
    "body:工资",
    "title:工资",
    ":",
    "(",
    ")",
    "(工资)",
    "((",
    "^工资",
    "工资^",
    "{工资}",
    "[工资]",
    "工资;",
    "'; DROP TABLE petitions_search; --",
    "\\",
    "%",
    "_",
    "工资%",
    "😀",
    "😀工资👍",
    "\x00",
    "工资\x00噪音",
    "\t\n",
    "ｗｏｒｄ",
    "工" * 5000,
    "工资 " * 3000,
    "a" * 100000,
    "🙂" * 1000,
]
ONLY_PUNCTUATION = [
    "",
    " ",
    "   \n\t",
    "，。！？",
    "...",
    "!!!",
    "😀",
    "（）【】",
    "——",
    "*",
    '"',
    "-",
    ":",
    "()",
    "的",
    "了 的",
]


def pks(qs) -> set[int]:
    return set(qs.values_list("pk", flat=True))


@pytest.fixture
def three(org):
    """Three petitions the county bureau registered: wages, noise, and one with both words."""
    on = at(2026, 3, 2)
    return [register(org, on=on, title=t, content=c) for t, c in (WAGES, NOISE, BOTH)]


# ---------------------------------------------------------------- words


def test_segment_normalises_width_case_and_drops_punctuation():
    assert segment("ＡＢＣ１２３，小区！😀 Ｗｏｒｌｄ") == ["abc123", "小区", "world"]
    assert segment("  ，。！？  ") == [] and segment("") == []
    assert "工资" in segment("拖欠农民工工资") and "农民工" in segment("拖欠农民工工资")
    # search mode: the words inside a longer word too
    assert {"单方", "方面", "单方面"} <= set(segment("社区单方面改变架空层使用性质"))


def test_search_terms_are_distinct_without_function_words():
    assert search_terms("小区的噪音，小区的物业") == ["小区", "噪音", "物业"]


def test_jieba_loads_quietly_from_its_own_package():
    segment("加载词典")
    jieba_log = logging.getLogger("jieba")
    assert not jieba_log.isEnabledFor(logging.INFO)
    assert search._jieba.dictionary is None  # the dictionary that ships in the jieba package


# ---------------------------------------------------------------- finding


def test_a_two_character_word_of_the_content(three):
    wages, noise, both = three
    assert pks(search_filter(Petition.objects.all(), "工资")) == {wages.pk, both.pk}
    assert pks(search_filter(Petition.objects.all(), "包工头")) == {wages.pk}


def test_a_word_of_the_title(three):
    wages, noise, both = three
    assert pks(search_filter(Petition.objects.all(), "扰民")) == {noise.pk}
    assert pks(search_filter(Petition.objects.all(), "欠薪")) == {both.pk}


def test_every_word_must_match(three):
    wages, noise, both = three
    assert pks(search_filter(Petition.objects.all(), "工资 噪音")) == {both.pk}
    assert pks(search_filter(Petition.objects.all(), "噪音，工资")) == {both.pk}
    assert pks(search_filter(Petition.objects.all(), "夜市噪音")) == {noise.pk, both.pk}  # one phrase, two words
    assert pks(search_filter(Petition.objects.all(), "小区 工资")) == set()


def test_an_absent_word_finds_nothing(three):
    assert not search_filter(Petition.objects.all(), "拆迁").exists()
    assert not search_filter(Petition.objects.all(), "物业").exists()


def test_full_width_and_upper_case_find_the_same(org):
    p = register(org, on=at(2026, 3, 2), title="A3栋电梯故障", content="ＡＢＣ物业公司不修电梯。")
    for query in ("a3", "Ａ３", "abc", "ABC", "ＡＢＣ 电梯"):
        assert pks(search_filter(Petition.objects.all(), query)) == {p.pk}, query


def test_a_word_the_dictionary_does_not_know_is_found_by_its_characters(org):
    p = register(org, on=at(2026, 3, 2), title="麓泉社区改建", content="麓泉社区拟将架空层改建为活动中心。")
    register(org, on=at(2026, 3, 2), title="泉水断流", content="村里的泉水断流。")
    assert pks(search_filter(Petition.objects.all(), "麓泉")) == {p.pk}


def test_a_compound_word_finds_its_parts_apart_too(org):
    p = register(org, on=at(2026, 3, 2), title="讨薪", content="老板拖欠了我们三个月的工资。")
    q = register(org, on=at(2026, 3, 2), title="讨薪", content="施工方拖欠工资。")
    assert pks(search_filter(Petition.objects.all(), "拖欠工资")) == {p.pk, q.pk}


def test_a_rare_word_inside_a_longer_one_is_found(org):
    p = register(org, on=at(2026, 3, 2), title="烧烤摊扰民", content="每天凌晨很吵，反反复复，根本睡不了。")
    assert "反反" not in segment("反反")  # alone, jieba splits it into characters
    assert pks(search_filter(Petition.objects.all(), "反反")) == {p.pk}
    assert pks(search_filter(Petition.objects.all(), "吵 反反 反复")) == {p.pk}


@pytest.mark.parametrize("query", HOSTILE)
def test_anything_typed_is_safe(three, query):
    everything = pks(Petition.objects.all())
    found = pks(search_filter(Petition.objects.all(), query))  # no error
    assert found <= everything
    assert Petition.objects.count() == 3  # nothing was dropped or changed


def test_words_beside_operators_are_still_words(three):
    wages, noise, both = three
    # no operator syntax: '*', '-', ':' and brackets are dropped, AND/OR/NOT are words nobody wrote
    for query in ("工资*", "-工资", "(工资)", "工资:", '"工资"', "😀工资👍"):
        assert pks(search_filter(Petition.objects.all(), query)) == {wages.pk, both.pk}, query
    assert pks(search_filter(Petition.objects.all(), "工资 OR 噪音")) == set()


@pytest.mark.parametrize("query", ONLY_PUNCTUATION)
def test_no_words_leaves_the_list_as_it_is(three, query):
    qs = Petition.objects.filter(pk__in=[three[0].pk, three[1].pk])
    assert search_filter(qs, query) is qs


def test_a_very_long_query_is_cut_not_refused(three):
    wages, noise, both = three
    assert pks(search_filter(Petition.objects.all(), "工资 " + "x" * 100000)) == set()
    assert pks(search_filter(Petition.objects.all(), "工资" + "，" * 100000)) == {wages.pk, both.pk}


# ---------------------------------------------------------------- with the work queue


def test_composes_with_visibility_filters_ordering_slicing_and_count(org):
    on = at(2026, 3, 2)
    mine = [
        register(
            org,
            on=at(2026, 3, 2 + k),
            actor=org.u_town_a_clerk,
            region=org.r_village_a,
            title=f"欠薪{k}",
            content="工地拖欠工资",
        )
        for k in range(3)
    ]
    register(org, on=on, actor=org.u_town_a_clerk, region=org.r_village_a, title="噪音", content="夜市噪音")
    other = register(org, on=on, actor=org.u_town_b_clerk, region=org.r_village_b, title="欠薪", content="工地拖欠工资")
    user = handler(org, "town_a")
    queue = petition_list_for(user).filter(owner_unit_id=user.unit_id, state__in=OPEN_STATES)
    found = search_filter(queue, "工资").order_by("due_on", "-priority", "pk")
    assert [p.pk for p in found[:2]] == [mine[0].pk, mine[1].pk]
    assert [p.pk for p in found[2:50]] == [mine[2].pk]
    assert found.count() == 3
    assert other.pk not in pks(search_filter(petition_list_for(user), "工资"))  # another township's
    assert other.pk in pks(search_filter(petition_list_for(handler(org, "town_b")), "工资"))
    # either order of composing gives the same
    assert pks(search_filter(petition_list_for(user), "工资").filter(owner_unit_id=user.unit_id)) == pks(found)


def test_works_inside_a_subquery(three):
    wages, noise, both = three
    found = search_filter(Petition.objects.all(), "工资").values("pk")
    assert pks(Petition.objects.filter(pk__in=found).exclude(pk=both.pk)) == {wages.pk}


def test_searching_costs_the_same_queries_for_few_and_many_petitions(org):
    user = handler(org, "town_a")

    def page_and_count() -> tuple[int, int]:
        qs = search_filter(petition_list_for(user).filter(state__in=OPEN_STATES), "工资").order_by("due_on")
        with CaptureQueriesContext(connection) as ctx:
            rows = list(qs[:50])
            total = qs.count()
        assert len(rows) == min(total, 50)
        return len(ctx.captured_queries), total

    register(org, on=at(2026, 3, 2), actor=org.u_town_a_clerk, title="欠薪", content="拖欠工资")
    small = page_and_count()
    for k in range(12):
        register(org, on=at(2026, 3, 3), actor=org.u_town_a_clerk, title=f"欠薪{k}", content="拖欠工资")
    large = page_and_count()
    assert small == (2, 1) and large == (2, 13)


# ---------------------------------------------------------------- keeping the index


def test_registration_makes_a_petition_findable_at_once(org):
    user = handler(org, "town_a")
    assert not search_filter(petition_list_for(user), "宅基地").exists()
    p = register(
        org,
        on=at(2026, 3, 2),
        actor=org.u_town_a_clerk,
        title="宅基地审批没有结果",
        content="本人提交建房申请，至今没有答复。",
    )
    assert pks(search_filter(petition_list_for(user), "宅基地 审批")) == {p.pk}


def test_a_petition_stays_findable_when_it_is_saved_or_moves_on(org, three):
    wages, noise, both = three
    Petition.objects.get(pk=wages.pk).save()  # every field written back: its search terms are kept
    act(org, "accept", noise, owner_handler(org, noise), at(2026, 3, 3))  # a step of the workflow
    assert Petition.objects.get(pk=noise.pk).state == "accepted"
    assert pks(search_filter(Petition.objects.all(), "工资")) == {wages.pk, both.pk}
    assert pks(search_filter(Petition.objects.all(), "扰民")) == {noise.pk}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the tsvector text form is PostgreSQL's")
def test_the_text_form_of_the_terms_is_the_same_tsvector():
    """The generator COPYs search_vector_text; registration uses array_to_tsvector of the terms."""
    bodies = [search_body(*WAGES), search_body(*NOISE), "", "a3 abc 工资", "it's a\\b 'x' \\"]
    with connection.cursor() as cur:
        for body in bodies:
            cur.execute(
                "SELECT %s::tsvector = array_to_tsvector(%s::text[])", [search.search_vector_text(body), body.split()]
            )
            assert cur.fetchone()[0], body


def test_indexing_again_replaces_the_row(three):
    wages, noise, both = three
    assert petition_search_index([wages, noise]) == 2
    assert petition_search_index([wages]) == 1
    assert search.search_row_count() == 3
    assert pks(search_filter(Petition.objects.all(), "工资")) == {wages.pk, both.pk}
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:  # FTS5's own check: the index matches what was put in
            cur.execute(f"INSERT INTO {search.TABLE} ({search.TABLE}, rank) VALUES ('integrity-check', 0)")


@pytest.mark.parametrize("workers", ["0", "1"])
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_the_reindex_command_rebuilds_everything(three, capsys, workers):
    wages, noise, both = three
    search.search_clear()
    assert not search_filter(Petition.objects.all(), "工资").exists()
    call_command("search_reindex", "--batch", "2", "--workers", workers, verbosity=0)
    assert "3" in capsys.readouterr().out
    assert search.search_row_count() == 3
    assert pks(search_filter(Petition.objects.all(), "工资")) == {wages.pk, both.pk}
    assert pks(search_filter(Petition.objects.all(), "扰民")) == {noise.pk}


def test_an_empty_index_is_cleared_only_without_petitions(three):
    assert not search.search_clear_if_no_petitions()
    assert search.search_row_count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL keeps the terms in the petition row")
def test_a_flush_leaves_no_terms_for_the_next_petition_with_the_same_id(org):
    """Flush (a transactional test's teardown) empties the model tables; post_migrate then empties the
    FTS5 table, so that a petition given an old id is indexed afresh and found, not corrupting the index."""
    call_command("flush", interactive=False, verbosity=0)  # the ids start again from 1
    org = org_build()
    first = register(org, on=at(2026, 3, 2), title="自来水管道破裂", content="丰收村自来水管道破裂停水三天")
    assert search_row_count() == 1
    call_command("flush", interactive=False, verbosity=0)
    assert search_row_count() == 0
    org = org_build()
    again = register(org, on=at(2026, 3, 2), title="小区噪音扰民", content="小区旁边的工地夜间施工噪音很大")
    assert again.pk == first.pk and search_row_count() == 1  # the id is reused (the sequences were reset)
    assert list(search_filter(Petition.objects.all(), "噪音")) == [again]
    assert not search_filter(Petition.objects.all(), "自来水").exists()
