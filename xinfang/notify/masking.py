"""Which phone numbers can get an SMS, and a notice's recipient as lists and logs show it (masked by
the one set of rules, xinfang.petitions.masking: 138****5678, a***@example.org)."""

from __future__ import annotations

import re

from xinfang.petitions.masking import mask_email, mask_phone

__all__ = ["mask_email", "mask_phone", "mask_recipient", "mobile_number"]

# A mainland mobile number, with or without +86/86 and separators: only these can receive an SMS.
_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


def mobile_number(phone: str) -> str | None:
    """The 11-digit mobile number in `phone`, or None (a landline, an empty or a malformed number)."""
    match = _MOBILE.match(re.sub(r"[\s\-()]", "", phone or ""))
    return match.group(1) if match else None


def mask_recipient(channel: str, recipient: str) -> str:
    return mask_email(recipient) if channel == "email" else mask_phone(recipient)
