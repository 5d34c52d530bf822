"""A cashier's day on the browser till, in Chromium, keyboard and mouse as a person would: open
with a float, a scanner sale, a multi-line sale with discounts (one needing a manager), a split
cash + card sale with change, a parked and resumed sale, a customer's sale, a refund from a
receipt, cash out, close; the Z-report on screen is the API's."""

import json
import uuid
from decimal import Decimal as D

import pytest

from contexts.sales.models import OrderLineView, OrderView
from infrastructure.eventstore.models import StoredEvent

from .conftest import PRODUCTS, SHOTS, add, close_session, closed_z_report, pay_screen, scan, shot, till_page

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def order(number: str) -> OrderView:
    return OrderView.objects.get(number=number)


def receipt_number(page) -> str:
    return page.wait_for_selector("#receipt-number").inner_text()


def new_sale(page):
    page.click("#new-sale")
    page.wait_for_selector(".product")


def test_a_day_at_the_browser_till(till_shop, api_client, capsys):
    shop = till_shop
    with till_page(shop) as page:
        assert page.inner_text("#session-state") == "Session open"
        shot(page, "01-open")

        # A scanner: fast keystrokes ending with Enter, with no field focused; then an unknown code.
        page.evaluate("document.activeElement.blur()")  # no field has the focus
        scan(page, PRODUCTS["BREAD"][3])
        page.wait_for_selector(".line[data-sku=BREAD]")
        scan(page, "0000000000017")
        assert "Unknown code 0000000000017" in page.inner_text("#error")
        # A scan while the search field has the focus finds the product and leaves the field as it was.
        page.fill("#search", "jui")
        page.focus("#search")
        scan(page, PRODUCTS["BREAD"][3])
        assert page.input_value("#search") == "jui"
        assert page.inner_text(".line[data-sku=BREAD] .quantity") == "2"
        page.fill("#search", "")
        pay_screen(page)
        assert page.inner_text("#total") == "7.60"
        page.click(".quick-cash:has-text('10.00')")
        first = receipt_number(page)
        assert page.inner_text("#change") == "2.40"
        assert (order(first).total, order(first).status) == (D("7.60"), "completed")
        shot(page, "02-scanner-sale-receipt")
        new_sale(page)

        # Several lines with discounts; 20 % is over the cashier's 10 %: a manager approves it.
        add(page, "CROIS", 3)
        add(page, "SOAP")
        add(page, "JUICE", 2)
        page.fill(".line[data-sku=CROIS] .discount", "5")
        page.fill(".line[data-sku=JUICE] .discount", "20")
        page.keyboard.press("Tab")
        page.click("#pay")
        page.wait_for_selector("#approval")
        page.fill("#approval input[name=username]", shop["manager"].username)
        page.fill("#approval input[name=password]", shop["manager"].plain_password)
        page.click("#approval button[type=submit]")
        page.wait_for_selector("#tender")
        # 3 x 1.20 - 5 % = 3.42; 2.15; 2 x 2.49 - 20 % = 3.98 (3.984): the server's total
        assert page.inner_text("#total") == "9.55"
        page.click("#pay-card")
        second = receipt_number(page)
        assert order(second).total == D("9.55") and order(second).discount_total == D("1.18")
        new_sale(page)

        # Split: 5.00 on card, then 20.00 cash for the rest; the change is shown large.
        add(page, "BREAD", 2)
        add(page, "SOAP")
        pay_screen(page)
        page.fill("#tender", "5.00")
        page.click("#pay-card")
        page.wait_for_selector("#paid:has-text('5.00')")
        assert page.inner_text("#due") == "4.75"
        page.fill("#tender", "20.00")
        page.click("#pay-cash")
        split = receipt_number(page)
        assert page.inner_text("#change") == "15.25"
        shot(page, "03-split-change")
        new_sale(page)

        # Park a sale, sell something else, resume the parked one and finish it.
        add(page, "JUICE")
        page.click("button:has-text('Park')")
        page.wait_for_selector(".resume")
        assert page.locator(".line").count() == 0
        add(page, "CROIS")
        pay_screen(page)
        page.click(".quick-cash >> nth=0")
        receipt_number(page)
        new_sale(page)
        page.click(".resume")
        page.wait_for_selector(".line[data-sku=JUICE]")
        pay_screen(page)
        page.click(".quick-cash >> nth=0")
        resumed = receipt_number(page)
        assert list(OrderLineView.objects.filter(order_id=order(resumed).order_id).values_list("sku", flat=True)) == [
            "JUICE"]
        new_sale(page)

        # A sale voided at payment (the server placed it; the void is its answer).
        add(page, "SOAP", 2)
        pay_screen(page)
        page.click("button:has-text('Void sale')")
        voided = page.wait_for_selector("#message:has-text('voided')").inner_text()
        assert order(voided.split()[1]).status == "voided"
        assert page.locator(".line").count() == 0

        # A customer's sale: search by part of the email, attach, pay.
        page.click("button:has-text('Customer')")
        page.fill("input[name=q]", "ada@")
        page.click("button:has-text('Search')")
        page.click(".customer:has-text('Ada Lovelace')")
        assert page.inner_text("#cart-customer") == "Ada Lovelace"
        add(page, "SOAP")
        pay_screen(page)
        page.click("#pay-card")
        customer_sale = receipt_number(page)
        assert order(customer_sale).customer_id == shop["customer"]
        new_sale(page)

        # A refund from the first receipt's number: one loaf back, in cash.
        page.click("nav >> text=Refund")
        page.fill("input[name=number]", first)
        page.click("button:has-text('Find')")
        page.fill("input[name=qty-1]", "1")
        page.select_option("select[name=method]", "cash")
        page.fill("input[name=reason]", "stale")
        with page.expect_request(lambda r: r.url.endswith("/refunds/")) as sent:
            page.click("#refund-form button[type=submit]")
        assert "Refunded 3.80 (cash)" in page.wait_for_selector("#message").inner_text()
        assert order(first).refunded_total == D("3.80")
        # The till names the refund (refund_id): sent again after a lost answer, it refunds once.
        refund_id = uuid.UUID(json.loads(sent.value.post_data)["refund_id"])
        assert StoredEvent.objects.get(event_type="OrderRefunded").data["refund_id"] == str(refund_id)

        # Cash out with a reason.
        page.click("nav >> text=Cash in/out")
        page.select_option("select[name=direction]", "out")
        page.fill("input[name=amount]", "20.00")
        page.fill("input[name=reason]", "bank drop")
        page.click("button:has-text('Record')")
        assert "Cash out 20.00 recorded" in page.wait_for_selector("#message").inner_text()

        # Reprint a past receipt.
        page.click("nav >> text=Receipts")
        page.click(f".past-receipt[data-number='{split}']")
        assert receipt_number(page) == split

        # Close with the counted amounts: the Z-report on screen is the API's.
        close_session(page, "04-z-report", {"cash": "110.00", "card": "16.30"})
        on_screen = dict(page.eval_on_selector_all(
            "#zreport tr[data-field]", "rows => rows.map(r => [r.dataset.field, r.querySelector('.value').textContent])"))
        labels = page.eval_on_selector_all("#zreport tr[data-field]", "rows => rows.map(r => r.cells[0].textContent)")
        heading = page.inner_text("#zreport h2")
        methods = page.eval_on_selector_all(
            "#zreport tr[data-method]", "rows => rows.map(r => [r.dataset.method, r.textContent])")
    z = closed_z_report(shop, api_client)
    assert (z["sales_count"], z["void_count"]) == (6, 1)
    # Each figure once, named for a cashier: not `discount_total` / `tax_total` again, no session id.
    assert heading == f"Z-report no. {z['z_number']}"
    named = {"sales_count", "gross", "discounts", "refund_count", "refunds", "net", "tax", "refund_tax",
             "void_count", "voids", "opening_float", "cash_in", "cash_out", "cash_difference"}
    assert set(on_screen) == named
    for field in named:
        assert on_screen[field] == str(z[field]), field
    assert (z["discount_total"], z["tax_total"]) == (z["discounts"], z["tax"])  # the same figures, not shown twice
    assert labels[:4] == ["Sales", "Gross sales", "Discounts", "Refunds"] and "_" not in "".join(labels)
    assert {m for m, _ in methods} == {m["method"] for m in z["methods"]}
    for method, text in methods:
        expected = next(m for m in z["methods"] if m["method"] == method)
        assert f"expected {expected['expected']}" in text and f"difference {expected['difference']}" in text
    with capsys.disabled():  # shown even when pytest captures output
        print(f"\ntill screenshots (for a person to look at): {SHOTS}")
