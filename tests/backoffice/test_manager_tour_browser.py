"""A shop manager's tour of the back office in Debian's Chromium at 1366x768, over the reporting
tests' two known days: the dashboard, the products with a history's second page, goods in with
three lines, 50 products from a CSV file with a bad row, a customer's purchases, reports for a
date range with their CSV, a Z-report printed (and as PDF where WeasyPrint is installed), the
orders and sessions lists, a receipt and back. Each page is saved as a screenshot under
test-artifacts/backoffice/ for a person to look at; the assertions are on what a person reads
(texts and figures) and that no page or list scrolls sideways."""

import csv
import uuid
from decimal import Decimal

import pytest

from contexts.catalog import commands as cat
from contexts.catalog.models import StoreStockView
from contexts.customers import commands as cc
from contexts.reporting import reports
from contexts.reporting.backoffice import pdf_available
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from tests.backoffice.test_presentation import products_csv
from tests.customers.support import make_customer
from tests.helpers.browser import chromium_page, log_in
from tests.helpers.processes import ARTIFACTS_DIR
from tests.reporting.story import DAY1, DAY2

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

SHOTS = ARTIFACTS_DIR / "backoffice"
# Neither the page nor a list's table (Django wraps it in a box that scrolls on its own) scrolls sideways.
FITS = """() => [document.documentElement, ...document.querySelectorAll('.results')]
                 .every(e => e.scrollWidth <= e.clientWidth)"""


def shot(page, name: str) -> None:
    assert page.evaluate(FITS), f"{name}: the page scrolls sideways at 1366 px"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def text(page, selector: str) -> str:
    return " ".join(page.inner_text(selector).split())


def test_a_managers_tour_of_the_back_office(known_days, clock, live_server, manager_user, capsys, tmp_path):
    clock.at(DAY2, "18:00")
    manager_user.is_staff = True
    manager_user.save(update_fields=["is_staff"])
    products = known_days["products"]
    for n in range(25):  # a history of more than one page (price changes: stock has streams of its own)
        execute(cat.ChangeProductPrice(product_id=products["TEA"], unit_price=Decimal("3.01") + Decimal(n) / 100),
                Metadata.new(user="head-office"))
    customer_id = make_customer("Ann Example")
    for order_id, amount in [(uuid.uuid4(), "12.50"), (uuid.uuid4(), "30.00")]:
        execute(cc.EarnLoyaltyPoints(customer_id=customer_id, order_id=order_id, amount=Decimal(amount)),
                Metadata.new(user="policy:customers"))
    upload = tmp_path / "products.csv"
    upload.write_bytes(products_csv(50, bad_line=28))
    period = reports.Period(start=DAY1, end=DAY2)
    by_product = reports.sales_by_product(period)
    taxes = reports.tax_by_rate(period)
    coffee_stores = [(store, str(on_hand)) for store, on_hand in StoreStockView.objects.filter(
        product_id=products["COF"]).order_by("store_code").values_list("store_code", "on_hand")]
    z_report = reports.z_reports(DAY1, DAY2)[1]  # newest first: the first closed one
    base = live_server.url

    with chromium_page(viewport=(1366, 768)) as page:
        page.set_default_timeout(20_000)
        page.goto(f"{base}/")
        assert "Back office" in text(page, "#door-back-office") and "Till" in text(page, "#door-till")
        shot(page, "01-start-page")

        log_in(page, base, manager_user)
        page.wait_for_selector("#sales-dashboard")
        assert text(page, "#site-name") == "POS Demo Shop back office"
        shot(page, "02-dashboard")

        # products, and a product's history on its second page
        page.click("#content-main a[href='/admin/catalog/productview/']")
        assert page.inner_text("th.column-sku_column").strip() == "SKU"
        assert "Green tea" in text(page, "#result_list")
        shot(page, "03-products")
        # a product's page: its stock in each store, and its recent movements with their store
        page.click("#result_list a:text-is('COF')")
        page.wait_for_selector("#stock-per-store")
        rows = page.eval_on_selector_all("#stock-per-store tbody tr", "rows => rows.map(r => Array.from("
                                         "r.querySelectorAll('td'), c => c.textContent.trim()))")
        assert [(row[0], row[1]) for row in rows] == coffee_stores and len(coffee_stores) == 2, rows
        assert {"S1", "S2"} <= set(text(page, "#recent-movements").split())
        shot(page, "03b-product-stock-per-store")
        page.go_back()
        page.click("#result_list a:text-is('TEA')")
        page.wait_for_selector(".field-recent_movements")
        assert "recent stock movements" in text(page, "#content-main").lower()
        page.click("a.historylink")
        assert "Page 1 of 2" in text(page, ".event-pages")
        page.click("a.older")
        assert "Page 2 of 2" in text(page, ".event-pages")
        history = text(page, "#event-history")
        assert "Product created" in history and "Product price changed" in history
        shot(page, "04-product-history-page-2")

        # goods in: one delivery, three lines
        page.goto(f"{base}/admin/catalog/productview/")
        page.click("#goods-in-link")
        page.fill("#id_supplier_reference", "DN-2026-0042")
        for n, (sku, quantity) in enumerate([("COF", "5"), ("SOAP", "7"), ("MUG", "9")]):
            page.select_option(f"select[name=line-{n}-product]", str(products[sku]))
            page.fill(f"input[name=line-{n}-quantity]", quantity)
        shot(page, "05-goods-in")
        page.click("text=Receive the goods")
        assert "Received 5 × Coffee beans, 7 × Soap bar, 9 × Mug." in text(page, "ul.messagelist")
        shot(page, "06-goods-received")

        # 50 products from a CSV file with one bad row: the check says which, nothing is imported
        page.goto(f"{base}/admin/catalog/productview/")
        page.click("#import-link")
        page.set_input_files("#id_file", str(upload))
        page.click("input[name=check]")
        assert text(page, "#import-summary") == "49 to add, 0 to change, 0 unchanged, 1 refused."
        assert text(page, "#import-errors tbody") == (
            "28 IMP-026 tax_rate: The tax rate is a percentage between 0 and 100.")
        shot(page, "07-import-checked")

        # a customer's purchases and points
        page.goto(f"{base}/admin/customers/customerview/{customer_id}/change/")
        purchases = page.eval_on_selector_all("#customer-purchases tbody tr",
                                              "els => els.map(e => e.innerText.split('\\t').slice(2))")
        assert purchases == [["30.00", "+30", "42"], ["12.50", "+12", "12"]]
        shot(page, "08-customer")

        # reports for the two days, by product, with their CSV
        page.goto(f"{base}/admin/")
        page.click("#reports-link a")
        page.fill("#id_from", DAY1.isoformat())
        page.fill("#id_to", DAY2.isoformat())
        page.click("#report-filters input[type=submit]")
        page.click("text=Sales by product")
        assert "2 Mar 2026 to 3 Mar 2026, every store" in text(page, "#report-period")
        first = [" ".join(cell.split()) for cell in page.eval_on_selector_all(
            "#report-table tbody tr:first-child td", "els => els.map(e => e.textContent)")]
        top = by_product["rows"][0]
        assert first[:2] == [top["sku"], top["name"]] and first[-1] == str(top["net"])
        total_row = page.eval_on_selector_all("#report-table tfoot td", "els => els.map(e => e.textContent.trim())")
        assert total_row[-1] == str(by_product["totals"]["net"])
        shot(page, "09-report-by-product")
        with page.expect_download() as download:
            page.click("#csv-download")
        rows = list(csv.reader(open(download.value.path(), encoding="utf-8")))
        assert rows[0][:3] == ["SKU", "Product", "Category"] and rows[-1][0] == "Total"
        assert rows[1][0] == top["sku"] and rows[-1][-1] == str(by_product["totals"]["net"])
        assert len(rows) == len(by_product["rows"]) + 2

        # tax by rate over the same days: each rate's tax, less its refunds' tax
        page.click("text=Tax by rate")
        cells = page.eval_on_selector_all("#report-table tbody tr", "rows => rows.map(r => Array.from("
                                          "r.querySelectorAll('td'), c => c.textContent.trim()))")
        assert [(row[0], row[4], row[-1]) for row in cells] == [
            (str(r["rate"]), str(r["tax"]), str(r["tax_due"])) for r in taxes["rows"]]
        assert [row[0] for row in cells] == ["10.00", "20.00"]
        total_row = page.eval_on_selector_all("#report-table tfoot td", "els => els.map(e => e.textContent.trim())")
        assert total_row[-1] == str(taxes["totals"]["tax_due"])
        shot(page, "09b-tax-by-rate")

        # a Z-report, printed
        page.click("text=Z-reports")
        shot(page, "10-z-reports")
        hrefs = page.eval_on_selector_all("a.z-print", "els => els.map(e => e.getAttribute('href'))")
        assert hrefs[1] == f"/admin/reports/z/{z_report['session_id']}/", hrefs
        page.click("#report-table tbody tr:nth-child(2) a.z-print")
        assert text(page, "#z-net") == str(z_report["z_report"]["net"])
        assert page.is_visible("#print")
        shot(page, "11-z-report")
        page.emulate_media(media="print")
        assert not page.is_visible("#print")  # the buttons are not printed
        page.pdf(path=str(SHOTS / "11-z-report-printed.pdf"))
        page.emulate_media(media="screen")
        if pdf_available():
            pdf = page.request.get(f"{base}/admin/reports/z/{z_report['session_id']}/pdf/")
            assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
            (SHOTS / "11-z-report-weasyprint.pdf").write_bytes(pdf.body())

        # the lists fit; a read-only page says where its button goes; a receipt has a way back
        page.goto(f"{base}/admin/sales/orderview/")
        shot(page, "12-orders")
        page.goto(f"{base}/admin/sales/tillsessionview/")
        shot(page, "13-sessions")
        page.click("#result_list tbody tr:first-child th a")
        page.wait_for_selector(".submit-row")
        assert page.is_visible("text=Back to the list") and not page.is_visible("a.closelink >> text=Close")
        shot(page, "14-session")
        page.goto(f"{base}/admin/sales/orderview/")
        page.click("#result_list tbody tr:first-child th a")
        page.wait_for_selector(".field-number")
        number = text(page, ".field-number .readonly")
        page.click("text=Receipt")
        page.click("#back-to-order")
        page.wait_for_selector(".field-number")
        assert text(page, ".field-number .readonly") == number
        shot(page, "15-order")

        # every other list fits too
        for n, path in enumerate(["stores/storeview", "stores/staffview", "catalog/categoryview",
                                  "customers/customerview", "sales/tillview"], start=16):
            page.goto(f"{base}/admin/{path}/")
            shot(page, f"{n}-{path.split('/')[1]}-list")

        page.goto(f"{base}/no-such-page/")
        assert "There is no page at this address." in text(page, "main")
        assert f"{uuid.UUID(int=0)}" not in page.content()
    with capsys.disabled():
        print(f"\nback office screenshots (for a person to look at): {SHOTS}")
