"""The till without network, in Chromium: the app shell comes from its service worker and the
price list from IndexedDB; sales made offline wait in the browser with their own Idempotency-Key
and the till's time, and go to the server in order when the network returns. A sale the server
refuses on sync stays on screen for a person; nothing disappears."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from contexts.catalog import commands as cat
from contexts.customers.commands import RegisterCustomer, RemoveCustomer
from contexts.sales.models import OrderView
from infrastructure.commands.bus import execute
from tests.helpers.waiting import wait_until
from tests.sales.support import META

from .conftest import PRODUCTS, add, shot, till_page

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

SHELL_CACHED = """async () => {
  const registration = await navigator.serviceWorker.ready;
  const cache = await caches.open("pos-till-shell-v1");
  return Boolean(registration.active) && (await cache.keys()).length === 3;
}"""


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def sell_offline(page, sku: str) -> tuple[dt.datetime, dt.datetime]:
    """One sale paid in cash while offline; the moments before and after it."""
    before = now()
    add(page, sku)
    page.click("#pay")
    page.wait_for_selector("#tender")
    assert "(needs network)" in page.inner_text("#pay-card")  # card needs the terminal and the network
    page.click(".quick-cash >> nth=0")
    page.wait_for_selector("#receipt:has-text('Waiting to send')")
    after = now()
    page.click("#new-sale")
    page.wait_for_selector(".product")
    return before, after


# Whether the till's IndexedDB holds a customer (the `idb` database the till opens, store "customers").
CUSTOMER_KEPT = """(id) => new Promise((resolve) => {
  const open = indexedDB.open("pos-till");
  open.onsuccess = () => {
    const request = open.result.transaction("customers").objectStore("customers").get(id);
    request.onsuccess = () => resolve(Boolean(request.result));
    request.onerror = () => resolve(false);
  };
  open.onerror = () => resolve(false);
})"""


def test_a_reload_without_network_still_sells_and_the_sales_arrive_in_order(till_shop):
    shop = till_shop
    with till_page(shop) as page:
        assert wait_until(lambda: page.evaluate(SHELL_CACHED), timeout=20, message="service worker with the shell")
        page.context.set_offline(True)
        page.reload()
        page.wait_for_selector(".product[data-sku=BREAD]")
        assert page.inner_text("#network") == "Offline"

        moments = [sell_offline(page, sku) for sku in ("BREAD", "JUICE", "SOAP")]
        assert page.inner_text("#waiting") == "Waiting to send (3)"
        shot(page, "05-offline-waiting")
        assert not OrderView.objects.filter(till_id=shop["till"]).exists()

        page.context.set_offline(False)
        page.wait_for_selector("#waiting", state="detached", timeout=30_000)
        orders = list(OrderView.objects.filter(till_id=shop["till"]).order_by("number"))
        assert len(orders) == 3
        for order, (before, after), sku in zip(orders, moments, ("BREAD", "JUICE", "SOAP"), strict=True):
            assert before <= order.placed_at <= after, (order.number, order.placed_at, before, after)  # the till's time
            assert order.status == "completed"
        assert [o.placed_at for o in orders] == sorted(o.placed_at for o in orders)

        page.click("nav >> text=Receipts")
        for order in orders:
            page.click(f".past-receipt[data-number='{order.number}']")
            assert page.wait_for_selector("#receipt-number").inner_text() == order.number
            assert page.inner_text("#receipt-total") == str(order.total)
            page.click("nav >> text=Receipts")
        shot(page, "06-back-online-receipts")


def test_customers_synced_at_sign_in_are_found_offline_and_a_removed_one_leaves_the_till(till_shop):
    shop = till_shop
    grace = execute(RegisterCustomer(name="Grace Hopper", email="grace@example.com", phone=None, address=None),
                    META)["id"]
    with till_page(shop) as page:  # signing in syncs the customers: never searched for, Grace is kept
        assert wait_until(lambda: page.evaluate(CUSTOMER_KEPT, grace), timeout=20, message="customers synced")
        execute(RemoveCustomer(customer_id=uuid.UUID(grace), reason="moved away"), META)
        page.context.set_offline(True)
        page.click("button:has-text('Customer')")
        page.fill("input[name=q]", "grace")
        page.click("button:has-text('Search')")
        page.wait_for_selector(".customer:has-text('Grace Hopper')")
        assert "the customers kept on this till" in page.inner_text("#message")
        shot(page, "08-offline-customer-search")
        page.context.set_offline(False)  # back online: the next sync takes the removed customer away
        assert wait_until(lambda: not page.evaluate(CUSTOMER_KEPT, grace), timeout=20,
                          message="the removed customer gone from the till")


def test_a_sale_refused_on_sync_stays_for_a_person_to_resolve(till_shop):
    shop = till_shop
    with till_page(shop) as page:
        page.context.set_offline(True)
        sell_offline(page, "SOAP")
        execute(cat.DiscontinueProduct(product_id=shop["products"]["SOAP"], reason="recalled"), META)
        sell_offline(page, "BREAD")
        page.context.set_offline(False)

        refused = page.wait_for_selector("#refused .refused-item", timeout=30_000)
        assert page.inner_text("#refused-count") == "Refused on sync (1)"
        page.wait_for_selector("#waiting", state="detached")
        orders = list(OrderView.objects.filter(till_id=shop["till"]))
        assert [o.total for o in orders] == [Decimal(PRODUCTS["BREAD"][1])]  # the other sale went through
        assert refused.inner_text().strip()
        shot(page, "07-refused-on-sync")

        page.reload()  # kept in the browser, not only on the screen
        page.wait_for_selector("#refused .refused-item")
        assert page.inner_text("#refused-count") == "Refused on sync (1)"
        page.click("#refused button:has-text('Mark resolved')")
        page.wait_for_selector("#refused", state="detached")
        kept = page.evaluate("""() => new Promise((done) => {
          const open = indexedDB.open("pos-till");
          open.onsuccess = () => { const all = open.result.transaction("queue").objectStore("queue").getAll();
                                   all.onsuccess = () => done(all.result.map((i) => i.state)); };
        })""")
        assert kept == ["resolved"]  # resolved by a person, still on record


def test_an_expired_access_token_is_refreshed_and_the_queue_is_kept(till_shop):
    """The access token goes bad while a sale waits (here: replaced by a token the server refuses);
    back online, the till refreshes it with its refresh token and sends the sale, once."""
    shop = till_shop
    with till_page(shop) as page:
        page.context.set_offline(True)
        sell_offline(page, "JUICE")
        page.evaluate("""() => {
          const tokens = JSON.parse(localStorage.getItem("pos.till.tokens"));
          localStorage.setItem("pos.till.tokens", JSON.stringify({...tokens, access: "expired." + tokens.access}));
        }""")
        page.context.set_offline(False)
        page.wait_for_selector("#waiting", state="detached", timeout=30_000)
        assert OrderView.objects.filter(till_id=shop["till"]).count() == 1
        tokens = page.evaluate("JSON.parse(localStorage.getItem('pos.till.tokens'))")
        assert not tokens["access"].startswith("expired.")  # a new one, from the refresh
