"""The admin is closed to everyone but administrators (issue 18, point 7), demo users included: the site
itself asks for the role 系统管理员 or a superuser, so a staff flag and view permissions are not enough."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from tests.conftest import staff_login
from xinfang.demo.county import demo_county_load
from xinfang.org.models import Role, User

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ["/admin/", "/admin/petitions/petition/", "/admin/petitions/event/", "/admin/org/user/"]


def client_for(user: User) -> Client:
    c = Client()
    staff_login(c, user)
    return c


def test_no_demo_user_but_the_administrator_opens_the_admin():
    logins = demo_county_load()
    assert len(logins) >= 10
    for login in logins:
        user = User.objects.get(username=login.username)
        c = client_for(user)
        for url in ADMIN_PAGES:
            response = c.get(url)
            if user.role == Role.ADMIN:
                assert response.status_code == 200, (login.username, url)
            else:
                assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), (
                    login.username,
                    url,
                    response.status_code,
                )
    assert list(User.objects.filter(is_staff=True).values_list("username", flat=True)) == ["admin"]


def test_a_demo_database_of_an_older_version_loses_the_staff_flags():
    demo_county_load()
    User.objects.filter(username="town_handler").update(is_staff=True)
    User.objects.get(username="town_handler").user_permissions.add(*Permission.objects.filter(codename="view_petition"))
    demo_county_load()
    town = User.objects.get(username="town_handler")
    assert not town.is_staff and not town.user_permissions.exists()


def test_a_handler_with_the_staff_flag_and_view_permissions_is_still_kept_out(org):
    user = org.user("town_a", Role.HANDLER)
    User.objects.filter(pk=user.pk).update(is_staff=True)
    user = User.objects.get(pk=user.pk)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_petition", "view_event"]))
    for url in ADMIN_PAGES:
        response = client_for(user).get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), url
    page = client_for(user).get("/admin/login/?next=/admin/").content.decode()
    assert "信访工作平台" in page
