"""The till's catalog: sales' own price list through the API, whole and by changes since a version
(in-process delivery, embedded mode's path)."""

import uuid
from decimal import Decimal

import pytest

from contexts.catalog import commands as cat
from contexts.sales.models import PriceListEntry
from infrastructure.commands.bus import execute
from tests.sales.support import META, make_product

pytestmark = pytest.mark.integration

URL = "/api/v1/sales/price-list/"


def by_sku(answer) -> dict:
    return {item["sku"]: item for item in answer["items"]}


def test_the_whole_price_list_is_what_sales_can_sell(shop):
    client = shop["client"]
    drinks = uuid.uuid4()
    execute(cat.CreateCategory(category_id=drinks, name="Drinks"), META)
    tea = uuid.uuid4()
    execute(cat.CreateProduct(product_id=tea, sku="TEA", name="Green tea", unit_price=Decimal("3.50"),
                              tax_rate=Decimal("10"), barcode="4006381333931", category_id=drinks), META)
    gone = make_product("GONE", "1.00")
    execute(cat.DiscontinueProduct(product_id=gone), META)

    answer = client.get(URL)
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["full"] is True and int(body["version"]) > 0
    items = by_sku(body)
    assert set(items) == {"COF", "SOAP", "NET", "TEA"}  # the discontinued product is not for sale
    assert items["TEA"] == {"product_id": str(tea), "sku": "TEA", "name": "Green tea", "category_id": str(drinks),
                            "category": "Drinks", "barcode": "4006381333931", "unit_price": "3.50",
                            "tax_rate": "10.00", "price_includes_tax": True, "active": True}
    assert items["COF"]["category"] is None and items["NET"]["price_includes_tax"] is False
    assert {c["name"] for c in body["categories"]} == {"Drinks"}


def test_changes_since_a_version_include_price_changes_new_and_discontinued_products(shop):
    client = shop["client"]
    first = client.get(URL).json()
    # rows changed before the version but within the overlap come again: pretend they are old
    PriceListEntry.objects.update(changed_at=PriceListEntry.objects.first().changed_at.replace(year=2020))

    execute(cat.ChangeProductPrice(product_id=shop["coffee"], unit_price=Decimal("5.25")), META)
    execute(cat.DiscontinueProduct(product_id=shop["soap"]), META)
    make_product("NEW", "7.00")

    changes = client.get(URL, {"since": first["version"]})
    assert changes.status_code == 200, changes.json()
    body = changes.json()
    assert body["full"] is False and int(body["version"]) >= int(first["version"])
    items = by_sku(body)
    assert set(items) == {"COF", "SOAP", "NEW"}  # NET did not change
    assert items["COF"]["unit_price"] == "5.25"
    assert items["SOAP"]["active"] is False  # a till must learn that it can no longer sell it

    again = client.get(URL, {"since": body["version"]}).json()
    assert {item["sku"] for item in again["items"]} <= {"COF", "SOAP", "NEW"}  # only the overlap repeats


def test_a_row_changed_just_before_the_version_is_sent_again(shop):
    """A projection transaction that began before a read may commit after it: rows changed up to
    a minute before `since` come again, so none is missed."""
    client = shop["client"]
    version = client.get(URL).json()["version"]
    assert {item["sku"] for item in client.get(URL, {"since": version}).json()["items"]} == {"COF", "SOAP", "NET"}


def test_a_bad_version_is_a_problem_naming_the_field(shop):
    answer = shop["client"].get(URL, {"since": "yesterday"})
    assert answer.status_code == 400
    assert answer["Content-Type"].startswith("application/problem+json")
    assert "since" in str(answer.json())


def test_only_signed_in_staff_read_it(client):
    assert client.get(URL).status_code == 401
