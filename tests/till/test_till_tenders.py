"""The shop's own tenders and loyalty points on the browser till, in Chromium: a gift voucher the
manager defined (its number asked for before anything is sent, online and offline), a customer's
points paying part of a sale (the server's refusal shown as it words it), and the close screen
listing every tender the Z-report counts, as the API has it."""

from decimal import Decimal as D

import pytest

from contexts.customers.models import CustomerView
from contexts.sales.commands import DefineTender
from contexts.sales.models import OrderView, PaymentView
from infrastructure.commands.bus import execute
from tests.helpers.waiting import wait_until
from tests.sales.support import META

from .conftest import add, close_session, closed_z_report, pay_screen, shot, till_page

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture
def tender_shop(till_shop, settings):
    # A point per 0.01 paid, so one small sale earns enough to pay part of the next (a point pays 0.01).
    settings.POS_LOYALTY_UNIT = D("0.01")
    execute(DefineTender(code="voucher", name="Gift voucher", needs_reference=True), META)
    return till_shop


def payments(number: str) -> list[tuple[str, D, str]]:
    order = OrderView.objects.get(number=number)
    return [(p.method, p.amount, p.reference) for p in PaymentView.objects.filter(order_id=order.order_id)
                                                     .order_by("recorded_at", "stream_version")]


def finish(page) -> str:
    return page.wait_for_selector("#receipt-number").inner_text()


def new_sale(page):
    page.click("#new-sale")
    page.wait_for_selector(".product")


def attach_ada(page):
    page.click("button:has-text('Customer')")
    page.fill("input[name=q]", "ada@")
    page.click("button:has-text('Search')")
    page.click(".customer:has-text('Ada Lovelace')")
    page.wait_for_selector("#cart-customer")


def test_vouchers_and_points_at_the_browser_till(tender_shop, api_client):
    shop = tender_shop
    with till_page(shop) as page:
        # The voucher key is there, from the tenders list synced at sign-in; no customer, no points key.
        add(page, "SOAP")
        pay_screen(page)
        assert page.inner_text(".pay-tender[data-code=voucher]") == "Gift voucher"
        assert page.locator("#pay-points").count() == 0
        placed = wait_until(lambda: OrderView.objects.filter(till_id=shop["till"], status="placed").first())

        # Without its number the voucher is not sent: the till asks for it.
        page.click(".pay-tender[data-code=voucher]")
        page.wait_for_selector("#tender-reference")
        assert "Gift voucher needs its number" in page.inner_text("#error")
        assert not PaymentView.objects.filter(order_id=placed.order_id).exists()
        shot(page, "20-voucher-asks-its-number")
        # More than owed by a tender that gives no change: the server's 422, worded as it words it.
        page.fill("#tender-reference", "GV-1")
        page.fill("#tender", "5.00")
        page.click(".pay-tender[data-code=voucher]")
        page.wait_for_selector("#error:has-text('cannot exceed what is owed (2.15); it gives no change')")
        assert not PaymentView.objects.filter(order_id=placed.order_id).exists()
        page.fill("#tender", "")
        page.press("#tender-reference", "Enter")  # the amount due, 2.15
        by_voucher = finish(page)
        assert payments(by_voucher) == [("voucher", D("2.15"), "GV-1")]
        assert "Gift voucher GV-1 2.15" in page.inner_text("#receipt .payment")
        shot(page, "21-voucher-receipt")
        new_sale(page)

        # Ada's first sale by card earns her 760 points (7.60 at a point per 0.01)...
        attach_ada(page)
        add(page, "BREAD", 2)
        pay_screen(page)
        page.click("#pay-card")
        finish(page)
        wait_until(lambda: CustomerView.objects.get(id=shop["customer"]).points_balance == 760,
                   message="Ada's points credited")
        new_sale(page)

        # ...and pay part of her next: 11.40, more points than she has is refused, then all of hers.
        attach_ada(page)
        add(page, "BREAD", 3)
        pay_screen(page)
        page.wait_for_selector("#pay-points:has-text('Points (760 = 7.60)')")  # her balance, as the server has it
        page.fill("#tender", "8.00")
        page.click("#pay-points")
        page.wait_for_selector("#error:has-text('The customer has 760 points')")
        page.fill("#tender", "")
        page.click("#pay-points")
        page.wait_for_selector("#paid:has-text('7.60')")
        assert page.inner_text("#due") == "3.80"
        page.wait_for_selector("#pay-points:has-text('Points (0 = 0.00)')")
        assert page.is_disabled("#pay-points")
        shot(page, "22-points-paid-part")
        page.click("#pay-cash")  # the rest, 3.80
        by_points = finish(page)
        assert payments(by_points) == [("points", D("7.60"), ""), ("cash", D("3.80"), "")]
        assert "Points 7.60" in page.inner_text("#receipt")
        new_sale(page)

        # Offline: points need the server, a voucher sale waits with its number and arrives with it.
        attach_ada(page)
        add(page, "JUICE")
        page.context.set_offline(True)
        page.click("#pay")
        page.wait_for_selector("#tender")
        assert page.is_disabled("#pay-points")
        assert "network" in page.get_attribute("#pay-points", "title")
        page.click(".pay-tender[data-code=voucher]")
        page.fill("#tender-reference", "GV-2")
        page.click(".pay-tender[data-code=voucher]")
        page.wait_for_selector("#receipt:has-text('Waiting to send')")
        assert "Gift voucher GV-2 2.49" in page.inner_text("#receipt")
        shot(page, "23-offline-voucher")
        page.click("#new-sale")
        page.context.set_offline(False)
        page.wait_for_selector("#waiting", state="detached", timeout=30_000)
        offline = OrderView.objects.get(till_id=shop["till"], total=D("2.49"))
        assert (offline.status, offline.customer_id) == ("completed", shop["customer"])
        assert payments(offline.number) == [("voucher", D("2.49"), "GV-2")]

        # The close form asks for the vouchers counted; the Z-report on screen has every tender's line.
        close_session(page, "24-z-report-tenders", {"cash": "103.80", "card": "7.60", "counted-voucher": "4.00"})
        on_screen = dict(page.eval_on_selector_all(
            "#zreport tr[data-method]", "rows => rows.map(r => [r.dataset.method, r.textContent])"))
    lines = {m["method"]: m for m in closed_z_report(shop, api_client)["methods"]}
    assert set(on_screen) == set(lines) == {"cash", "card", "voucher", "points"}
    assert (lines["voucher"]["expected"], lines["voucher"]["counted"], lines["voucher"]["difference"]) == (
        "4.64", "4.00", "-0.64")
    assert lines["points"]["expected"] == "7.60"
    for method, text in on_screen.items():
        line = lines[method]
        for part in ("expected", "counted", "difference"):
            assert f"{part} {line[part]}" in text, (method, part, text)
    assert "Gift voucher" in on_screen["voucher"]
