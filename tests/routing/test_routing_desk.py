"""Category proposals at the registration desk: the panel shows the likeliest first-level categories
with their confidence and lets the clerk fill one in; registration keeps the proposal shown and the
category chosen (in its transaction); `routing_train --from-petitions` learns from those choices."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import staff_login
from tests.support.desk import form_data, pdf, upload
from tests.support.routing import WAGES, run
from xinfang.petitions.models import Category, Petition
from xinfang.routing.classifier import model_current
from xinfang.routing.models import ProposalKind, ProposalOutcome
from xinfang.routing.selectors import category_training_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


def clerk_client(org) -> Client:
    c = Client()
    staff_login(c, org.users["clerk"])
    return c


def leaf_under(first_level: str) -> Category:
    return Category.objects.filter(level=3, path__startswith=first_level + "/").order_by("path").first()


# ---------------------------------------------------------------- the panel


def test_the_panel_proposes_with_confidence_and_a_button_that_fills_the_category(org, category_model):
    c = clerk_client(org)
    page = c.get("/register/").content.decode()
    assert 'hx-get="/register/category"' in page and 'id="category-proposals"' in page
    with CaptureQueriesContext(connection) as ctx:
        html = c.get("/register/category", {"title": "拖欠工资", "content": WAGES}).content.decode()
    assert len(ctx.captured_queries) <= 2  # the session's user; the tree and the model are in memory
    assert html.startswith('data-category="劳动和社会保障"', html.index("data-category="))  # likeliest first
    assert "可能性" in html and "%" in html
    assert "只是建议" in html  # staff are told it is only a proposal


def test_the_panel_says_when_no_model_is_installed(org):
    html = clerk_client(org).get("/register/category", {"title": "拖欠工资", "content": WAGES}).content.decode()
    assert "routing_train" in html and "data-category" not in html


def test_a_first_level_category_can_be_registered_as_proposed(org, category_model):
    c = clerk_client(org)
    assert c.post("/register/", form_data(category="劳动和社会保障", content=WAGES)).status_code == 302
    assert Petition.objects.get().category.path == "劳动和社会保障"


# ---------------------------------------------------------------- what staff did with the proposal


def test_a_confirmed_proposal_is_kept_with_the_model_version(org, category_model):
    c = clerk_client(org)
    assert c.post("/register/", form_data(category="劳动和社会保障", content=WAGES)).status_code == 302
    outcome = ProposalOutcome.objects.get()
    assert (outcome.kind, outcome.proposed, outcome.chosen, outcome.accepted) == (
        ProposalKind.CATEGORY,
        "劳动和社会保障",
        "劳动和社会保障",
        True,
    )
    assert outcome.model_version == category_model.version and 0.5 < outcome.confidence <= 1
    assert outcome.petition == Petition.objects.get() and outcome.recorded_by == org.users["clerk"]
    assert all(label != "劳动和社会保障" for label, _ in outcome.alternatives)


def test_a_correction_is_kept_as_its_first_level_category(org, category_model):
    leaf = leaf_under("城乡建设")
    assert clerk_client(org).post("/register/", form_data(category=leaf.path, content=WAGES)).status_code == 302
    outcome = ProposalOutcome.objects.get()
    assert (outcome.proposed, outcome.chosen, outcome.accepted) == ("劳动和社会保障", "城乡建设", False)


def test_no_category_chosen_is_kept_as_not_accepted(org, category_model):
    assert clerk_client(org).post("/register/", form_data(content=WAGES)).status_code == 302
    outcome = ProposalOutcome.objects.get()
    assert (outcome.chosen, outcome.accepted) == ("", False)


def test_without_a_model_nothing_is_proposed_and_registration_goes_on(org):
    assert clerk_client(org).post("/register/", form_data(content=WAGES)).status_code == 302
    assert Petition.objects.count() == 1 and not ProposalOutcome.objects.exists()


def test_a_refused_registration_keeps_nothing_and_shows_the_proposals_again(org, category_model):
    # a complaint about one's own unit must be registered elsewhere (Art. 30): refused by the service
    data = form_data(kind="accusation", content=WAGES, accused_unit=str(org.units["bureau"].pk))
    response = clerk_client(org).post("/register/", data)
    assert response.status_code == 400 and "第三十条" in response.content.decode()
    assert not Petition.objects.exists() and not ProposalOutcome.objects.exists()
    assert 'data-category="劳动和社会保障"' in response.content.decode()


def count_registration(c: Client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        data = form_data(content=WAGES, attachments=[upload("来信.pdf", pdf(), "application/pdf")])
        assert c.post("/register/", data).status_code == 302
    return len(ctx.captured_queries)


def test_keeping_the_outcome_costs_one_insert(org, settings, trained_model_file):
    c = clerk_client(org)
    count_registration(c)  # the session and the cached tables (periods, holidays, places) warm, as at a desk
    without = count_registration(c)
    settings.ROUTING_MODEL_PATH = trained_model_file
    with_model = count_registration(c)
    assert ProposalOutcome.objects.count() == 1
    assert with_model == without + 1


# ---------------------------------------------------------------- retraining from staff decisions


def test_retraining_learns_from_the_categories_staff_chose(org, category_model, tmp_path):
    c = clerk_client(org)
    # staff keep filing wage arrears under 城乡建设 (a county where the construction bureau handles them)
    building = leaf_under("城乡建设")
    for i in range(4):
        assert (
            c.post(
                "/register/", form_data(title=f"欠薪{i}", content=f"{WAGES}，工地第{i}号", category=building.path)
            ).status_code
            == 302
        )
    for i, text in enumerate(["学校违规补课收费，家长负担重", "幼儿园入学难，学位不够", "民办学校乱收费"]):
        assert c.post("/register/", form_data(title=f"教育{i}", content=text, category="教育文体")).status_code == 302
    # a petition registered without a proposal (no outcome) is not a staff decision to learn from
    Petition.objects.filter(title="欠薪0").update(category=None)
    rows = list(category_training_rows())
    assert sorted(label for _, label in rows) == ["城乡建设"] * 3 + ["教育文体"] * 3
    out, _ = run("routing_train", "--from-petitions", "--no-csv")
    model = model_current()
    assert model.source == "petitions: 6" and set(model.labels) == {"城乡建设", "教育文体"}
    assert "6 条" in out
    response = c.get("/register/category", {"title": "欠薪", "content": WAGES}).content.decode()
    assert response.index('data-category="城乡建设"') < response.index('data-category="教育文体"')


def test_a_later_correction_of_the_category_is_what_is_learned(org, category_model):
    c = clerk_client(org)
    assert c.post("/register/", form_data(content=WAGES, category="劳动和社会保障")).status_code == 302
    Petition.objects.update(category=leaf_under("城乡建设"))  # corrected later, e.g. by the handling unit
    assert [label for _, label in category_training_rows()] == ["城乡建设"]
