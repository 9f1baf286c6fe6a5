"""Phone numbers and e-mail addresses as lists and logs show them: 138****5678, a***@example.org."""
from __future__ import annotations

import re

# A mainland mobile number, with or without +86/86 and separators: only these can receive an SMS.
_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


def mobile_number(phone: str) -> str | None:
    """The 11-digit mobile number in `phone`, or None (a landline, an empty or a malformed number)."""
    match = _MOBILE.match(re.sub(r"[\s\-()]", "", phone or ""))
    return match.group(1) if match else None


def mask_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "****" if digits else ""


def mask_email(address: str) -> str:
    local, at, domain = (address or "").partition("@")
    if not at:
        return "***" if address else ""
    return f"{local[:1]}***@{domain}"


def mask_recipient(channel: str, recipient: str) -> str:
    return mask_email(recipient) if channel == "email" else mask_phone(recipient)
