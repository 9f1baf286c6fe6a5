"""Personal data as lists, pages, exports, logs, the admin and the API show it by default (部分隐藏):
the one set of masking rules.

    mask_id_number("110101199001011234") == "110***********1234"   first 3 and last 4 kept
    mask_phone("13812345678") == "138****5678"                      a mobile: first 3 and last 4
    mask_phone("62345678") == "****5678"                            shorter numbers: the last 4
    mask_address("示范县青石镇丰收村3组12号") == "示范县青石镇丰收村****"   the region part kept
    mask_email("lisi@example.org") == "l***@example.org"

The full value is shown only where the rule of selectors.may_reveal_personal_data allows, after an
explicit "显示完整信息" (each reveal in the audit log), and to API clients with the personal:read scope.
"""

from __future__ import annotations

import re

from xinfang.petitions.crypto import phone_normalise

STARS = "****"

# The administrative part of a Chinese address: up to the last province, city, county, district,
# township, street office, village or community named before the first digit (小区/园区 are not
# districts: they name the building, which is masked).
_REGION_PART = re.compile(
    r"^[^\d０-９]*?(?:省|自治区|市(?!场)|自治州|州|盟|县|旗|(?<![小园校厂])区|镇|乡|街道|村|社区|嘎查)"
)


def mask_phone(phone: str) -> str:
    digits = phone_normalise(phone or "")
    if len(digits) >= 11:
        return f"{digits[:3]}{STARS}{digits[-4:]}"
    if len(digits) >= 7:
        return f"{STARS}{digits[-4:]}"
    return STARS if digits else ""


def mask_id_number(number: str) -> str:
    number = number or ""
    if len(number) < 8:
        return "*" * len(number)
    return f"{number[:3]}{'*' * (len(number) - 7)}{number[-4:]}"


def mask_address(address: str) -> str:
    """The region part of the address (to the last 省/市/县/区/乡/镇/街道/村/社区 before a number), the
    rest as ****; an address without a recognisable region part is all ****."""
    address = (address or "").strip()
    if not address:
        return ""
    region = ""
    rest = address
    while match := _REGION_PART.match(rest):  # the last region word of the leading run, not the first
        region += match.group(0)
        rest = rest[match.end() :]
    if not rest:
        return address
    return f"{region}{STARS}"


def mask_email(address: str) -> str:
    local, at, domain = (address or "").partition("@")
    if not at:
        return STARS if address else ""
    return f"{local[:1]}***@{domain}"
