"""The catalog's back office (Django admin), driven through its views with the test client, as a
manager. Every add, change, delete and stock action runs a catalog command (an event appears);
domain errors come back as form errors or messages, never as 500s, and change nothing."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse

from contexts.catalog import commands as c
from contexts.catalog.command_side import ProductKey
from contexts.catalog.domain.stock import stock_stream_id
from contexts.catalog.models import CategoryView, ProductView, StoreStockView
from infrastructure.commands.bus import execute
from infrastructure.eventstore.models import StoredEvent

from .support import (
    API,
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

CATEGORIES = "/admin/catalog/categoryview/"
PRODUCTS = "/admin/catalog/productview/"


@pytest.fixture
def staff_manager(manager_user):
    manager_user.is_staff = True  # the back office is for staff; the manager role gives the permissions
    manager_user.save(update_fields=["is_staff"])
    return manager_user


@pytest.fixture
def admin_client(client, staff_manager):
    client.force_login(staff_manager)
    return client


def product_form(category_id=None, **overrides) -> dict:
    form = {"sku": unique_sku("ADM"), "barcode": ean13(), "name": "Butter croissant", "category_id": "",
            "unit_price": "1.20", "tax_rate": "5", "price_includes_tax": "on", "low_stock_threshold": "12"}
    if category_id:
        form["category_id"] = str(category_id)
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def assert_form_error(response, text: str):
    assert response.status_code == 200, response.status_code
    assert response.context["adminform"].form.errors or response.context.get("errors"), "no form errors"
    assert text in response.content.decode(), f"{text!r} not shown"


# --- access -----------------------------------------------------------------------------------
def test_managers_hold_the_catalog_permissions_from_the_post_migrate_hook(staff_manager):
    manager = Group.objects.get(name="manager")
    codenames = set(manager.permissions.filter(content_type__app_label="catalog").values_list("codename", flat=True))
    for model in ("categoryview", "productview"):
        assert {f"add_{model}", f"change_{model}", f"delete_{model}", f"view_{model}"} <= codenames
    assert staff_manager.has_perm("catalog.add_productview") and staff_manager.has_perm("catalog.change_categoryview")
    assert not Group.objects.get(name="cashier").permissions.filter(content_type__app_label="catalog").exists()


def test_the_catalog_pages_open_for_a_staff_manager(admin_client):
    response = admin_client.get("/admin/catalog/")  # the catalog's section of the admin index
    assert response.status_code == 200
    index = response.content.decode()
    assert CATEGORIES in index and PRODUCTS in index
    for url in (CATEGORIES, f"{CATEGORIES}add/", PRODUCTS, f"{PRODUCTS}add/"):
        assert admin_client.get(url).status_code == 200, url


def test_a_cashier_gets_no_catalog_pages(client, cashier_user):
    cashier_user.is_staff = True
    cashier_user.save(update_fields=["is_staff"])
    client.force_login(cashier_user)
    assert client.get(f"{PRODUCTS}add/").status_code == 403
    assert client.post(f"{CATEGORIES}add/", {"name": "Sneaky"}).status_code == 403
    assert event_count() == 0


# --- categories -------------------------------------------------------------------------------
def test_add_a_category(admin_client):
    response = admin_client.post(f"{CATEGORIES}add/", {"name": "Frozen food"})
    assert response.status_code == 302 and response["Location"] == CATEGORIES
    stored = StoredEvent.objects.get(context="catalog", event_type="CategoryCreated")
    assert stored.data["name"] == "Frozen food" and stored.metadata["user"] == "test-manager"
    category = CategoryView.objects.get(id=stored.stream_id)
    assert category.name == "Frozen food"
    assert "Frozen food" in admin_client.get(CATEGORIES).content.decode()


def test_add_a_category_with_a_taken_name_is_a_form_error(admin_client):
    make_category("Bakery")
    response = admin_client.post(f"{CATEGORIES}add/", {"name": "bakery"})
    assert_form_error(response, "A category named &#x27;bakery&#x27; already exists.")
    assert CategoryView.objects.count() == 1 and event_count(event_type="CategoryCreated") == 1


def test_rename_a_category(admin_client):
    category_id = make_category("Drinks")
    response = admin_client.post(f"{CATEGORIES}{category_id}/change/", {"name": "Beverages"})
    assert response.status_code == 302
    assert event_types(category_id) == ["CategoryCreated", "CategoryRenamed"]
    assert CategoryView.objects.get(id=category_id).name == "Beverages"


def test_deleting_a_category_with_active_products_shows_an_error_and_changes_nothing(admin_client):
    category_id = make_category("Dairy")
    make_product(category_id=category_id)
    # Refused before the confirmation page, not after it.
    asked = admin_client.get(f"{CATEGORIES}{category_id}/delete/")
    assert asked.status_code == 302 and asked["Location"] == f"{CATEGORIES}{category_id}/change/"
    assert any("“Dairy” still has 1 active product(s): move or discontinue them first." in m
               for m in messages_of(asked))
    response = admin_client.post(f"{CATEGORIES}{category_id}/delete/", {"post": "yes"})
    assert response.status_code == 302 and response["Location"] == f"{CATEGORIES}{category_id}/change/"
    assert any("still has 1 active product(s)" in m for m in messages_of(response))
    assert CategoryView.objects.get(id=category_id).status == "active"
    assert event_types(category_id) == ["CategoryCreated"]
    from django.contrib.admin.models import LogEntry

    assert not LogEntry.objects.filter(object_id=str(category_id)).exists()  # rolled back with the command
    page = admin_client.get(response["Location"])
    assert "still has 1 active product(s)" in page.content.decode()


def test_deleting_an_empty_category_runs_the_delete_command(admin_client):
    category_id = make_category("Seasonal")
    response = admin_client.post(f"{CATEGORIES}{category_id}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert event_types(category_id) == ["CategoryCreated", "CategoryDeleted"]
    assert CategoryView.objects.get(id=category_id).status == "deleted"  # the read row stays, marked


# --- products ---------------------------------------------------------------------------------
def test_add_a_product_creates_a_product_created_event_and_the_api_lists_it(admin_client):
    category_id = make_category("Bakery")
    add_page = admin_client.get(f"{PRODUCTS}add/")
    assert str(category_id) in add_page.content.decode()  # the category is offered
    form = product_form(category_id, sku="cro-001")
    response = admin_client.post(f"{PRODUCTS}add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == PRODUCTS

    stored = StoredEvent.objects.get(context="catalog", event_type="ProductCreated")
    assert (stored.data["sku"], stored.data["barcode"], stored.data["category_id"], stored.data["unit_price"],
            stored.data["tax_rate"], stored.data["low_stock_threshold"]) == (
        "CRO-001", form["barcode"], str(category_id), "1.20", "5.00", 12)
    assert stored.metadata["user"] == "test-manager"

    api = admin_client.get(f"{API}/products/")  # the admin's session works for the API too
    assert api.status_code == 200
    (listed,) = api.json()["results"]
    assert (listed["id"], listed["sku"], listed["name"], listed["category_name"]) == (
        stored.stream_id, "CRO-001", "Butter croissant", "Bakery")
    assert "CRO-001" in admin_client.get(PRODUCTS).content.decode()


@pytest.mark.parametrize("overrides, message", [
    ({"barcode": wrong_check_digit(ean13("590123412345"))}, "has a wrong check digit (expected 7)"),
    ({"barcode": "12345"}, "A barcode is an EAN-13 (13 digits) or a UPC-A (12 digits)."),
    ({"unit_price": "0"}, "The price must be greater than zero."),
    ({"unit_price": "-3.00"}, "The price must be greater than zero."),
    ({"tax_rate": "120"}, "The tax rate is a percentage between 0 and 100."),
    ({"sku": "bad sku!"}, "A SKU is 1 to 40 letters"),
    ({"name": ""}, "This field is required."),
])
def test_a_bad_product_is_a_form_error_and_no_event(admin_client, overrides, message):
    response = admin_client.post(f"{PRODUCTS}add/", product_form(**overrides))
    assert_form_error(response, message)
    assert event_count() == 0 and ProductKey.objects.count() == 0


def test_the_domain_error_is_shown_on_its_field(admin_client):
    response = admin_client.post(f"{PRODUCTS}add/", product_form(barcode="5901234123458"))
    form = response.context["adminform"].form
    assert form.errors == {"barcode": ["Barcode 5901234123458 has a wrong check digit (expected 7)."]}


def test_a_duplicate_sku_or_barcode_is_a_form_error(admin_client):
    barcode = ean13()
    make_product(sku="DUP-1", barcode=barcode)
    response = admin_client.post(f"{PRODUCTS}add/", product_form(sku="dup-1"))
    assert_form_error(response, "SKU DUP-1 is already used by another product.")
    assert response.context["adminform"].form.errors.keys() == {"sku"}
    response = admin_client.post(f"{PRODUCTS}add/", product_form(barcode=barcode))
    assert_form_error(response, f"Barcode {barcode} is already used by another product.")
    assert event_count(event_type="ProductCreated") == 1


def test_a_deleted_category_is_not_offered(admin_client):
    gone = make_category("Gone")
    execute(c.DeleteCategory(category_id=gone), meta())
    response = admin_client.post(f"{PRODUCTS}add/", product_form(category_id=gone))
    assert_form_error(response, "Select a valid choice.")
    assert event_count(event_type="ProductCreated") == 0


def test_change_a_product_runs_update_product(admin_client):
    drinks, bakery = make_category("Drinks"), make_category("Bakery")
    product_id = make_product(category_id=drinks, name="Juice", unit_price="2.50", tax_rate="20", barcode=None)
    change_url = f"{PRODUCTS}{product_id}/change/"
    page = admin_client.get(change_url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert form.initial["name"] == "Juice" and str(form.initial["category_id"]) == str(drinks)

    row = product_row(product_id)
    response = admin_client.post(change_url, product_form(bakery, sku=row.sku, barcode="", name="Orange juice 1 l",
                                                          unit_price="2.49", tax_rate="10", low_stock_threshold="8"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert event_types(product_id) == ["ProductCreated", "ProductDetailsUpdated", "ProductPriceChanged"]
    updated = events_of(product_id)[1][1]
    assert (updated["name"], updated["category_id"], updated["tax_rate"], updated["low_stock_threshold"]) == (
        "Orange juice 1 l", str(bakery), "10.00", 8)
    row = product_row(product_id)
    assert (row.name, row.category_name, row.unit_price, row.tax_rate) == (
        "Orange juice 1 l", "Bakery", Decimal("2.49"), Decimal("10.00"))


def test_changing_nothing_records_nothing(admin_client):
    product_id = make_product(unit_price="2.50", tax_rate="20", low_stock_threshold=3)
    row = product_row(product_id)
    response = admin_client.post(f"{PRODUCTS}{product_id}/change/", product_form(
        sku=row.sku, barcode=row.barcode, name=row.name, unit_price="2.50", tax_rate="20", low_stock_threshold="3"))
    assert response.status_code == 302
    assert event_types(product_id) == ["ProductCreated"]


def test_a_bad_change_is_a_form_error_and_changes_nothing(admin_client):
    product_id = make_product(unit_price="2.50")
    row = product_row(product_id)
    response = admin_client.post(f"{PRODUCTS}{product_id}/change/", product_form(
        sku=row.sku, barcode=row.barcode, name="Renamed", unit_price="0"))
    assert_form_error(response, "The price must be greater than zero.")
    assert event_types(product_id) == ["ProductCreated"]
    assert product_row(product_id).name == row.name


def test_the_change_page_shows_the_event_history(admin_client):
    product_id = make_product(stock=5)
    execute(c.ChangeProductPrice(product_id=product_id, unit_price=Decimal("9.99")), meta("someone-else"))
    page = admin_client.get(f"{PRODUCTS}{product_id}/change/").content.decode()
    # The product's own stream; its stock is on the stock streams, shown per store (below).
    assert page.count('class="event-history-row"') == 2
    for event_type in ("ProductCreated", "ProductPriceChanged"):
        assert event_type in page
    assert "someone-else" in page and "on hand 5, reserved 0, available 5" in page
    assert '<table id="stock-per-store">' in page and "<td>S1</td><td>5</td><td>0</td><td>5</td>" in page
    category_id = make_category("Drinks")
    execute(c.RenameCategory(category_id=category_id, name="Beverages"), meta())
    page = admin_client.get(f"{CATEGORIES}{category_id}/change/").content.decode()
    assert page.count('class="event-history-row"') == 2 and "CategoryRenamed" in page


def test_products_cannot_be_deleted_in_the_admin(admin_client):
    product_id = make_product()
    assert admin_client.post(f"{PRODUCTS}{product_id}/delete/", {"post": "yes"}).status_code == 403
    assert ProductView.objects.filter(id=product_id).exists()
    assert event_types(product_id) == ["ProductCreated"]


# --- stock pages ------------------------------------------------------------------------------
def test_receive_stock_page(admin_client):
    product_id = make_product(low_stock_threshold=2)
    url = reverse("admin:catalog_productview_receive_stock", args=[product_id])
    assert url == f"{PRODUCTS}{product_id}/receive-stock/"
    assert admin_client.get(url).status_code == 200
    change_page = admin_client.get(f"{PRODUCTS}{product_id}/change/").content.decode()
    assert url in change_page  # linked from the product's page

    response = admin_client.post(url, {"quantity": "24", "supplier_reference": "PO-9"})
    assert response.status_code == 302 and response["Location"] == f"{PRODUCTS}{product_id}/change/"
    assert events_of(stock_stream_id(product_id, "S1"))[-1] == ("StockReceived", {
        "product_id": str(product_id), "store_code": "S1", "quantity": 24, "supplier_reference": "PO-9",
        "on_hand_after": 24, "supplier": None, "unit_cost": None, "average_cost_after": None})
    assert product_row(product_id).on_hand == 24


@pytest.mark.parametrize("form, message", [
    ({"quantity": "0"}, "Ensure this value is greater than or equal to 1."),
    ({"quantity": ""}, "This field is required."),
    ({"quantity": "lots"}, "Enter a whole number."),
    ({"quantity": "2000000"}, "The quantity must be a whole number from 1 to 1000000."),  # the domain's rule
])
def test_receive_stock_page_shows_errors(admin_client, form, message):
    product_id = make_product()
    response = admin_client.post(f"{PRODUCTS}{product_id}/receive-stock/", form)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert event_types(product_id) == ["ProductCreated"] and product_row(product_id).on_hand == 0


def test_adjust_stock_page(admin_client):
    product_id = make_product(stock=10)
    url = f"{PRODUCTS}{product_id}/adjust-stock/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"counted_quantity": "7", "reason": "monthly count"})
    assert response.status_code == 302
    assert events_of(stock_stream_id(product_id, "S1"))[-1][1] == {
        "product_id": str(product_id), "store_code": "S1", "counted_quantity": 7, "delta": -3,
        "reason": "monthly count", "on_hand_after": 7}
    assert product_row(product_id).on_hand == 7


@pytest.mark.parametrize("form, message", [
    ({"counted_quantity": "7"}, "This field is required."),
    ({"counted_quantity": "7", "reason": "   "}, "This field is required."),
    ({"counted_quantity": "-1", "reason": "count"}, "Ensure this value is greater than or equal to 0."),
    ({"counted_quantity": "2000000", "reason": "count"}, "The counted quantity must be a whole number"),
])
def test_adjust_stock_page_shows_errors(admin_client, form, message):
    product_id = make_product(stock=10)
    response = admin_client.post(f"{PRODUCTS}{product_id}/adjust-stock/", form)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert product_row(product_id).on_hand == 10
    assert event_types(stock_stream_id(product_id, "S1")) == ["StockReceived"]


def test_stock_pages_of_an_unknown_product_redirect_with_a_message(admin_client):
    missing = uuid.uuid4()
    response = admin_client.get(f"{PRODUCTS}{missing}/receive-stock/", follow=True)
    assert response.redirect_chain == [(PRODUCTS, 302)]  # back to the product list
    assert f"There is no product with ID “{missing}”." in [str(m) for m in response.context["messages"]]
    response = admin_client.post(f"{PRODUCTS}not-a-uuid/adjust-stock/", {"counted_quantity": "1", "reason": "x"})
    assert response.status_code == 302
    assert event_count() == 0


# --- the list ---------------------------------------------------------------------------------
def test_the_product_list_shows_stock_columns_and_filters_low_and_negative_stock(admin_client):
    low = make_product(sku="LOW-1", stock=2, low_stock_threshold=5)
    fine = make_product(sku="FINE-1", stock=50, low_stock_threshold=5)
    negative = make_product(sku="NEG-1", stock=1)
    execute(c.RecordSale(order_id=uuid.uuid4(), lines=(c.OrderLineQuantity(negative, 4),)), meta())

    def listed(query: str = "") -> set[str]:
        response = admin_client.get(f"{PRODUCTS}{query}")
        assert response.status_code == 200
        return {str(p.pk) for p in response.context["cl"].result_list}

    assert listed() == {str(low), str(fine), str(negative)}
    assert listed("?stock=low") == {str(low), str(negative)}
    assert listed("?stock=negative") == {str(negative)}
    assert listed("?stock=ok") == {str(fine)}
    assert listed("?q=FINE") == {str(fine)}
    page = admin_client.get(PRODUCTS).content.decode()
    # Reserved stock is on the product's page: the list keeps to what fits 1366 px.
    for column in ("column-on_hand", "column-available", "column-low_stock_flag"):
        assert column in page
    assert "Low (at or under threshold)" in page


def test_the_discontinue_and_reactivate_actions(admin_client):
    a, b = make_product(), make_product()
    response = admin_client.post(PRODUCTS, {"action": "discontinue_selected", "_selected_action": [str(a), str(b)]})
    assert response.status_code == 302
    assert event_types(a)[-1] == event_types(b)[-1] == "ProductDiscontinued"
    assert events_of(a)[-1][1]["reason"] == "back office"
    assert product_row(a).status == product_row(b).status == "discontinued"
    assert "Discontinued 2 product(s)." in messages_of(response)

    # Again: each is refused with a warning, nothing is recorded, the page still works.
    response = admin_client.post(PRODUCTS, {"action": "discontinue_selected", "_selected_action": [str(a)]},
                                 follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "is already discontinued." in page and "Discontinued 0 product(s)." in page
    assert event_types(a).count("ProductDiscontinued") == 1

    response = admin_client.post(PRODUCTS, {"action": "reactivate_selected", "_selected_action": [str(a)]})
    assert response.status_code == 302
    assert product_row(a).status == "active" and product_row(b).status == "discontinued"
    assert "delete_selected" not in admin_client.get(PRODUCTS).content.decode()


def test_a_staff_user_who_may_only_view_products_cannot_discontinue_or_reactivate(client, django_user_model):
    """Issue 23: the actions had no permission requirement, so view permission was enough."""
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("catalog-viewer", password="viewer-pass-4711", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_productview"))
    client.force_login(viewer)
    a = make_product()
    assert client.get(PRODUCTS).status_code == 200
    for action in ("discontinue_selected", "reactivate_selected"):
        assert action not in client.get(PRODUCTS).content.decode()
        client.post(PRODUCTS, {"action": action, "_selected_action": [str(a)]})
        assert product_row(a).status == "active" and "ProductDiscontinued" not in event_types(a)


# --- goods in and stock per store ---------------------------------------------------------------
def goods_in_form(store_code: str, *lines, supplier: str = "", reference: str = "") -> dict:
    form = {"store_code": store_code, "supplier": supplier, "supplier_reference": reference,
            "line-TOTAL_FORMS": "8", "line-INITIAL_FORMS": "0", "line-MIN_NUM_FORMS": "0", "line-MAX_NUM_FORMS": "1000"}
    for n, (product_id, quantity, unit_cost) in enumerate(lines):
        form.update({f"line-{n}-product": str(product_id), f"line-{n}-quantity": str(quantity),
                     f"line-{n}-unit_cost": unit_cost})
    return form


def test_goods_in_page_receives_a_delivery_into_the_chosen_store_at_cost(admin_client):
    from tests.helpers.stores import register_store

    register_store("BER", "Berlin", time_zone="Europe/Berlin")
    coffee, tea = make_product(name="Coffee beans"), make_product(name="Green tea")
    page = admin_client.get(f"{PRODUCTS}goods-in/").content.decode()
    assert '<option value="BER">BER Berlin</option>' in page and "Unit cost" in page
    response = admin_client.post(f"{PRODUCTS}goods-in/", goods_in_form(
        "BER", (coffee, 10, "2.00"), (tea, 3, ""), (coffee, 5, "3.20"), supplier="Roastery", reference="DN-5"),
        follow=True)
    assert "Received 10 × Coffee beans, 3 × Green tea, 5 × Coffee beans." in response.content.decode()
    stock = {(row.product_id, row.store_code): (row.on_hand, row.average_cost)
             for row in StoreStockView.objects.filter(product_id__in=[coffee, tea])}
    assert stock == {(coffee, "BER"): (15, Decimal("2.40")), (tea, "BER"): (3, None)}
    assert [d["supplier"] for _, d in events_of(stock_stream_id(coffee, "BER"))] == ["Roastery", "Roastery"]


def test_goods_in_page_refuses_a_bad_line_and_receives_nothing(admin_client):
    coffee = make_product(name="Coffee beans")
    response = admin_client.post(f"{PRODUCTS}goods-in/", goods_in_form("S1", (coffee, 10, "2.00"), (coffee, 1, "-1")))
    assert response.status_code == 200 and "Ensure this value is greater than or equal to 0." in response.content.decode()
    assert event_count(stream_id=stock_stream_id(coffee, "S1")) == 0 and product_row(coffee).on_hand == 0


def test_a_store_manager_is_offered_only_their_stores_on_the_stock_pages(client, django_user_model):
    from infrastructure.access.models import StoreAssignment
    from tests.conftest import _make_user
    from tests.helpers.stores import register_store

    register_store("BER", "Berlin", time_zone="Europe/Berlin")
    register_store("NYC", "New York", time_zone="America/New_York")
    user = _make_user(django_user_model, "ber-back-office", group="manager")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    StoreAssignment.objects.create(user=user, store_code="BER")
    client.force_login(user)
    product_id = make_product()
    page = client.get(f"{PRODUCTS}{product_id}/receive-stock/").content.decode()
    assert '<option value="BER">BER Berlin</option>' in page and 'value="NYC"' not in page
    refused = client.post(f"{PRODUCTS}{product_id}/receive-stock/", {"store_code": "NYC", "quantity": "3"})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    assert client.post(f"{PRODUCTS}{product_id}/receive-stock/", {"store_code": "BER", "quantity": "3"}).status_code == 302
    assert [(r.store_code, r.on_hand) for r in StoreStockView.objects.filter(product_id=product_id)] == [("BER", 3)]
    assert 'value="NYC"' not in client.get(f"{PRODUCTS}goods-in/").content.decode()
