"""A browser on the public portal and a filled petition form (the portal tests share them)."""

from __future__ import annotations

from django.test import Client

from xinfang.petitions.models import (
    Kind,
)
from xinfang.portal.forms import submission_token_new

PHONE = "13912345678"


def browser() -> Client:
    return Client(HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148")


def form(org, **overrides) -> dict:
    data = {
        "kind": Kind.CLAIM,
        "place": str(org.regions["village_a"].pk),
        "category": "",
        "title": "拖欠工资",
        "content": "某建筑公司拖欠我三个月工资，请求督促支付。",
        "accused_name": "",
        "name": "李某乙",
        "phone": "139 1234 5678",
        "email": "",
        "address": "",
        "submission": submission_token_new(),
    }  # a form shown afresh: its one-time token
    return data | overrides


def submit(c: Client, org, **overrides):
    return c.post("/portal/submit/", form(org, **overrides))
