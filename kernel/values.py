"""Value rules more than one context uses: trimmed one-line (or multi-line) text and a postal
address. Each takes raw input, returns the normalised value or raises `DomainError` naming the
field at fault; normalising twice gives the same result. A context's event that carries an
address uses `PostalAddress` (its JSON Schema inlines the fields, so the contract is the
context's own)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from kernel.errors import DomainError

ADDRESS_FIELDS = ("line1", "line2", "city", "postal_code", "country")
ADDRESS_LINE_MAX, CITY_MAX, POSTAL_CODE_MAX = 200, 100, 20
_POSTAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]*$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


@dataclass(frozen=True)
class PostalAddress:
    """A postal address. `line2` and `postal_code` are "" when there is none; `country` is an
    ISO 3166-1 alpha-2 code ("DE", "US")."""

    line1: str
    line2: str
    city: str
    postal_code: str
    country: str


def clean_text(value, field: str, label: str, *, max_length: int, required: bool, multiline: bool = False) -> str:
    """Trimmed text with runs of whitespace collapsed to one space, no control characters; with
    `multiline` each line is trimmed that way and the line breaks stay."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DomainError(f"{label} must be text.", field=field)
    if multiline:
        text = "\n".join(" ".join(line.split()) for line in value.strip().splitlines())
    else:
        text = " ".join(value.split())
    if any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in text):
        raise DomainError(f"{label} contains control characters.", field=field)
    if required and not text:
        raise DomainError(f"{label} is required.", field=field)
    if len(text) > max_length:
        raise DomainError(f"{label} has at most {max_length} characters (this one has {len(text)}).", field=field)
    return text


def clean_address(value, *, required: bool) -> PostalAddress | None:
    """An address; line1, city and country are required in one, and country is an ISO 3166-1
    alpha-2 code (it and the postal code upper-cased). Without `required`, None (or every field blank) means none."""
    if value is None and not required:
        return None
    if isinstance(value, PostalAddress):
        value = {name: getattr(value, name) for name in ADDRESS_FIELDS}
    if not isinstance(value, Mapping):
        raise DomainError("An address is an object with line1, line2, city, postal_code and country.",
                          field="address")
    unknown = sorted(set(value) - set(ADDRESS_FIELDS))
    if unknown:
        raise DomainError(f"Unknown address field {unknown[0]!r}.", field=f"address.{unknown[0]}")
    if not required and all(not str(value.get(name) or "").strip() for name in ADDRESS_FIELDS):
        return None
    line1 = clean_text(value.get("line1"), "address.line1", "The first address line", max_length=ADDRESS_LINE_MAX,
                       required=True)
    line2 = clean_text(value.get("line2"), "address.line2", "The second address line", max_length=ADDRESS_LINE_MAX,
                       required=False)
    city = clean_text(value.get("city"), "address.city", "The city", max_length=CITY_MAX, required=True)
    postal_code = clean_text(value.get("postal_code"), "address.postal_code", "The postal code",
                             max_length=POSTAL_CODE_MAX, required=False)
    if postal_code and not _POSTAL_CODE.match(postal_code):
        raise DomainError("A postal code has letters, digits, spaces and dashes.", field="address.postal_code")
    country = clean_text(value.get("country"), "address.country", "The country", max_length=2, required=True)
    if not _COUNTRY.match(country):
        raise DomainError("The country is a two-letter ISO 3166-1 code such as DE or FR.", field="address.country")
    return PostalAddress(line1=line1, line2=line2, city=city, postal_code=postal_code.upper(),
                         country=country.upper())


# What a forgotten person's personal data shows as, in every context (docs/personal-data.md).
ERASED = "(erased)"
