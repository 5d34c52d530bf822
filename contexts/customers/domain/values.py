"""The value rules of a customer's details. Each function takes raw input (from the API, the
admin or a replayed command), returns the normalised value, or raises `DomainError` naming the
field at fault. Normalising twice gives the same result, so stored values re-validate cleanly.
"""

from __future__ import annotations

import re
from decimal import ROUND_FLOOR, Decimal


from kernel import values as kernel_values
from kernel.email import is_valid_email
from kernel.errors import DomainError
from kernel.values import ADDRESS_FIELDS, clean_text  # noqa: F401  (ADDRESS_FIELDS: the admin and the aggregate use it from here)

from .events import Address

NAME_MAX = 200
EMAIL_MAX = 254  # RFC 5321 path limit
PHONE_MIN_DIGITS, PHONE_MAX_DIGITS = 7, 15  # E.164 allows at most 15 digits
PHONE_SEARCH_MIN_DIGITS = 3

_PHONE_INPUT = re.compile(r"^\+?[0-9 ()\-]+$")


_text = clean_text  # the shared rule, under the name this module has always used


def clean_name(value) -> str:
    return _text(value, "name", "A customer's name", max_length=NAME_MAX, required=True)


def clean_phone(value) -> str | None:
    """E.164-ish: digits with an optional leading +; spaces, dashes and parentheses are allowed in
    the input and dropped. 7 to 15 digits. Empty means no phone."""
    raw = _text(value, "phone", "The phone number", max_length=40, required=False)
    if not raw:
        return None
    if not _PHONE_INPUT.match(raw):
        raise DomainError("A phone number has digits, an optional leading +, and may use spaces, dashes "
                          "and parentheses.", field="phone")
    digits = phone_digits(raw)
    if not PHONE_MIN_DIGITS <= len(digits) <= PHONE_MAX_DIGITS:
        raise DomainError(f"A phone number has {PHONE_MIN_DIGITS} to {PHONE_MAX_DIGITS} digits "
                          f"(this one has {len(digits)}).", field="phone")
    return ("+" if raw.startswith("+") else "") + digits


def phone_digits(value: str | None) -> str:
    """Only the digits of a phone number (what searches compare)."""
    return "".join(ch for ch in (value or "") if ch.isascii() and ch.isdigit())


def phone_search_digits(text: str) -> str | None:
    """When a search text looks like (part of) a phone number, the digits to look for among the
    stored numbers' digits, so "+49 (30) 1234" finds +49301234... whatever punctuation was typed.
    None when it does not look like one."""
    text = (text or "").strip()
    digits = phone_digits(text)
    if _PHONE_INPUT.match(text) and len(digits) >= PHONE_SEARCH_MIN_DIGITS:
        return digits
    return None


def clean_email(value) -> str | None:
    """A syntactically valid address (kernel/email.py: Django's rules), domain in lower case. Empty means none."""
    raw = _text(value, "email", "The email address", max_length=EMAIL_MAX, required=False)
    if not raw:
        return None
    if not is_valid_email(raw):
        raise DomainError(f"{raw!r} is not a valid email address.", field="email")
    local, domain = raw.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def email_key(email: str) -> str:
    """What email uniqueness compares: the whole address case-folded (mail providers treat the
    local part case-insensitively, even though RFC 5321 allows them not to)."""
    return email.casefold()


def clean_address(value) -> Address | None:
    """An address, or None when none is given (None, an empty mapping, or every field blank).
    line1, city and country are required; country is an ISO 3166-1 alpha-2 code."""
    return kernel_values.clean_address(value, required=False)


def clean_reason(value) -> str | None:
    return _text(value, "reason", "The reason", max_length=500, required=False) or None


def points_for(amount: Decimal, unit: Decimal) -> int:
    """One point per whole `unit` of money: floor(amount / unit)."""
    if unit <= 0:
        raise ValueError("the loyalty unit must be positive")
    return int((amount / unit).to_integral_value(rounding=ROUND_FLOOR))
