"""The admin site, closed to everyone but administrators: the role 系统管理员 (Role.ADMIN) or a superuser,
with the staff flag as Django asks. A handler, a leader or a supervisor who somehow has `is_staff` and
view permissions (an old demo database did) still gets the admin's sign-in page and nothing behind it."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


def may_administer(user: object) -> bool:
    from xinfang.org.models import Role

    return bool(
        getattr(user, "is_active", False)
        and getattr(user, "is_staff", False)
        and (getattr(user, "is_superuser", False) or getattr(user, "role", None) == Role.ADMIN)
    )


class XinfangAdminSite(admin.AdminSite):
    site_header = "信访工作平台 Xinfang"
    site_title = "信访 Xinfang"
    index_title = "管理"

    def has_permission(self, request: HttpRequest) -> bool:
        return may_administer(request.user)


class XinfangAdminConfig(AdminConfig):
    default_site = "xinfang.org.adminsite.XinfangAdminSite"
