"""The back office as a shop manager reads it (issue "a back office a manager would choose"):
its name, its start page, what a cashier is told at its login, what each menu shows to whom, and
event histories in the shop's words, newest first, paged and filtered."""

import uuid
from decimal import Decimal

import pytest

from contexts.catalog import commands as c
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from tests.catalog.support import make_product, meta
from tests.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("embedded_delivery")]

PRODUCTS = "/admin/catalog/productview/"


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
    # 25 price changes (stock has streams of its own per store, docs/catalog.md)
    for n in range(25):
        execute(c.ChangeProductPrice(product_id=product_id, unit_price=Decimal("2.01") + Decimal(n) / 100),
                meta("api-user"))
    execute(c.ChangeProductPrice(product_id=product_id, unit_price=Decimal("2.50")), meta("policy:sales"))
    client.force_login(staff_manager)

    first = client.get(f"{PRODUCTS}{product_id}/history/")
    entries = first.context["event_history"]
    assert [e["version"] for e in entries] == list(range(27, 7, -1))  # 27 events, 20 a page, newest first
    page = text_of(first)
    assert "Product price changed" in page and "from 2.25 to 2.50" in page and "automatic (sales)" in page
    assert "from 2.24 to 2.25" in page and "api-user" in page
    assert "Page 1 of 2" in page

    second = client.get(f"{PRODUCTS}{product_id}/history/?events_page=2")
    assert [e["version"] for e in second.context["event_history"]] == list(range(7, 0, -1))
    assert "Product created" in text_of(second)

    created = client.get(f"{PRODUCTS}{product_id}/history/?event_type=ProductCreated")
    assert [e["event_type"] for e in created.context["event_history"]] == ["ProductCreated"]

    change_page = client.get(f"{PRODUCTS}{product_id}/change/?events_page=2")
    assert [e["version"] for e in change_page.context["event_history"]] == list(range(7, 0, -1))


def test_an_unknown_history_returns_to_the_list(client, staff_manager):
    client.force_login(staff_manager)
    response = client.get(f"{PRODUCTS}{uuid.uuid4()}/history/")
    assert response.status_code == 302 and response["Location"] == PRODUCTS


def test_a_customers_page_shows_their_purchases_and_points_newest_first(client, staff_manager):
    from contexts.customers import commands as cc
    from tests.customers.support import make_customer

    customer_id = make_customer("Ann Example")
    first, second = uuid.uuid4(), uuid.uuid4()
    policy = Metadata.new(user="policy:customers")
    execute(cc.EarnLoyaltyPoints(customer_id=customer_id, order_id=first, amount=Decimal("12.50")), policy)
    execute(cc.EarnLoyaltyPoints(customer_id=customer_id, order_id=second, amount=Decimal("30.00")), policy)
    execute(cc.ReverseLoyaltyPoints(customer_id=customer_id, order_id=second, refund_id=uuid.uuid4(),
                                    amount=Decimal("10.00")), policy)
    client.force_login(staff_manager)

    page = client.get(f"/admin/customers/customerview/{customer_id}/change/")

    table = text_of(page).split('id="customer-purchases"')[1].split("</table>")[0]
    rows = [row for row in table.split("<tr>")[2:]]
    # 12 points for 12.50, 30 for 30.00, 10 taken back by a refund: balance 12, 42, 32 (newest first)
    assert ["<td>-10</td><td>32</td>" in rows[0], "<td>30.00</td><td>+30</td><td>42</td>" in rows[1],
            "<td>12.50</td><td>+12</td><td>12</td>" in rows[2]] == [True, True, True]
    assert f'href="/admin/sales/orderview/{first}/change/"' in rows[2]
    assert "Loyalty points earned" in text_of(page) and "10 points taken back" in text_of(page)


def products_csv(count: int, *, bad_line: int | None = None) -> bytes:
    """`count` products; the row on file line `bad_line` has a tax rate of 150 %."""
    rows = ["sku,barcode,name,category,unit_price,tax_rate,price_includes_tax,low_stock_threshold"]
    for n in range(count):
        tax = "150" if n + 2 == bad_line else "20"
        rows.append(f"IMP-{n:03d},,Imported product {n},,{n + 1}.50,{tax},yes,2")
    return ("\n".join(rows) + "\n").encode()


def test_a_products_csv_is_checked_row_by_row_and_imported_all_or_nothing(client, staff_manager):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from contexts.catalog.models import ProductView
    from infrastructure.eventstore.models import StoredEvent

    client.force_login(staff_manager)
    events_before = StoredEvent.objects.count()
    upload = SimpleUploadedFile("products.csv", products_csv(50, bad_line=28), content_type="text/csv")

    checked = client.post(f"{PRODUCTS}import/", {"file": upload, "check": "1"})

    assert checked.context["summary"] == {"add": 49, "change": 0, "unchanged": 0, "refused": 1}
    [refused] = checked.context["refused"]
    assert (refused.line, refused.sku) == (28, "IMP-026")
    assert refused.error == "tax_rate: The tax rate is a percentage between 0 and 100."
    assert StoredEvent.objects.count() == events_before  # a dry run writes nothing

    upload = SimpleUploadedFile("products.csv", products_csv(50, bad_line=28), content_type="text/csv")
    refused_import = client.post(f"{PRODUCTS}import/", {"file": upload, "import": "1"})
    assert "Not imported: 1 row refused" in text_of(refused_import)
    assert not ProductView.objects.filter(sku__startswith="IMP-").exists()

    upload = SimpleUploadedFile("products.csv", products_csv(50), content_type="text/csv")
    done = client.post(f"{PRODUCTS}import/", {"file": upload, "import": "1"}, follow=True)
    assert "Imported: 50 product(s) added, 0 changed, 0 unchanged." in text_of(done)
    assert ProductView.objects.filter(sku__startswith="IMP-").count() == 50

    exported = client.get(f"{PRODUCTS}export.csv").content.decode()
    assert "IMP-049,,Imported product 49,,50.50,20.00,yes,2" in exported
    changed = exported.replace("IMP-049,,Imported product 49,,50.50", "IMP-049,,Imported product 49,,51.00")
    again = client.post(f"{PRODUCTS}import/", {"file": SimpleUploadedFile("p.csv", changed.encode()), "check": "1"})
    assert again.context["summary"]["change"] == 1 and again.context["summary"]["add"] == 0
    [change] = [r for r in again.context["results"] if r.action == "change"]
    assert change.changes == ["unit_price: 50.50 → 51.00"]
