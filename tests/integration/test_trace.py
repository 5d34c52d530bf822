"""The trace of a sale across contexts, on real PostgreSQL with the events delivered in-process
(embedded delivery, the same inbox as the Kafka consumers): the order's events, the stock
movements and loyalty points its completion caused, and the consumers that applied each of them."""

import io

import pytest
from django.core.management import CommandError, call_command

from infrastructure.observability.trace import trace
from tests.customers.support import make_customer
from tests.helpers.auth import at_till
from tests.helpers.delivery import embedded_delivery  # noqa: F401
from tests.sales.support import make_product, make_till, sale_body, sell

pytestmark = [pytest.mark.integration]


@pytest.fixture
def sale(embedded_delivery, api_client, cashier_user):  # noqa: F811
    coffee = make_product("TR-COF", "4.00", tax="10", stock=10)
    till = make_till(store="S1")
    customer = make_customer("Tracy Trace")
    at_till(api_client, cashier_user, till)
    assert api_client.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "20.00"},
                           format="json").status_code == 201
    response = sell(api_client, sale_body(till, [(coffee, 3, None)], [("cash", "12.00")], customer_id=str(customer)))
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_a_sale_is_followed_into_stock_loyalty_and_reporting(sale):
    result = trace(sale)

    kinds = [(step.context, step.event_type) for step in result.steps]
    assert ("sales", "OrderPlaced") in kinds and ("sales", "OrderCompleted") in kinds
    assert ("customers", "LoyaltyPointsEarned") in kinds  # caused by the completion, through a policy
    assert any(context == "catalog" and "Stock" in event_type for context, event_type in kinds)
    completed = next(s for s in result.steps if s.event_type == "OrderCompleted")
    points = next(s for s in result.steps if s.event_type == "LoyaltyPointsEarned")
    assert points.cause is completed and points.after_cause_seconds >= 0
    assert {"reporting", "audit", "customers", "catalog"} <= {a.consumer for a in completed.applied}
    assert all(a.after_append_seconds >= 0 for s in result.steps for a in s.applied)
    assert [s.recorded_at for s in result.steps] == sorted(s.recorded_at for s in result.steps)

    by_event = trace(points.event_id)  # from any event of the chain, the same chain
    assert {s.event_id for s in by_event.steps} >= {completed.event_id, points.event_id}


def test_manage_py_trace_prints_the_chain(sale):
    out = io.StringIO()
    call_command("trace", sale, stdout=out)
    text = out.getvalue()
    assert text.startswith(f"Trace of {sale}: ")
    assert "sales.OrderCompleted" in text and "customers.LoyaltyPointsEarned  " in text
    assert "<- sales.OrderCompleted +" in text and "-> reporting applied +" in text

    with pytest.raises(CommandError, match="nothing to trace"):
        call_command("trace", "no-such-stream", stdout=io.StringIO())


def test_the_trace_page_shows_the_chain_to_admins(sale, client, admin_user):
    client.force_login(admin_user)
    page = client.get("/admin/pipeline/trace/", {"id": sale}).content.decode()
    assert 'data-context="customers"' in page and 'data-context="catalog"' in page
    assert 'data-consumer="reporting"' in page
    assert "sales.OrderCompleted (+" in page  # the loyalty points' cause, with its delay


@pytest.mark.e2e
def test_the_trace_of_a_sale_in_chromium(sale, admin_user, live_server):
    """In a real browser: the admin types the order id on the Pipeline page and sees the sale's
    chain through sales, catalog, customers and reporting. A screenshot is saved."""
    from playwright.sync_api import expect

    from tests.helpers.browser import chromium_page, log_in
    from tests.helpers.processes import ARTIFACTS_DIR

    with chromium_page(viewport=(1600, 1000)) as page:
        log_in(page, live_server.url, admin_user, next_path="/admin/pipeline/")
        page.fill("#trace-id", sale)
        page.click("#trace-form input[type=submit]")
        expect(page.locator("#trace-summary")).to_contain_text("audit, catalog, customers, reporting, sales")
        completed = page.locator('#trace-steps tr[data-context="sales"][data-event-type="OrderCompleted"]')
        expect(completed).to_have_count(1)
        expect(completed.locator('[data-consumer="reporting"]')).to_be_visible()  # the reporting rows it fed
        points = page.locator('#trace-steps tr[data-context="customers"][data-event-type="LoyaltyPointsEarned"]')
        expect(points).to_contain_text("sales.OrderCompleted (+")
        expect(page.locator('#trace-steps tr[data-context="catalog"]').first).to_contain_text("sales.OrderCompleted (+")
        page.screenshot(path=str(ARTIFACTS_DIR / "trace-of-a-sale.png"), full_page=True)
