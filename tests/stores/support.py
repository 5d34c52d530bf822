"""Helpers shared by the stores tests: stores registered through the context's own commands."""

from __future__ import annotations

from contexts.stores import commands as c
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata

API = "/api/v1/stores"

BERLIN = {"code": "BER", "name": "Berlin Mitte", "tax_id": "DE123456789", "time_zone": "Europe/Berlin",
          "address": {"line1": "Unter den Linden 1", "line2": "", "city": "Berlin", "postal_code": "10117",
                      "country": "DE"},
          "receipt_header": "Willkommen!", "receipt_footer": "Danke und bis bald."}
NEW_YORK = {"code": "NYC", "name": "New York 5th Ave", "tax_id": "US-13-1234567", "time_zone": "America/New_York",
            "address": {"line1": "500 5th Ave", "line2": "", "city": "New York", "postal_code": "10110",
                        "country": "US"},
            "receipt_header": "", "receipt_footer": "Thank you!"}


def register_store(details: dict | None = None, **changes) -> dict:
    """Register a store (Berlin's details by default); returns the command side's state."""
    return execute(c.RegisterStore(**{**(details or BERLIN), **changes}), Metadata.new(user="test-setup"))
