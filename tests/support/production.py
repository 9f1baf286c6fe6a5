"""The environment of a production start (XINFANG_PRODUCTION=1) with every setting it needs, fresh keys."""

from __future__ import annotations

import secrets

from cryptography.fernet import Fernet


def production(**extra: str) -> dict[str, str]:
    return {
        "XINFANG_PRODUCTION": "1",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "xf.example.gov.cn",
        "EMAIL_HOST": "smtp.example.gov.cn",
        "XINFANG_DATA_KEYS": Fernet.generate_key().decode(),
        "XINFANG_LOOKUP_KEY": secrets.token_urlsafe(32),
    } | extra
