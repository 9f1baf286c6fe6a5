"""Place proposals (issue 6, point 2): the region a petition is about, from the address and the text,
at every level of the demo county's tree, with a confidence that drops when the words are ambiguous;
and the desk's place panel that fills the place picker in."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import staff_login
from xinfang.demo.county import demo_county_load
from xinfang.org.models import Region, RegionLevel, User
from xinfang.routing.places import place_propose
from xinfang.workbench.forms import place_choices

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(settings) -> Region:
    demo_county_load()
    return Region.objects.get(code="990121")


def first(text: str = "", address: str = "", county: Region | None = None):
    proposals = place_propose(text, address, county)
    assert proposals, (text, address)
    return proposals[0]


# ---------------------------------------------------------------- each level


def test_a_village_in_the_address_with_its_township(county):
    p = first(address="示范县青石镇青丰收村3组", county=county)
    assert (p.name, p.level) == ("青丰收村", RegionLevel.VILLAGE)
    assert p.pk == Region.objects.get(name="青丰收村").pk
    assert p.confidence >= 0.9 and set(p.words) >= {"青石镇", "青丰收村"} and not p.notes
    assert len(place_propose("", "示范县青石镇青丰收村3组", county)) == 1  # the township is implied, not a rival


def test_a_township_and_a_street_office(county):
    assert first("东山乡的养殖场污水直排河道", county=county).name == "东山乡"
    assert first(address="桃源街道和平路8号", county=county).name == "桃源街道"


def test_a_community_under_its_street(county):
    p = first("城关街道丰收社区的路灯坏了半年", county=county)
    assert p.name == "丰收社区" and p.pk == Region.objects.get(name="丰收社区", parent__name="城关街道").pk


def test_the_county_itself_when_nothing_more_specific_is_named(county):
    p = first(address="示范县", county=county)
    assert p.level == RegionLevel.COUNTY and p.confidence < 0.5


def test_short_forms(county):
    assert first(address="城关12号", county=county).name == "城关街道"
    assert first("我是青丰收的村民，反映低保问题", county=county).name == "青丰收村"
    full = first(address="城关街道12号", county=county)
    short = first(address="城关12号", county=county)
    assert short.confidence < full.confidence  # a short form is sometimes an ordinary word


def test_the_longest_name_wins_over_a_short_form_inside_it(county):
    p = first(address="示范县白杨柳村", county=county)  # 白杨 (白杨镇's short form) sits inside 白杨柳村
    assert (p.name, p.level) == ("白杨柳村", RegionLevel.VILLAGE)


def test_the_address_counts_more_than_the_text(county):
    assert first(address="双桥镇", county=county).confidence > first("双桥镇", county=county).confidence


# ---------------------------------------------------------------- ambiguity lowers confidence


def test_a_name_two_streets_share_is_split_between_them(county):
    both = place_propose("丰收社区的路灯坏了", "", county)
    assert [p.name for p in both[:2]] == ["丰收社区", "丰收社区"] and both[0].pk != both[1].pk
    assert all("2" in " ".join(p.notes) for p in both[:2])
    told_apart = first("城关街道丰收社区的路灯坏了", county=county)
    assert both[0].confidence < told_apart.confidence / 1.5


def test_two_townships_named_share_the_confidence(county):
    one = first("青石镇的采石场粉尘污染", county=county)
    two = place_propose("青石镇和柳河镇交界处的采石场粉尘污染", "", county)
    assert {p.name for p in two} == {"青石镇", "柳河镇"}
    assert all(p.confidence < one.confidence * 0.6 for p in two) and two[0].notes


def test_only_places_of_the_county_are_proposed(county):
    other = Region.objects.create(code="990122", name="邻县", level=RegionLevel.COUNTY, parent=county.parent)
    Region.objects.create(code="990122001", name="青石镇", level=RegionLevel.TOWNSHIP, parent=other)
    proposals = place_propose("青石镇的采石场", "", county)
    assert [p.pk for p in proposals] == [Region.objects.get(code="990121001").pk]
    assert not proposals[0].notes  # the other county's 青石镇 is no rival here
    assert len(place_propose("青石镇的采石场", "", None)) == 2  # without a county, both


# ---------------------------------------------------------------- cpca for real names


def test_a_real_address_outside_the_county_is_said_not_proposed(county):
    proposals = place_propose("欠薪", "湖南省长沙市芙蓉区五一大道1号", county)
    assert len(proposals) == 1 and proposals[0].outside and proposals[0].pk is None
    assert proposals[0].name == "湖南省长沙市芙蓉区"


def test_the_demo_county_is_not_misread_by_cpca(county):
    # cpca alone reads 示范县 as 河南省濮阳市范县: the tree's own names are read first and masked
    assert not any(p.outside for p in place_propose("", "示范县青石镇", county))


def test_a_real_county_of_the_tree_is_found_by_cpca(county, settings):
    province = Region.objects.create(code="430000", name="湖南省", level=RegionLevel.PROVINCE)
    city = Region.objects.create(code="430100", name="长沙市", level=RegionLevel.CITY, parent=province)
    furong = Region.objects.create(code="430102", name="芙蓉区", level=RegionLevel.COUNTY, parent=city)
    p = first(address="长沙芙蓉区五一大道1号")  # 长沙 is not a name of the tree: cpca reads it
    assert p.pk == furong.pk and not p.outside


def test_nothing_without_a_place_name(county):
    assert place_propose("路灯坏了", "", county) == []


# ---------------------------------------------------------------- the desk's panel


def clerk(county) -> Client:
    c = Client()
    staff_login(c, User.objects.get(username="clerk"))
    return c


def test_the_desk_has_the_place_panel(county):
    page = clerk(county).get("/register/").content.decode()
    assert 'id="place-proposals"' in page and 'hx-get="/register/place"' in page and "#id_address" in page


def test_the_panel_fills_the_picker_with_its_own_label(county):
    html = (
        clerk(county)
        .get("/register/place", {"address": "城关街道", "title": "丰收社区路灯坏了", "content": "晚上看不见路"})
        .content.decode()
    )
    assert 'data-place="城关街道 · 丰收社区"' in html and "只是建议" in html and "「丰收社区」" in html
    user = User.objects.get(username="clerk")
    assert "城关街道 · 丰收社区" in place_choices(user)  # the label the picker accepts


def test_the_panel_says_a_place_outside_the_county_without_a_button(county):
    html = clerk(county).get("/register/place", {"address": "湖南省长沙市芙蓉区"}).content.decode()
    assert "湖南省长沙市芙蓉区" in html and "不在本县" in html and "data-place" not in html


def test_the_panel_costs_a_fixed_few_queries(county):
    c = clerk(county)
    c.get("/register/place", {"address": "青石镇"})  # the name index is built once
    counts = []
    for params in ({"address": "青石镇"}, {"title": "城关街道丰收社区", "content": "青石镇和柳河镇" * 50}):
        with CaptureQueriesContext(connection) as ctx:
            assert c.get("/register/place", params).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 5
