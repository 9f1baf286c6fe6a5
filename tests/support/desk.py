"""The registration desk's form, a signed-in client and files to attach (shared by the desk, portal and notify
tests)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.conftest import staff_login
from xinfang.org.models import User


def client_for(user: User) -> Client:
    c = Client()
    staff_login(c, user)
    return c


def form_data(**overrides) -> dict:
    data = {
        "channel": "visit",
        "kind": "claim",
        "category": "",
        "place": "青石镇 · 丰收村",
        "title": "拖欠工资",
        "content": "某公司拖欠农民工工资三个月。",
        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "priority": "0",
        "name": "李某乙",
        "phone": "13900001111",
        "id_number": "",
        "address": "丰收村3组",
        "headcount": "1",
        "accused_unit": "",
        "accused_name": "",
    }
    data.update(overrides)
    return data


def pdf(size: int = 0) -> bytes:
    body = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    return body + b"%" * max(0, size - len(body))


EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 200
    + b"This program cannot be run in DOS mode."
)


def upload(name: str, body: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type=content_type)
