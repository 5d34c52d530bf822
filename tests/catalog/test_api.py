"""The catalog API (`/api/v1/catalog/`), every endpoint, with events delivered in-process after
each commit (embedded mode) so the read models are current when the write returns.

Errors are RFC 9457 problem details naming the field at fault; managers write, cashiers read,
anonymous callers are told to authenticate (401)."""

import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command

from contexts.catalog import commands as c
from contexts.catalog.command_side import CategoryKey, ProductKey
from contexts.catalog.models import CategoryView, ProductView, StockMovementView
from contexts.catalog.domain.stock import stock_stream_id
from infrastructure.commands.bus import execute
from infrastructure.eventstore.models import StoredEvent

from .support import (
    API,
    PROBLEM,
    assert_problem,
    catalog_tables,
    ean13,
    event_count,
    event_types,
    events_of,
    make_category,
    make_product,
    meta,
    product_row,
    unique_sku,
    wrong_check_digit,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("embedded_delivery")]


def product_payload(**overrides) -> dict:
    payload = {"sku": unique_sku("API"), "barcode": ean13(), "name": "Sourdough bread 800 g", "unit_price": "3.80",
               "tax_rate": "5", "price_includes_tax": True, "low_stock_threshold": 4}
    payload.update(overrides)
    return {key: value for key, value in payload.items() if value is not ...}


def ids(response) -> list[str]:
    return [row["id"] for row in response.json()["results"]]


# === categories ===============================================================================
def test_create_a_category(manager):
    response = manager.post(f"{API}/categories/", {"name": "  Hot   drinks "}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Hot drinks" and body["version"] == 1
    category = CategoryView.objects.get(id=body["id"])
    assert (category.name, category.status, category.active_product_count) == ("Hot drinks", "active", 0)
    assert event_types(body["id"]) == ["CategoryCreated"]


def test_create_a_category_with_a_client_chosen_id(manager):
    category_id = uuid.uuid4()
    response = manager.post(f"{API}/categories/", {"id": str(category_id), "name": "Frozen"}, format="json")
    assert response.status_code == 201 and response.json()["id"] == str(category_id)
    again = manager.post(f"{API}/categories/", {"id": str(category_id), "name": "Frozen again"}, format="json")
    assert_problem(again, 409)


@pytest.mark.parametrize("payload, field", [({}, "name"), ({"name": ""}, "name"), ({"name": "x" * 101}, "name"),
                                            ({"name": "   "}, "name"), ({"id": "not-a-uuid", "name": "A"}, "id")])
def test_create_a_category_with_bad_input(manager, payload, field):
    assert_problem(manager.post(f"{API}/categories/", payload, format="json"), 400, field)
    assert CategoryKey.objects.count() == 0 and event_count() == 0


def test_category_names_are_unique_ignoring_case(manager):
    make_category("Drinks")
    response = manager.post(f"{API}/categories/", {"name": "DRINKS"}, format="json")
    assert_problem(response, 409, "name", contains="already exists")
    assert CategoryView.objects.count() == 1


def test_list_search_filter_and_order_categories(cashier):
    drinks, bakery, household = make_category("Drinks"), make_category("Bakery"), make_category("Household")
    make_product(category_id=drinks)
    make_product(category_id=drinks)
    execute(c.DeleteCategory(category_id=household), meta())

    response = cashier.get(f"{API}/categories/")
    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert [row["name"] for row in response.json()["results"]] == ["Bakery", "Drinks", "Household"]
    assert ids(cashier.get(f"{API}/categories/", {"search": "drin"})) == [str(drinks)]
    assert ids(cashier.get(f"{API}/categories/", {"status": "deleted"})) == [str(household)]
    assert ids(cashier.get(f"{API}/categories/", {"status": "active", "ordering": "-active_product_count"})) == [
        str(drinks), str(bakery)]


def test_category_detail(cashier):
    category_id = make_category("Bakery")
    make_product(category_id=category_id)
    make_product(category_id=category_id, discontinued=True)
    response = cashier.get(f"{API}/categories/{category_id}/")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"], body["status"], body["active_product_count"], body["version"]) == (
        str(category_id), "Bakery", "active", 1, 1)


@pytest.mark.parametrize("suffix", ["", "history/"])
def test_category_detail_of_an_unknown_or_malformed_id_is_404(cashier, suffix):
    body = assert_problem(cashier.get(f"{API}/categories/{uuid.uuid4()}/{suffix}"), 404)
    assert "No category with id" in body["detail"] or "No history for" in body["detail"]
    assert_problem(cashier.get(f"{API}/categories/not-a-uuid/{suffix}"), 404)


def test_rename_a_category_and_its_products_follow(manager):
    category_id = make_category("Drinks")
    product_id = make_product(category_id=category_id)
    response = manager.patch(f"{API}/categories/{category_id}/", {"name": "Beverages"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"id": str(category_id), "version": 2, "name": "Beverages"}
    assert CategoryView.objects.get(id=category_id).name == "Beverages"
    assert product_row(product_id).category_name == "Beverages"


def test_rename_errors(manager):
    drinks, bakery = make_category("Drinks"), make_category("Bakery")
    assert_problem(manager.patch(f"{API}/categories/{drinks}/", {"name": "bakery"}, format="json"), 409, "name")
    assert_problem(manager.patch(f"{API}/categories/{drinks}/", {}, format="json"), 400, "name")
    assert_problem(manager.patch(f"{API}/categories/{uuid.uuid4()}/", {"name": "X"}, format="json"), 404)
    assert_problem(manager.patch(f"{API}/categories/nope/", {"name": "X"}, format="json"), 404)
    assert CategoryView.objects.get(id=drinks).name == "Drinks" and CategoryView.objects.get(id=bakery).version == 1


def test_delete_an_empty_category_frees_its_name(manager):
    category_id = make_category("Seasonal")
    make_product(category_id=category_id, discontinued=True)  # discontinued products do not hold it
    response = manager.delete(f"{API}/categories/{category_id}/")
    assert response.status_code == 200, response.content
    assert response.json() == {"id": str(category_id), "version": 2, "deleted": True}
    assert CategoryView.objects.get(id=category_id).status == "deleted"
    assert manager.post(f"{API}/categories/", {"name": "Seasonal"}, format="json").status_code == 201
    assert_problem(manager.delete(f"{API}/categories/{category_id}/"), 409)  # already deleted
    assert_problem(manager.patch(f"{API}/categories/{category_id}/", {"name": "Back"}, format="json"), 409)


def test_a_category_with_active_products_cannot_be_deleted(manager):
    category_id = make_category("Dairy")
    make_product(category_id=category_id)
    make_product(category_id=category_id)
    response = manager.delete(f"{API}/categories/{category_id}/")
    body = assert_problem(response, 409, contains="still has 2 active product(s)")
    assert "Dairy" in body["detail"] and "move or discontinue them first" in body["detail"]
    assert body["type"].endswith("/category-in-use/")
    assert CategoryView.objects.get(id=category_id).status == "active"
    assert event_types(category_id) == ["CategoryCreated"]
    assert_problem(manager.delete(f"{API}/categories/{uuid.uuid4()}/"), 404)
    assert_problem(manager.delete(f"{API}/categories/123/"), 404)


def test_category_history(manager):
    category_id = make_category("Drinks")
    manager.patch(f"{API}/categories/{category_id}/", {"name": "Beverages"}, format="json",
                  HTTP_X_REQUEST_ID="req-rename-1")
    response = manager.get(f"{API}/categories/{category_id}/history/")
    assert response.status_code == 200
    history = response.json()
    assert [(e["version"], e["event_type"]) for e in history] == [(1, "CategoryCreated"), (2, "CategoryRenamed")]
    assert history[1]["data"] == {"category_id": str(category_id), "name": "Beverages"}
    assert (history[1]["user"], history[1]["request_id"]) == ("test-manager", "req-rename-1")
    assert history[0]["user"] == "test-setup"


# === products: create ==========================================================================
def test_create_a_product(manager):
    category_id = make_category("Bakery")
    payload = product_payload(sku="brd-800", category_id=str(category_id))
    response = manager.post(f"{API}/products/", payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sku"] == "BRD-800" and body["barcode"] == payload["barcode"]
    assert (body["unit_price"], body["tax_rate"], body["status"], body["on_hand"], body["version"]) == (
        "3.80", "5.00", "active", 0, 1)
    row = product_row(body["id"])
    assert (row.sku, row.name, row.category_name, row.unit_price, row.tax_rate, row.low_stock_threshold) == (
        "BRD-800", "Sourdough bread 800 g", "Bakery", Decimal("3.80"), Decimal("5.00"), 4)
    assert CategoryView.objects.get(id=category_id).active_product_count == 1
    assert event_types(body["id"]) == ["ProductCreated"]


def test_create_a_product_without_barcode_category_or_defaults(manager):
    payload = product_payload(barcode="", low_stock_threshold=..., price_includes_tax=...)
    response = manager.post(f"{API}/products/", payload, format="json")
    assert response.status_code == 201, response.content
    row = product_row(response.json()["id"])
    assert (row.barcode, row.category_id, row.low_stock_threshold, row.price_includes_tax) == (None, None, 0, True)
    # Two products without a barcode do not collide on it.
    assert manager.post(f"{API}/products/", product_payload(barcode=None), format="json").status_code == 201


@pytest.mark.parametrize("overrides, status, field", [
    ({"barcode": wrong_check_digit(ean13("400638133393"))}, 422, "barcode"),
    ({"barcode": "40063813339"}, 422, "barcode"),
    ({"barcode": "40063813339²"}, 422, "barcode"),
    ({"barcode": "40063813339311"}, 400, "barcode"),
    ({"unit_price": "0"}, 422, "unit_price"),
    ({"unit_price": "-1.00"}, 422, "unit_price"),
    ({"unit_price": "1.005"}, 400, "unit_price"),
    ({"unit_price": "abc"}, 400, "unit_price"),
    ({"tax_rate": "150"}, 422, "tax_rate"),
    ({"tax_rate": "-5"}, 422, "tax_rate"),
    ({"tax_rate": "5.555"}, 400, "tax_rate"),
    ({"sku": "-bad sku"}, 422, "sku"),
    ({"sku": ...}, 400, "sku"),
    ({"name": ""}, 400, "name"),
    ({"name": "   "}, 400, "name"),
    ({"low_stock_threshold": -1}, 400, "low_stock_threshold"),
    ({"category_id": "not-a-uuid"}, 400, "category_id"),
    ({"unit_price": ..., "tax_rate": ...}, 400, "tax_rate"),
])
def test_create_a_product_with_a_bad_value(manager, overrides, status, field):
    response = manager.post(f"{API}/products/", product_payload(**overrides), format="json")
    assert_problem(response, status, field)
    assert ProductKey.objects.count() == 0 and ProductView.objects.count() == 0 and event_count() == 0


def test_a_bad_check_digit_names_the_expected_digit(manager):
    response = manager.post(f"{API}/products/", product_payload(barcode="4006381333932"), format="json")
    body = assert_problem(response, 422, "barcode")
    assert body["errors"] == [{"field": "barcode", "message": "Barcode 4006381333932 has a wrong check digit "
                                                              "(expected 1)."}]


def test_an_unknown_or_deleted_category_is_refused(manager):
    response = manager.post(f"{API}/products/", product_payload(category_id=str(uuid.uuid4())), format="json")
    assert_problem(response, 422, "category_id", contains="There is no category")
    deleted = make_category("Gone")
    execute(c.DeleteCategory(category_id=deleted), meta())
    response = manager.post(f"{API}/products/", product_payload(category_id=str(deleted)), format="json")
    assert_problem(response, 422, "category_id")
    assert ProductView.objects.count() == 0


def test_skus_and_barcodes_are_unique(manager):
    existing = manager.post(f"{API}/products/", product_payload(sku="COF-250", barcode="4006381333931"), format="json")
    assert existing.status_code == 201
    same_sku = manager.post(f"{API}/products/", product_payload(sku="cof-250"), format="json")
    assert_problem(same_sku, 409, "sku", contains="COF-250 is already used")
    same_barcode = manager.post(f"{API}/products/", product_payload(barcode="4006381333931"), format="json")
    assert_problem(same_barcode, 409, "barcode", contains="4006381333931 is already used")
    assert ProductView.objects.count() == 1 and ProductKey.objects.count() == 1
    assert event_count(event_type="ProductCreated") == 1


# === products: reads ===========================================================================
def test_product_detail(cashier):
    product_id = make_product(stock=12, sku="JUI-100", unit_price="2.49", tax_rate="10", low_stock_threshold=5)
    response = cashier.get(f"{API}/products/{product_id}/")
    assert response.status_code == 200
    body = response.json()
    assert (body["sku"], body["unit_price"], body["tax_rate"], body["on_hand"], body["reserved"], body["available"],
            body["is_low_stock"], body["last_movement_kind"], body["version"]) == (
        "JUI-100", "2.49", "10.00", 12, 0, 12, False, "received", 1)  # the product stream's version: stock is apart
    assert body["last_movement_at"] is not None


def test_product_detail_of_an_unknown_or_malformed_id_is_404(cashier):
    body = assert_problem(cashier.get(f"{API}/products/{uuid.uuid4()}/"), 404)
    assert "No product with id" in body["detail"]
    assert_problem(cashier.get(f"{API}/products/not-a-uuid/"), 404, contains="not an id")
    assert_problem(cashier.get(f"{API}/products/not-a-uuid/stock-movements/"), 404)
    assert_problem(cashier.get(f"{API}/products/{uuid.uuid4()}/history/"), 404)


def test_list_products_paginated(cashier):
    for n in range(55):
        make_product(name=f"Item {n:02d}", barcode=None)
    first = cashier.get(f"{API}/products/")
    assert first.status_code == 200
    body = first.json()
    assert body["count"] == 55 and len(body["results"]) == 50 and body["previous"] is None
    assert body["next"].endswith("/api/v1/catalog/products/?page=2")
    assert [row["name"] for row in body["results"]][:2] == ["Item 00", "Item 01"]  # by name
    second = cashier.get(f"{API}/products/", {"page": 2}).json()
    assert [row["name"] for row in second["results"]] == [f"Item {n}" for n in range(50, 55)]
    assert second["next"] is None
    assert_problem(cashier.get(f"{API}/products/", {"page": 3}), 404)


def test_filter_search_and_order_products(cashier):
    drinks, bakery = make_category("Drinks"), make_category("Bakery")
    coffee = make_product(name="Ground coffee 250 g", category_id=drinks, unit_price="4.99", stock=40,
                          low_stock_threshold=10)
    water = make_product(name="Still water 1.5 l", category_id=drinks, unit_price="0.89", stock=3,
                         low_stock_threshold=24)
    bread = make_product(name="Sourdough bread", category_id=bakery, unit_price="3.80", stock=15, discontinued=True)

    def listed(**params):
        response = cashier.get(f"{API}/products/", params)
        assert response.status_code == 200, response.content
        return ids(response)

    assert set(listed(category_id=str(drinks))) == {str(coffee), str(water)}
    assert listed(category_id=str(bakery)) == [str(bread)]
    assert listed(status="discontinued") == [str(bread)]
    assert set(listed(status="active")) == {str(coffee), str(water)}
    assert listed(is_low_stock="true") == [str(water)]
    assert set(listed(is_low_stock="false")) == {str(coffee), str(bread)}
    assert listed(search="coffee") == [str(coffee)]
    assert listed(search="WATER") == [str(water)]
    assert listed(search="nothing like it") == []
    assert listed(ordering="unit_price") == [str(water), str(bread), str(coffee)]
    assert listed(ordering="-unit_price") == [str(coffee), str(bread), str(water)]
    assert listed(ordering="-on_hand", status="active") == [str(coffee), str(water)]
    assert_problem(cashier.get(f"{API}/products/", {"category_id": "nope"}), 400, "category_id")


def test_lookup_by_barcode_and_by_sku(cashier):
    barcode = ean13()
    product_id = make_product(sku="SOA-500", barcode=barcode)
    upc = make_product(barcode="036000291452")
    for code in (barcode, "SOA-500", "soa-500", f" {barcode} "):
        response = cashier.get(f"{API}/products/lookup/", {"code": code})
        assert response.status_code == 200, (code, response.content)
        assert response.json()["id"] == str(product_id)
    assert cashier.get(f"{API}/products/lookup/", {"code": "036000291452"}).json()["id"] == str(upc)


def test_lookup_prefers_the_active_product_when_a_sku_equals_another_barcode(cashier):
    code = ean13()
    by_sku = make_product(sku=code, barcode=None, discontinued=True)
    by_barcode = make_product(barcode=code)
    assert cashier.get(f"{API}/products/lookup/", {"code": code}).json()["id"] == str(by_barcode)
    execute(c.DiscontinueProduct(product_id=by_barcode), meta())
    execute(c.ReactivateProduct(product_id=by_sku), meta())
    assert cashier.get(f"{API}/products/lookup/", {"code": code}).json()["id"] == str(by_sku)


def test_lookup_of_an_unknown_code_is_404_and_without_a_code_400(cashier):
    make_product(sku="KNOWN-1")
    assert_problem(cashier.get(f"{API}/products/lookup/", {"code": "5901234123457"}), 404,
                   contains="No product with barcode or SKU 5901234123457")
    assert_problem(cashier.get(f"{API}/products/lookup/"), 400, "code")
    assert_problem(cashier.get(f"{API}/products/lookup/", {"code": "  "}), 400, "code")


def test_low_stock_lists_products_at_or_under_their_threshold_and_negative_stock(cashier):
    low = make_product(name="A low", stock=3, low_stock_threshold=5)
    at = make_product(name="B at threshold", stock=5, low_stock_threshold=5)
    make_product(name="C fine", stock=6, low_stock_threshold=5)
    negative = make_product(name="D negative", stock=1, low_stock_threshold=0)
    execute(c.RecordSale(order_id=uuid.uuid4(), lines=(c.OrderLineQuantity(negative, 3),)), meta())
    make_product(name="E discontinued empty", low_stock_threshold=5, discontinued=True)
    negative_discontinued = make_product(name="F discontinued negative", discontinued=True)
    execute(c.RecordSale(order_id=uuid.uuid4(), lines=(c.OrderLineQuantity(negative_discontinued, 1),)), meta())

    response = cashier.get(f"{API}/products/low-stock/")
    assert response.status_code == 200
    body = response.json()
    # Most urgent first: by available, then name.
    assert ids(response) == [str(negative), str(negative_discontinued), str(low), str(at)]
    assert [row["available"] for row in body["results"]] == [-2, -1, 3, 5]
    assert all(row["is_low_stock"] for row in body["results"])
    # Raising the stock above the threshold takes it off the list.
    execute(c.ReceiveStock(product_id=low, quantity=10), meta())
    assert str(low) not in ids(cashier.get(f"{API}/products/low-stock/"))
    assert ids(cashier.get(f"{API}/products/low-stock/", {"search": "negative"})) == [
        str(negative), str(negative_discontinued)]


# === products: updates =========================================================================
def test_patch_details_and_price(manager):
    drinks, bakery = make_category("Drinks"), make_category("Bakery")
    product_id = make_product(category_id=drinks, unit_price="2.50", tax_rate="20", name="Juice")
    response = manager.patch(f"{API}/products/{product_id}/", {
        "name": "Orange juice 1 l", "category_id": str(bakery), "tax_rate": "10", "unit_price": "2.49",
        "price_includes_tax": False, "low_stock_threshold": 8}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["category_id"], body["tax_rate"], body["unit_price"], body["version"]) == (
        "Orange juice 1 l", str(bakery), "10.00", "2.49", 3)
    assert event_types(product_id) == ["ProductCreated", "ProductDetailsUpdated", "ProductPriceChanged"]
    price_changed = events_of(product_id)[-1][1]
    assert (price_changed["old_price"], price_changed["new_price"]) == ("2.50", "2.49")
    row = product_row(product_id)
    assert (row.name, row.category_name, row.unit_price, row.tax_rate, row.price_includes_tax, row.low_stock_threshold,
            row.version) == ("Orange juice 1 l", "Bakery", Decimal("2.49"), Decimal("10.00"), False, 8, 3)
    assert CategoryView.objects.get(id=drinks).active_product_count == 0
    assert CategoryView.objects.get(id=bakery).active_product_count == 1


def test_patch_only_the_price_records_only_a_price_change(manager):
    product_id = make_product(unit_price="2.50")
    response = manager.patch(f"{API}/products/{product_id}/", {"unit_price": "3.00"}, format="json")
    assert response.status_code == 200
    assert event_types(product_id) == ["ProductCreated", "ProductPriceChanged"]
    assert product_row(product_id).unit_price == Decimal("3.00")


def test_patch_can_remove_the_barcode_and_the_category(manager):
    category_id = make_category()
    product_id = make_product(category_id=category_id)
    response = manager.patch(f"{API}/products/{product_id}/", {"barcode": "", "category_id": None}, format="json")
    assert response.status_code == 200, response.content
    row = product_row(product_id)
    assert (row.barcode, row.category_id, row.category_name) == (None, None, "")
    assert ProductKey.objects.get(product_id=product_id).barcode is None


@pytest.mark.parametrize("payload, status, field", [
    ({"barcode": "4006381333932"}, 422, "barcode"),
    ({"unit_price": "0"}, 422, "unit_price"),
    ({"unit_price": "-2"}, 422, "unit_price"),
    ({"tax_rate": "101"}, 422, "tax_rate"),
    ({"sku": "bad sku!"}, 422, "sku"),
    ({"category_id": "00000000-0000-0000-0000-000000000001"}, 422, "category_id"),
    ({"low_stock_threshold": -3}, 400, "low_stock_threshold"),
    ({"name": ""}, 400, "name"),
])
def test_patch_with_a_bad_value_changes_nothing(manager, payload, status, field):
    product_id = make_product()
    before = product_row(product_id)
    assert_problem(manager.patch(f"{API}/products/{product_id}/", payload, format="json"), status, field)
    assert event_types(product_id) == ["ProductCreated"]
    assert product_row(product_id).version == before.version


def test_patch_with_nothing_to_change_is_400(manager):
    product_id = make_product()
    body = assert_problem(manager.patch(f"{API}/products/{product_id}/", {}, format="json"), 400)
    assert "at least one field" in body["detail"]


def test_patch_to_a_sku_or_barcode_of_another_product_is_409(manager):
    barcode = ean13()
    make_product(sku="TAKEN-1", barcode=barcode)
    product_id = make_product()
    assert_problem(manager.patch(f"{API}/products/{product_id}/", {"sku": "taken-1"}, format="json"), 409, "sku")
    assert_problem(manager.patch(f"{API}/products/{product_id}/", {"barcode": barcode}, format="json"), 409,
                   "barcode")
    assert event_types(product_id) == ["ProductCreated"]


def test_patch_or_act_on_an_unknown_or_malformed_product_is_404(manager):
    for url, payload in (("", {"name": "X"}), ("change-price/", {"unit_price": "1.00"}), ("discontinue/", {}),
                         ("reactivate/", {}), ("receive-stock/", {"quantity": 1}),
                         ("adjust-stock/", {"counted_quantity": 1, "reason": "count"})):
        method = manager.patch if url == "" else manager.post
        body = assert_problem(method(f"{API}/products/{uuid.uuid4()}/{url}", payload, format="json"), 404)
        assert "No product with id" in body["detail"]
        assert_problem(method(f"{API}/products/12345/{url}", payload, format="json"), 404)
    assert_problem(manager.delete(f"{API}/products/{uuid.uuid4()}/"), 404)
    assert event_count() == 0


def test_change_price(manager):
    product_id = make_product(unit_price="4.99")
    response = manager.post(f"{API}/products/{product_id}/change-price/", {"unit_price": "5.49"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["unit_price"] == "5.49"
    assert events_of(product_id)[-1] == ("ProductPriceChanged", {"product_id": str(product_id), "old_price": "4.99",
                                                                 "new_price": "5.49"})
    assert product_row(product_id).unit_price == Decimal("5.49")
    # The same price again: nothing to record.
    assert manager.post(f"{API}/products/{product_id}/change-price/", {"unit_price": "5.49"},
                        format="json").status_code == 200
    assert event_types(product_id).count("ProductPriceChanged") == 1


@pytest.mark.parametrize("payload, status", [({"unit_price": "0"}, 422), ({"unit_price": "-0.50"}, 422),
                                             ({"unit_price": "0.001"}, 400), ({}, 400)])
def test_change_price_errors(manager, payload, status):
    product_id = make_product(unit_price="4.99")
    assert_problem(manager.post(f"{API}/products/{product_id}/change-price/", payload, format="json"), status,
                   "unit_price")
    assert product_row(product_id).unit_price == Decimal("4.99")


def test_discontinue_and_reactivate(manager):
    category_id = make_category()
    product_id = make_product(category_id=category_id)
    response = manager.post(f"{API}/products/{product_id}/discontinue/", {"reason": "supplier stopped"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "discontinued"
    assert product_row(product_id).status == "discontinued"
    assert CategoryView.objects.get(id=category_id).active_product_count == 0
    assert events_of(product_id)[-1][1]["reason"] == "supplier stopped"

    body = assert_problem(manager.post(f"{API}/products/{product_id}/discontinue/", {}, format="json"), 409)
    assert body["type"].endswith("/already-discontinued/")

    response = manager.post(f"{API}/products/{product_id}/reactivate/")
    assert response.status_code == 200 and response.json()["status"] == "active"
    assert product_row(product_id).status == "active"
    assert CategoryView.objects.get(id=category_id).active_product_count == 1
    body = assert_problem(manager.post(f"{API}/products/{product_id}/reactivate/"), 409)
    assert body["type"].endswith("/not-discontinued/")
    assert event_types(product_id) == ["ProductCreated", "ProductDiscontinued", "ProductReactivated"]


def test_delete_discontinues_the_product(manager):
    product_id = make_product()
    response = manager.delete(f"{API}/products/{product_id}/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "discontinued"
    assert product_row(product_id).status == "discontinued"  # never deleted: history and row stay
    assert event_types(product_id) == ["ProductCreated", "ProductDiscontinued"]
    other = make_product()
    response = manager.delete(f"{API}/products/{other}/", {"reason": "seasonal"}, format="json")
    assert response.status_code == 200 and events_of(other)[-1][1]["reason"] == "seasonal"
    assert_problem(manager.delete(f"{API}/products/{product_id}/"), 409)


# === stock =====================================================================================
def test_receive_stock(manager):
    product_id = make_product(low_stock_threshold=5)
    response = manager.post(f"{API}/products/{product_id}/receive-stock/",
                            {"quantity": 24, "supplier_reference": "PO-2024-17"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["on_hand"], response.json()["available"]) == (24, 24)
    row = product_row(product_id)
    assert (row.on_hand, row.available, row.is_low_stock, row.last_movement_kind) == (24, 24, False, "received")
    assert events_of(stock_stream_id(product_id, "S1"))[-1] == ("StockReceived", {
        "product_id": str(product_id), "store_code": "S1", "quantity": 24, "supplier_reference": "PO-2024-17",
        "on_hand_after": 24, "supplier": None, "unit_cost": None, "average_cost_after": None})
    assert event_types(product_id) == ["ProductCreated"]  # the catalog stream takes no stock
    response = manager.post(f"{API}/products/{product_id}/receive-stock/", {"quantity": 1}, format="json")
    assert response.status_code == 200 and response.json()["on_hand"] == 25


@pytest.mark.parametrize("payload, field", [({"quantity": 0}, "quantity"), ({"quantity": -4}, "quantity"),
                                            ({"quantity": 1_000_001}, "quantity"), ({"quantity": "many"}, "quantity"),
                                            ({}, "quantity"), ({"quantity": 2.5}, "quantity"),
                                            ({"quantity": 1, "supplier_reference": "x" * 101}, "supplier_reference")])
def test_receive_stock_with_bad_input(manager, payload, field):
    product_id = make_product()
    assert_problem(manager.post(f"{API}/products/{product_id}/receive-stock/", payload, format="json"), 400, field)
    assert product_row(product_id).on_hand == 0 and event_types(product_id) == ["ProductCreated"]
    assert event_types(stock_stream_id(product_id, "S1")) == []


def test_adjust_stock_after_a_count(manager):
    product_id = make_product(stock=10)
    response = manager.post(f"{API}/products/{product_id}/adjust-stock/",
                            {"counted_quantity": 7, "reason": "monthly count"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["on_hand"] == 7
    assert events_of(stock_stream_id(product_id, "S1"))[-1][1] == {
        "product_id": str(product_id), "store_code": "S1", "counted_quantity": 7, "delta": -3,
        "reason": "monthly count", "on_hand_after": 7}
    row = product_row(product_id)
    assert (row.on_hand, row.last_movement_kind) == (7, "adjusted")
    assert manager.post(f"{API}/products/{product_id}/adjust-stock/", {"counted_quantity": 0, "reason": "breakage"},
                        format="json").json()["on_hand"] == 0


@pytest.mark.parametrize("payload, status, field", [
    ({"counted_quantity": 5}, 400, "reason"),
    ({"counted_quantity": 5, "reason": ""}, 400, "reason"),
    ({"counted_quantity": 5, "reason": "   "}, 400, "reason"),
    ({"counted_quantity": -1, "reason": "count"}, 400, "counted_quantity"),
    ({"reason": "count"}, 400, "counted_quantity"),
])
def test_adjust_stock_with_bad_input(manager, payload, status, field):
    product_id = make_product(stock=10)
    assert_problem(manager.post(f"{API}/products/{product_id}/adjust-stock/", payload, format="json"), status, field)
    assert product_row(product_id).on_hand == 10


def test_stock_movements_newest_first(cashier):
    product_id = make_product(stock=10)
    execute(c.AdjustStock(product_id=product_id, counted_quantity=8, reason="count"), meta())
    order_id = uuid.uuid4()
    execute(c.RecordSale(order_id=order_id, lines=(c.OrderLineQuantity(product_id, 3),)), meta())
    make_product(stock=99)  # another product's movements are not listed
    response = cashier.get(f"{API}/products/{product_id}/stock-movements/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [(m["kind"], m["on_hand_delta"], m["on_hand_after"], m["reference"]) for m in body["results"]] == [
        ("sold", -3, 5, str(order_id)), ("adjusted", -2, 8, "count"), ("received", 10, 10, "opening")]


def test_product_history_with_who_and_which_request(manager):
    product_id = make_product(unit_price="1.00")
    manager.post(f"{API}/products/{product_id}/change-price/", {"unit_price": "1.20"}, format="json",
                 HTTP_X_REQUEST_ID="req-price-42")
    manager.post(f"{API}/products/{product_id}/receive-stock/", {"quantity": 6}, format="json",
                 HTTP_X_CORRELATION_ID="corr-7")
    response = manager.get(f"{API}/products/{product_id}/history/")
    assert response.status_code == 200
    history = response.json()
    # The product's own stream: its catalog details. Its stock is on the stock streams (one per
    # store, `stock-movements/` lists them).
    assert [(e["version"], e["event_type"]) for e in history] == [(1, "ProductCreated"), (2, "ProductPriceChanged")]
    assert history[1]["user"] == "test-manager" and history[1]["request_id"] == "req-price-42"
    assert history[1]["correlation_id"] == "req-price-42"
    assert history[1]["data"] == {"product_id": str(product_id), "old_price": "1.00", "new_price": "1.20"}
    assert all(e["recorded_at"] and e["schema_version"] == 1 for e in history)
    (received,) = StoredEvent.objects.filter(stream_id=stock_stream_id(product_id, "S1"))
    assert received.event_type == "StockReceived" and received.metadata["correlation_id"] == "corr-7"
    assert received.metadata["request_id"] and received.schema_version == 2


def test_the_ledger_sums_to_on_hand_and_rebuild_reproduces_the_tables(manager):
    drinks = make_category("Drinks")
    a = make_product(category_id=drinks, stock=10)
    b = make_product(category_id=drinks, stock=4, low_stock_threshold=5)
    execute(c.AdjustStock(product_id=a, counted_quantity=9, reason="count"), meta())
    execute(c.RecordSale(order_id=uuid.uuid4(), lines=(c.OrderLineQuantity(a, 2), c.OrderLineQuantity(b, 6))), meta())
    execute(c.RenameCategory(category_id=drinks, name="Beverages"), meta())
    execute(c.DiscontinueProduct(product_id=b), meta())
    for product_id in (a, b):
        row = product_row(product_id)
        ledger = StockMovementView.objects.filter(product_id=product_id)
        assert sum(m.on_hand_delta for m in ledger) == row.on_hand
    assert (product_row(a).on_hand, product_row(b).on_hand) == (7, -2)

    before = catalog_tables()
    call_command("rebuild_projections", "--context", "catalog", "--no-progress")
    assert catalog_tables() == before
    assert len(before["products"]) == 2 and len(before["movements"]) == 5


# === permissions ===============================================================================
READS = [
    ("get", "categories/", None),
    ("get", "categories/{category}/", None),
    ("get", "categories/{category}/history/", None),
    ("get", "products/", None),
    ("get", "products/{product}/", None),
    ("get", "products/{product}/stock-movements/", None),
    ("get", "products/{product}/history/", None),
    ("get", "products/low-stock/", None),
    ("get", "products/lookup/?code={sku}", None),
]
WRITES = [
    ("post", "categories/", {"name": "New category"}, 201),
    ("patch", "categories/{category}/", {"name": "Renamed"}, 200),
    ("delete", "categories/{empty_category}/", None, 200),
    ("post", "products/", "new-product", 201),
    ("patch", "products/{product}/", {"name": "Renamed product"}, 200),
    ("delete", "products/{product}/", None, 200),
    ("post", "products/{product}/change-price/", {"unit_price": "9.99"}, 200),
    ("post", "products/{product}/discontinue/", {"reason": "test"}, 200),
    ("post", "products/{discontinued}/reactivate/", None, 200),
    ("post", "products/{product}/receive-stock/", {"quantity": 3}, 200),
    ("post", "products/{product}/adjust-stock/", {"counted_quantity": 2, "reason": "count"}, 200),
]
CASES = ([(method, url, payload, 200, False) for method, url, payload in READS]
         + [(method, url, payload, ok, True) for method, url, payload, ok in WRITES])


@pytest.fixture
def world():
    category = make_category("Matrix")
    sku = unique_sku("MATRIX")
    return {"category": category, "empty_category": make_category("Empty"),
            "product": make_product(category_id=category, sku=sku, stock=5),
            "discontinued": make_product(discontinued=True), "sku": sku}


@pytest.mark.parametrize("role", ["anonymous", "cashier", "manager"])
@pytest.mark.parametrize("method, url, payload, ok, is_write", CASES,
                         ids=[f"{case[0]} {case[1]}" for case in CASES])
def test_permission_matrix(request, world, role, method, url, payload, ok, is_write):
    client = request.getfixturevalue(role)
    if payload == "new-product":
        payload = product_payload(category_id=str(world["category"]))
    events_before = event_count()
    response = getattr(client, method)(f"{API}/{url.format(**world)}", payload, format="json") if payload is not None \
        else getattr(client, method)(f"{API}/{url.format(**world)}")

    if role == "anonymous":
        assert_problem(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")
    elif role == "cashier" and is_write:
        body = assert_problem(response, 403)
        assert "Only a manager may change this" in body["detail"]
    else:
        assert response.status_code == ok, response.content
        assert response["Content-Type"].startswith("application/json")
    wrote = event_count() > events_before
    assert wrote == (is_write and role == "manager")


def test_the_api_answers_problem_json_for_an_unknown_catalog_address(cashier):
    response = cashier.get(f"{API}/nothing-here/")
    assert response.status_code == 404 and response["Content-Type"].startswith(PROBLEM)


def test_a_write_through_the_api_is_stored_once_with_its_outbox_entry(manager):
    from infrastructure.outbox.models import OutboxEntry

    response = manager.post(f"{API}/products/", product_payload(), format="json")
    assert response.status_code == 201
    stored = StoredEvent.objects.get(stream_id=response.json()["id"])
    assert OutboxEntry.objects.filter(position=stored.position, published_at__isnull=False).count() == 1
