"""The one visibility rule (selectors.petition_visibility): who sees which petition."""

from __future__ import annotations

import pytest

from tests.conftest import act, at, handler, head, owner_handler, path_to, register
from xinfang.org.models import Role
from xinfang.petitions import selectors
from xinfang.petitions.models import Kind, State
from xinfang.workbench import selectors as queues

pytestmark = pytest.mark.django_db


def sees(user, p) -> bool:
    return selectors.petition_list_for(user).filter(pk=p.pk).exists()


def test_township_a_cannot_see_township_b(org):
    b = register(org, on=at(2026, 3, 2), actor=org.u_town_b_clerk, region=org.r_village_b)
    a = register(org, on=at(2026, 3, 2), actor=org.u_town_a_clerk, region=org.r_village_a)
    for role in (Role.CLERK, Role.HANDLER, Role.UNIT_HEAD):
        user = org.user("town_a", role)
        assert sees(user, a) and not sees(user, b)
    assert not sees(handler(org, "village_a"), b)
    with pytest.raises(b.DoesNotExist):
        selectors.petition_get_for(handler(org, "town_a"), b.pk)


def test_a_township_sees_what_is_assigned_to_it_and_not_after_it_is_returned(org):
    p = register(org, on=at(2026, 3, 2), region=org.r_village_b)
    assert not sees(handler(org, "town_a"), p)
    act(org, "assign", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.town_a)
    assert sees(handler(org, "town_a"), p)
    act(org, "return", p, handler(org, "town_a"), at(2026, 3, 4))
    assert not sees(handler(org, "town_a"), p)


def test_bureau_staff_see_their_region_subtree(org):
    a = register(org, on=at(2026, 3, 2), actor=org.u_town_a_clerk, region=org.r_village_a)
    b = register(org, on=at(2026, 3, 2), actor=org.u_town_b_clerk, region=org.r_town_b)
    other = register(org, on=at(2026, 3, 2), actor=handler(org, "other_gov"), region=org.r_other_county)
    county = org.u_bureau_staff
    assert sees(county, a) and sees(county, b) and not sees(county, other)
    assert not sees(org.u_other_bureau_staff, a) and sees(org.u_other_bureau_staff, other)
    city = org.u_city_bureau_staff
    assert sees(city, a) and sees(city, b) and sees(city, other)


def test_leaders_and_supervisors_see_their_region(org):
    a = register(org, on=at(2026, 3, 2), actor=org.u_town_a_clerk, region=org.r_village_a)
    other = register(org, on=at(2026, 3, 2), actor=handler(org, "other_gov"), region=org.r_other_county)
    for user in (org.u_leader, org.u_supervisor):
        assert sees(user, a) and not sees(user, other)


def test_a_department_sees_only_its_own_not_the_region(org):
    a = register(org, on=at(2026, 3, 2), actor=org.u_town_a_clerk, region=org.r_village_a)
    assert not sees(handler(org, "hrss"), a)
    assert not sees(org.u_clerk, a)  # a bureau clerk is not a regional role


def test_administrator_sees_all(org):
    ps = [
        register(org, on=at(2026, 3, 2), actor=org.u_town_a_clerk),
        register(org, on=at(2026, 3, 2), actor=org.u_town_b_clerk, region=org.r_village_b),
        register(org, on=at(2026, 3, 2), actor=handler(org, "other_gov"), region=org.r_other_county),
        register(org, on=at(2026, 3, 2), kind=Kind.ACCUSATION, accused_unit=org.land),
    ]
    assert set(selectors.petition_list_for(org.u_admin).values_list("pk", flat=True)) == {p.pk for p in ps}


def test_inactive_or_anonymous_users_see_nothing(org):
    from django.contrib.auth.models import AnonymousUser

    register(org, on=at(2026, 3, 2))
    assert not selectors.petition_list_for(AnonymousUser()).exists()
    org.u_admin.is_active = False
    assert not selectors.petition_list_for(org.u_admin).exists()


# ---------------------------------------------------------------- accusations (art. 30)


def test_accusation_hidden_from_every_user_of_the_accused_unit(org):
    p = register(org, on=at(2026, 3, 2), kind=Kind.ACCUSATION, accused_unit=org.land, region=org.r_county)
    act(org, "forward", p, org.u_bureau_staff, at(2026, 3, 3), to_unit=org.discipline)
    for role in Role.values:
        assert not sees(org.user("land", role), p), role
    assert sees(handler(org, "discipline"), p)
    assert sees(org.u_bureau_staff, p) and sees(org.u_clerk, p) and sees(org.u_admin, p)


def test_accusation_hidden_from_the_accused_user_and_their_unit(org):
    accused = head(org, "town_a")
    p = register(org, on=at(2026, 3, 2), kind=Kind.ACCUSATION, accused_user=accused, accused_name="青石镇负责人")
    assert not sees(accused, p)
    assert not sees(handler(org, "town_a"), p)  # the official's unit is recorded as accused too
    assert sees(org.u_bureau_staff, p)


def test_accusation_hidden_from_an_accused_administrator(org):
    admin = org.u_admin
    p = register(
        org,
        on=at(2026, 3, 2),
        kind=Kind.ACCUSATION,
        accused_user=admin,
        accused_name="系统管理员",
        actor=handler(org, "discipline"),
        region=org.r_county,
    )
    assert not sees(admin, p)
    assert sees(handler(org, "discipline"), p)
    other_admin = org.user("land", Role.ADMIN)
    assert sees(other_admin, p)


def test_accusation_against_the_bureau_hidden_from_bureau_staff_and_admin_there(org):
    p = register(
        org,
        on=at(2026, 3, 2),
        kind=Kind.ACCUSATION,
        accused_unit=org.bureau,
        actor=handler(org, "discipline"),
        region=org.r_county,
    )
    for user in (org.u_bureau_staff, org.u_clerk, org.u_supervisor, org.u_admin):
        assert not sees(user, p), user.username
    assert sees(handler(org, "discipline"), p)
    assert sees(org.u_city_bureau_staff, p)
    assert sees(org.u_leader, p)


def test_accusation_hidden_from_the_accused_even_as_co_handler(org):
    from xinfang.petitions.models import CoHandling

    # (registration refuses the accused unit as a co-handler: tests/petitions/test_accusation.py; a row made otherwise)
    p = register(org, on=at(2026, 3, 2), kind=Kind.ACCUSATION, accused_unit=org.land, co_units=[org.hrss])
    CoHandling.objects.create(petition=p, unit=org.land)
    assert not sees(handler(org, "land"), p)
    assert sees(handler(org, "hrss"), p)


def test_accused_user_cannot_request_review_on_it(org):
    accused = org.u_clerk
    p = register(
        org,
        on=at(2026, 3, 2),
        kind=Kind.ACCUSATION,
        accused_user=accused,
        accused_name="登记员",
        actor=handler(org, "discipline"),
    )
    act(org, "accept", p, handler(org, "discipline"), at(2026, 3, 3))
    act(org, "decide", p, handler(org, "discipline"), at(2026, 3, 5))
    from xinfang.petitions.errors import WorkflowError

    with pytest.raises(WorkflowError):
        act(org, "request_review", p, accused, at(2026, 3, 6))


# ---------------------------------------------------------------- co-handling


def test_co_handling_units_see_it(org):
    p = register(org, on=at(2026, 3, 2), co_units=[org.land, org.town_b])
    for unit in ("land", "town_b"):
        assert sees(handler(org, unit), p)
    assert not sees(handler(org, "hrss"), p)
    # co-handlers see it but do not own it: not in their queue
    assert p not in queues.work_queue_for(handler(org, "land"))


def test_registering_unit_keeps_sight_after_forwarding(org):
    p = register(org, on=at(2026, 3, 2), actor=org.u_town_a_clerk)
    act(org, "forward", p, handler(org, "town_a"), at(2026, 3, 3), to_unit=org.hrss)
    assert sees(handler(org, "town_a"), p) and sees(handler(org, "hrss"), p)
    assert not sees(handler(org, "land"), p)


def test_visibility_is_one_queryset_filter(org):
    """Lists, counts and get all go through the same filter: the count equals the list."""
    for _i in range(3):
        register(org, on=at(2026, 3, 2), actor=org.u_town_a_clerk)
    register(org, on=at(2026, 3, 2), actor=org.u_town_b_clerk, region=org.r_village_b)
    user = handler(org, "town_a")
    qs = selectors.petition_list_for(user)
    assert qs.count() == len(list(qs)) == 3


def test_work_queue_pages_run_from_dated_to_undated_rows(org):
    """Earliest due first; open petitions with no due date (reexamined, awaiting close) come after
    them, and paging neither repeats nor drops a row."""
    undated, _day = path_to(org, State.REEXAMINED)
    assert undated.due_on is None
    user = owner_handler(org, undated)
    dated = [register(org, on=at(2026, 3, d), actor=user) for d in (5, 3, 4)]
    pages = [queues.work_queue_for(user, page=n, per_page=2) for n in (1, 2, 3)]
    seen = [p.pk for page in pages for p in page]
    assert seen == [dated[1].pk, dated[2].pk, dated[0].pk, undated.pk]
    assert pages[2] == []
