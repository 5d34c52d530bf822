"""A till's day through the API client generated from the schema (tests/helpers/api_client.py):
what a third-party till written against /api/schema/ would call, with the types it would get."""

import uuid
from decimal import Decimal

import pytest

from tests.helpers.api_client import api_client, pos_api  # noqa: F401
from tests.helpers.delivery import embedded_delivery  # noqa: F401
from tests.helpers.throttling import clear_throttle_state, random_client_ip

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TILL = uuid.UUID("5a1e5000-0000-4000-8000-000000000001")  # the demo till


@pytest.fixture
def demo(embedded_delivery):
    from django.core.management import call_command

    call_command("load_demo", stdout=open("/dev/null", "w"))
    ip = random_client_ip()
    yield ip
    clear_throttle_state(ip)


def test_a_till_day_through_the_generated_client(pos_api, demo):
    from pos_api_client.api.authtoken import v1_auth_token_create
    from pos_api_client.api.catalogproducts import v1_catalog_products_list
    from pos_api_client.api.salesorders import v1_sales_orders_create, v1_sales_orders_refunds_create
    from pos_api_client.api.salestills import v1_sales_tills_close_create, v1_sales_tills_open_create
    from pos_api_client import models as m

    pair = v1_auth_token_create.sync(client=api_client(pos_api, None, remote_addr=demo), body=m.TokenLoginRequest(
        username="cashier", password="cashier-demo-pass", till_id=TILL))
    assert isinstance(pair, m.TokenPair) and pair.till == TILL
    till = api_client(pos_api, pair.access, remote_addr=demo)

    session = v1_sales_tills_open_create.sync(TILL, client=till, body=m.OpenInRequest(opening_float="100.00"))
    assert isinstance(session, m.SessionState) and session.status == "open"

    coffee = v1_catalog_products_list.sync(client=till, search="COF-250").results[0]
    assert coffee.sku == "COF-250" and coffee.unit_price == "4.99"

    sale = v1_sales_orders_create.sync(client=till, idempotency_key="client-test-0001", body=m.OrderInRequest(
        till_id=TILL, lines=[m.LineInRequest(product_id=coffee.id, quantity=2)],
        payments=[m.PaymentInRequest(method="card", amount="5.00"),
                  m.PaymentInRequest(method="cash", amount="10.00")]))
    # 2 x 4.99 = 9.98; 5.00 by card leaves 4.98, paid with 10.00 cash: 5.02 change.
    assert isinstance(sale, m.OrderState)
    assert (sale.status, sale.total, sale.paid, sale.change) == ("completed", "9.98", "9.98", "5.02")

    again = v1_sales_orders_create.sync(client=till, idempotency_key="client-test-0001", body=m.OrderInRequest(
        till_id=TILL, lines=[m.LineInRequest(product_id=coffee.id, quantity=2)],
        payments=[m.PaymentInRequest(method="card", amount="5.00"),
                  m.PaymentInRequest(method="cash", amount="10.00")]))
    assert again.id == sale.id and again.number == sale.number  # a retry: the first answer, nothing new

    refunded = v1_sales_orders_refunds_create.sync(sale.id, client=till, body=m.RefundInRequest(
        lines=[m.RefundLineInRequest(line_no=1, quantity=1)], method="cash", reason="Damaged"))
    assert refunded.refunded == "4.99" and refunded.refund.total == "4.99"

    # Cash: 100.00 float + 9.98 - 5.00 by card = 104.98 in, 4.99 refunded in cash: 99.99.
    closed = v1_sales_tills_close_create.sync(TILL, client=till, body=m.CloseInRequest(
        counted=m.CountedInRequest(cash="99.99", card="5.00")))
    assert closed.status == "closed"
    assert Decimal(closed.z_report["cash_difference"]) == 0 and closed.z_report["refunds"] == "4.99"


def test_a_refusal_arrives_as_the_generated_problem_details(pos_api, demo):
    from pos_api_client.api.authtoken import v1_auth_token_create
    from pos_api_client.api.salesorders import v1_sales_orders_create
    from pos_api_client import models as m

    pair = v1_auth_token_create.sync(client=api_client(pos_api, None, remote_addr=demo), body=m.TokenLoginRequest(
        username="cashier", password="cashier-demo-pass", till_id=TILL))
    till = api_client(pos_api, pair.access, remote_addr=demo)
    answer = v1_sales_orders_create.sync_detailed(client=till, idempotency_key="client-test-0002", body=m.OrderInRequest(
        till_id=TILL, lines=[m.LineInRequest(product_id=uuid.uuid4(), quantity=1)]))
    assert answer.status_code == 409
    assert isinstance(answer.parsed, m.ProblemDetails) and answer.parsed.type_.endswith("/api/problems/no-open-session/")
