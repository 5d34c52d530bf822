"""The back office as a shop manager reads it (issue "a back office a manager would choose"):
its name, its start page, what a cashier is told at its login, what each menu shows to whom, and
event histories in the shop's words, newest first, paged and filtered."""

import uuid
from decimal import Decimal

import pytest

from contexts.catalog import commands as c
from infrastructure.commands.bus import execute
from tests.catalog.support import make_product, meta
from tests.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("embedded_delivery")]

PRODUCTS = "/admin/catalog/productview/"


@pytest.fixture
def staff_manager(manager_user):
    manager_user.is_staff = True
    manager_user.save(update_fields=["is_staff"])
    return manager_user


def text_of(response) -> str:
    return response.content.decode()


def test_the_start_page_leads_to_the_back_office_the_till_and_the_api_docs(client):
    page = text_of(client.get("/"))
    for link in ('href="/admin/"', 'href="/till/"', 'href="/api/docs/"'):
        assert link in page
    assert "Back office" in page and "Till" in page and "API documentation" in page


def test_an_unknown_address_is_a_plain_not_found_page_without_the_url_list(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "There is no page at this address." in text_of(response)
    assert "admin/" not in text_of(response) and "URLconf" not in text_of(response)


def test_the_back_office_carries_the_shops_name_and_view_site_leads_to_the_start_page(client, staff_manager):
    client.force_login(staff_manager)
    page = text_of(client.get("/admin/"))
    assert "POS Demo Shop back office" in page and "Django administration" not in page
    assert '<a href="/">View site</a>' in page


def test_plumbing_is_for_admins_only_and_last(client, staff_manager, admin_user):
    client.force_login(staff_manager)
    apps = [app["app_label"] for app in client.get("/admin/").context["app_list"]]
    assert apps[:4] == ["stores", "catalog", "customers", "sales"]
    assert not {"token_blacklist", "axes", "infrastructure", "auth"} & set(apps)
    client.force_login(admin_user)
    names = [app["name"] for app in client.get("/admin/").context["app_list"]]
    assert names[:4] == ["Stores", "Catalog", "Customers", "Sales"]
    assert "System: API sign-in tokens" in names and names.index("System: API sign-in tokens") > 3


def test_a_cashier_at_the_back_office_login_is_sent_to_the_till(client, cashier_user):
    response = client.post("/admin/login/?next=/admin/", {"username": cashier_user.username, "password": TEST_PASSWORD})
    assert response.status_code == 200
    assert "Cashiers use the till (/till/); the back office is for managers." in text_of(response)
    wrong = client.post("/admin/login/?next=/admin/", {"username": cashier_user.username, "password": "wrong"})
    assert "Cashiers use the till" not in text_of(wrong)  # a wrong password learns nothing


def test_the_product_form_names_fields_as_a_shop_does(client, staff_manager):
    client.force_login(staff_manager)
    page = text_of(client.get(f"{PRODUCTS}add/"))
    assert '<label class="required" for="id_sku">SKU:</label>' in page
    assert "A percentage: 20 means 20 %, 5.5 means 5.5 %." in page and '<span class="unit">%</span>' in page


def test_receiving_stock_says_what_was_received(client, staff_manager):
    product_id = make_product(name="Coffee beans")
    client.force_login(staff_manager)
    response = client.post(f"{PRODUCTS}{product_id}/receive-stock/", {"quantity": "12", "supplier_reference": "DN-7"},
                           follow=True)
    assert "Received 12 × Coffee beans." in text_of(response)


def test_history_shows_every_event_newest_first_paged_and_filtered_with_sentences(client, staff_manager):
    product_id = make_product(name="Tea", unit_price="2.00")
    for n in range(25):
        execute(c.ReceiveStock(product_id=product_id, quantity=n + 1, supplier_reference=f"DN-{n}"), meta("api-user"))
    execute(c.ChangeProductPrice(product_id=product_id, unit_price=Decimal("2.50")), meta("policy:sales"))
    client.force_login(staff_manager)

    first = client.get(f"{PRODUCTS}{product_id}/history/")
    entries = first.context["event_history"]
    assert [e["version"] for e in entries] == list(range(27, 7, -1))  # 27 events, 20 a page, newest first
    page = text_of(first)
    assert "Product price changed" in page and "from 2.00 to 2.50" in page and "automatic (sales)" in page
    assert "Stock received" in page and "25 in (delivery note DN-24); 325 on hand" in page
    assert "Page 1 of 2" in page

    second = client.get(f"{PRODUCTS}{product_id}/history/?events_page=2")
    assert [e["version"] for e in second.context["event_history"]] == list(range(7, 0, -1))
    assert "Product created" in text_of(second)

    prices = client.get(f"{PRODUCTS}{product_id}/history/?event_type=ProductPriceChanged")
    assert [e["event_type"] for e in prices.context["event_history"]] == ["ProductPriceChanged"]

    change_page = client.get(f"{PRODUCTS}{product_id}/change/?events_page=2")
    assert [e["version"] for e in change_page.context["event_history"]] == list(range(7, 0, -1))


def test_an_unknown_history_returns_to_the_list(client, staff_manager):
    client.force_login(staff_manager)
    response = client.get(f"{PRODUCTS}{uuid.uuid4()}/history/")
    assert response.status_code == 302 and response["Location"] == PRODUCTS
