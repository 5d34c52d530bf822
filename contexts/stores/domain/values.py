"""The value rules of a store's details. Each function takes raw input (API, admin or demo),
returns the normalised value or raises `DomainError` naming the field at fault; normalising
twice gives the same result."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from kernel import values as kernel_values
from kernel.errors import DomainError
from kernel.values import ADDRESS_FIELDS, clean_text  # noqa: F401  (ADDRESS_FIELDS: used from here)

from .events import StoreAddress

CODE_MAX, NAME_MAX, TAX_ID_MAX, RECEIPT_TEXT_MAX = 8, 100, 32, 500
RESERVED_CODES = {"STAFF"}
_CODE = re.compile(r"^[A-Z0-9]{1,8}$")
_TAX_ID = re.compile(r"^[A-Z0-9][A-Z0-9 .\-/]*$")


def clean_code(value) -> str:
    """1 to 8 letters or digits, upper-cased: it prefixes the store's order numbers (S1-000042)."""
    code = clean_text(value, "code", "A store code", max_length=CODE_MAX, required=True).upper()
    if not _CODE.match(code):
        raise DomainError("A store code is 1 to 8 letters or digits (e.g. S1).", field="code")
    if code in RESERVED_CODES:
        raise DomainError(f"{code} is reserved (/api/v1/stores/{code.lower()}/ is another page).", field="code")
    return code


def clean_name(value) -> str:
    return clean_text(value, "name", "A store's name", max_length=NAME_MAX, required=True)


def clean_tax_id(value) -> str:
    """The store's tax or VAT id as printed on receipts (DE123456789); letters upper-cased."""
    tax_id = clean_text(value, "tax_id", "The tax id", max_length=TAX_ID_MAX, required=True).upper()
    if not _TAX_ID.match(tax_id):
        raise DomainError("A tax id has letters, digits, spaces, dots, dashes and slashes.", field="tax_id")
    return tax_id


def clean_time_zone(value) -> str:
    """An IANA time zone name as the tz database spells it (Europe/Berlin, America/New_York).
    A case-insensitive match is normalised to the database's spelling."""
    name = clean_text(value, "time_zone", "The time zone", max_length=64, required=True)
    canonical = _zone_names().get(name.casefold())
    if canonical is None:
        raise DomainError(f"{name!r} is not an IANA time zone name such as Europe/Berlin.", field="time_zone")
    try:
        ZoneInfo(canonical)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(f"{name!r} is not an IANA time zone name such as Europe/Berlin.",
                          field="time_zone") from None
    return canonical


_ZONES: dict[str, str] = {}


def _zone_names() -> dict[str, str]:
    if not _ZONES:
        _ZONES.update({name.casefold(): name for name in available_timezones()})
    return _ZONES


def clean_receipt_text(value, field: str) -> str:
    label = "The receipt header" if field == "receipt_header" else "The receipt footer"
    return clean_text(value, field, label, max_length=RECEIPT_TEXT_MAX, required=False, multiline=True)


def clean_reason(value) -> str:
    return clean_text(value, "reason", "The reason", max_length=500, required=False)


def clean_address(value) -> StoreAddress:
    """A store always has an address: line1, city and country required; country is an ISO
    3166-1 alpha-2 code."""
    return kernel_values.clean_address(value, required=True)
