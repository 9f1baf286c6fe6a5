"""The Open311 endpoint and a filled request (shared by the Open311 and accusation-channel tests)."""

from __future__ import annotations

from xinfang.petitions.models import Category

BASE = "/api/open311/v2"


def form(org, **kw) -> dict:
    return {
        "service_code": str(leaf().pk),
        "description": "村口路灯不亮已经一周\n晚上出行不便",
        "address_string": "青石镇丰收村村口",
        "last_name": "测",
        "first_name": "试人",
        "phone": "10012345678",
        "email": "tester@example.invalid",
    } | kw


def leaf() -> Category:
    return Category.objects.filter(level=3).order_by("path").first()
