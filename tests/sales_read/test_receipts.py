"""The receipt renderers, on read-model rows built in memory (no database)."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from contexts.sales.models import OrderLineView, OrderView, PaymentView, RefundView, StoreDetails, TillView
from contexts.sales.receipts import WIDTH, receipt_content, render_html, render_json, render_text

pytestmark = [pytest.mark.unit]
D = Decimal
UTC = dt.timezone.utc
PLACED = dt.datetime(2025, 3, 14, 9, 30, 15, tzinfo=UTC)
LONG_NAME = "Extra-large organic fair-trade espresso beans, dark roast (1 kg bag)"


def _order(**changes) -> OrderView:
    fields = dict(order_id=uuid.uuid4(), number="S1-000042", kind="till", status="completed", refund_status="none",
                  store_code="S1", till_id=uuid.uuid4(), session_id=uuid.uuid4(), cashier="alice",
                  customer_id=None, customer_name="", gross=D("37.84"), discount_total=D("2.50"),
                  subtotal=D("30.75"), tax_total=D("4.59"), total=D("35.34"), paid=D("35.34"), change=D("4.66"),
                  refunded_total=D("0.00"),
                  taxes=[{"rate": "7.00", "taxable": "12.00", "tax": "0.84"},
                         {"rate": "20.00", "taxable": "18.75", "tax": "3.75"}],
                  placed_at=PLACED, cancelled_reasons=[], ship_to=None, version=4, updated_at=PLACED)
    fields.update(changes)
    return OrderView(**fields)


def _lines(order: OrderView) -> list[OrderLineView]:
    return [
        OrderLineView(order_id=order.order_id, line_no=1, product_id=uuid.uuid4(), sku="COF-1", name=LONG_NAME,
                      quantity=2, unit_price=D("12.50"), tax_rate=D("20.00"), discount_percent=D("10.00"),
                      gross=D("25.00"), discount=D("2.50"), total=D("22.50"), tax=D("3.75")),
        OrderLineView(order_id=order.order_id, line_no=2, product_id=uuid.uuid4(), sku="NB-A5", name="A5 notebook",
                      quantity=3, unit_price=D("4.00"), price_includes_tax=False, tax_rate=D("7.00"),
                      discount_percent=D("0.00"), gross=D("12.84"), discount=D("0.00"), total=D("12.84"),
                      tax=D("0.84")),
    ]


def _payments(order: OrderView) -> list[PaymentView]:
    return [
        PaymentView(payment_id=uuid.uuid4(), order_id=order.order_id, method="card", amount=D("20.00"),
                    tendered=D("20.00"), change=D("0.00"), recorded_at=PLACED),
        PaymentView(payment_id=uuid.uuid4(), order_id=order.order_id, method="cash", amount=D("15.34"),
                    tendered=D("20.00"), change=D("4.66"), recorded_at=PLACED),
    ]


def _till() -> TillView:
    return TillView(till_id=uuid.uuid4(), name="Front till", store_code="S1", store_name="Main Street", version=1,
                    registered_at=PLACED)


def _refund(order: OrderView) -> RefundView:
    return RefundView(refund_id=uuid.uuid4(), order_id=order.order_id, method="cash", total=D("11.25"),
                      tax=D("1.88"), cashier="bob", reason="damaged bag",
                      lines=[{"line_no": 1, "product_id": str(uuid.uuid4()), "quantity": 1, "amount": "11.25",
                              "tax": "1.88", "sku": "COF-1", "name": LONG_NAME}],
                      recorded_at=dt.datetime(2025, 3, 15, 10, 0, tzinfo=UTC))


def _amount_at_right(text: str, label: str, amount: str) -> bool:
    return any(line.startswith(label) and line.endswith(amount) and len(line) == WIDTH for line in text.splitlines())


def test_every_line_fits_40_columns_and_the_totals_are_there():
    order = _order(customer_name="Grace Hopper")
    text = render_text(order, _lines(order), _payments(order), [], _till(), shop_name="Corner Shop", currency="EUR")
    lines = text.splitlines()

    assert max(len(line) for line in lines) <= 40
    assert lines[0] == "Corner Shop".center(40).rstrip()
    assert "Store: S1 - Main Street" in lines and "Till: Front till" in lines and "Cashier: alice" in lines
    assert "Date: 2025-03-14 09:30 UTC" in lines and "Order: S1-000042" in lines
    assert "Customer: Grace Hopper" in lines
    # Each line: the name (cut to fit) with its total flush right, then quantity x unit price.
    assert _amount_at_right(text, LONG_NAME[:34], "22.50")
    assert "  2 x 12.50" in lines and "  discount 10%: -2.50" in lines
    assert _amount_at_right(text, "A5 notebook", "12.84") and "  3 x 4.00" in lines
    assert _amount_at_right(text, "Subtotal (excl. tax)", "30.75")
    assert _amount_at_right(text, "Tax 7% on 12.00", "0.84")
    assert _amount_at_right(text, "Tax 20% on 18.75", "3.75")
    assert _amount_at_right(text, "TOTAL EUR", "35.34")
    assert _amount_at_right(text, "Card", "20.00") and _amount_at_right(text, "Cash", "20.00")
    assert _amount_at_right(text, "Change", "4.66")
    assert "REFUND" not in text
    assert lines[-1] == "Keep this receipt for refunds.".center(40).rstrip()


def test_refunds_are_listed_with_their_lines():
    order = _order(refunded_total=D("11.25"), refund_status="partial")
    text = render_text(order, _lines(order), _payments(order), [_refund(order)], _till(), shop_name="Shop",
                       currency="EUR")
    assert max(len(line) for line in text.splitlines()) <= 40
    assert _amount_at_right(text, "REFUND (cash)", "-11.25")
    assert "  2025-03-15 10:00 UTC" in text.splitlines()
    assert _amount_at_right(text, "  1 x Extra-large", "-11.25")
    assert "  Reason: damaged bag" in text.splitlines()
    assert _amount_at_right(text, "Refunded total", "-11.25")


def test_the_shop_name_and_currency_come_from_the_settings_by_default(settings):
    settings.POS_SHOP_NAME = "Settings Shop"
    settings.POS_CURRENCY = "CHF"
    order = _order()
    text = render_text(order, _lines(order), _payments(order), [], _till())
    assert text.splitlines()[0].strip() == "Settings Shop"
    assert _amount_at_right(text, "TOTAL CHF", "35.34")


def test_huge_amounts_and_names_are_cut_never_overflow():
    order = _order(total=D("9999999999.99"), subtotal=D("9999999999.99"), change=D("0.00"),
                   customer_name="A customer with an exceedingly long name that goes on and on",
                   number="S12345678-0000000001")
    line = OrderLineView(order_id=order.order_id, line_no=1, product_id=uuid.uuid4(), sku="X", name=LONG_NAME * 2,
                         quantity=10000, unit_price=D("99999999.99"), tax_rate=D("20.00"),
                         discount_percent=D("33.33"), gross=D("999999999999.99"), discount=D("333333333.33"),
                         total=D("9999999999.99"), tax=D("0.00"))
    text = render_text(order, [line], [], [], None, shop_name="S" * 80, currency="EUR")
    assert max(len(row) for row in text.splitlines()) <= 40
    assert _amount_at_right(text, "TOTAL EUR", "9999999999.99")


def test_an_unpaid_delivery_order_shows_what_is_due_and_where_it_goes():
    order = _order(kind="delivery", status="confirmed", till_id=None, session_id=None, paid=D("0.00"),
                   change=D("0.00"), ship_to={"name": "Ada Lovelace", "address": "12 St James's Square",
                                              "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"})
    text = render_text(order, _lines(order), [], [], None, shop_name="Shop", currency="EUR")
    lines = text.splitlines()
    assert "Till: delivery order" in lines
    assert _amount_at_right(text, "Amount due", "35.34")
    assert "Ship to:" in lines and "  SW1Y 4JH London" in lines
    assert "Change" not in text


def test_the_tax_breakdown_is_worked_out_from_the_lines_when_the_order_has_none():
    order = _order(taxes=[])
    content = receipt_content(order, _lines(order), [], [], None, "Shop", "EUR")
    assert content["taxes"] == [{"rate": "7%", "taxable": "12.00", "tax": "0.84"},
                                {"rate": "20%", "taxable": "18.75", "tax": "3.75"}]


def test_the_html_receipt_has_the_same_content_and_escapes_it():
    order = _order(customer_name="<script>alert(1)</script>")
    html = render_html(order, _lines(order), _payments(order), [_refund(order)], _till(), shop_name="Corner & Co",
                       currency="EUR")
    assert html.startswith("<!DOCTYPE html>") and "@media print" in html
    assert "<h1>Corner &amp; Co</h1>" in html
    assert "S1-000042" in html and "Front till" in html
    assert "Tax 20% on 18.75" in html and "Tax 7% on 12.00" in html
    assert "TOTAL EUR" in html and "35.34" in html and "4.66" in html
    assert "REFUND (cash)" in html and "2025-03-15 10:00 UTC" in html and "-11.25" in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def _berlin() -> StoreDetails:
    return StoreDetails(code="S1", name="Main Street", address_line1="Hauptstrasse 1", address_city="Berlin",
                        address_postal_code="10115", address_country="DE", tax_id="DE123456789",
                        time_zone="Europe/Berlin", receipt_header="Open daily 8-20", receipt_footer="Danke!\nBis bald",
                        is_open=True, updated_at=PLACED, version=1)


def test_a_store_s_receipt_carries_its_details_and_its_local_time():
    # 23:30 UTC on 1 December is 00:30 on 2 December in Berlin: the receipt says what the customer's clock said
    order = _order(placed_at=dt.datetime(2026, 12, 1, 23, 30, tzinfo=UTC))
    text = render_text(order, _lines(order), _payments(order), [], _till(), store=_berlin())
    lines = text.splitlines()

    assert max(len(line) for line in lines) <= 40
    assert lines[:6] == [t.center(40).rstrip() for t in ("Main Street", "Hauptstrasse 1", "10115 Berlin", "DE",
                                                          "Tax id: DE123456789", "Open daily 8-20")]
    assert "Date: 2026-12-02 00:30 CET" in lines
    assert lines[-2:] == ["Danke!".center(40).rstrip(), "Bis bald".center(40).rstrip()]

    data = render_json(order, _lines(order), _payments(order), [], _till(), store=_berlin())
    assert data["store"] == {"code": "S1", "name": "Main Street", "address": ["Hauptstrasse 1", "10115 Berlin", "DE"],
                             "tax_id": "DE123456789", "time_zone": "Europe/Berlin"}
    assert data["date"] == "2026-12-02 00:30 CET" and data["header"] == ["Open daily 8-20"]
    assert data["footer"] == ["Danke!", "Bis bald"]

    summer = _order(placed_at=dt.datetime(2026, 7, 1, 22, 5, tzinfo=UTC))  # daylight saving time: UTC+2
    assert render_json(summer, [], [], [], None, store=_berlin())["date"] == "2026-07-02 00:05 CEST"

    html = render_html(order, _lines(order), _payments(order), [], _till(), store=_berlin())
    assert "Tax id: DE123456789" in html and "2026-12-02 00:30 CET" in html and "Bis bald" in html
