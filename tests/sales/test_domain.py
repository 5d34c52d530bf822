"""Sales domain rules without a database: pricing, tax, rounding, change, split payments,
refund limits, voids, zero totals, sessions and the Z-report."""

import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from contexts.sales.commands import PaymentRequest as Pay
from contexts.sales.commands import RefundLineRequest as RefundLine
from contexts.sales.domain.errors import NeedsManager
from contexts.sales.domain.order import DELIVERY, TILL, Order
from contexts.sales.domain.pricing import PriceEntry, check_discount, price_line, refund_share, totals
from contexts.sales.domain.drawer import Drawer
from contexts.sales.domain.events import (
    MethodAmount, SessionPaymentRecorded, SessionRefundRecorded, SessionSaleRecorded, SessionVoidRecorded, TaxLine,
    TillSessionOpened,
)
from contexts.sales.domain.till import KnownStore, Till, TillSession, check_store
from kernel.errors import Conflict, DomainError

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


def entry(price, rate, includes=True, sku="A"):
    return PriceEntry(product_id=uuid.uuid4(), sku=sku, name=f"Product {sku}", unit_price=D(price),
                      tax_rate=D(rate), price_includes_tax=includes, active=True)


def order_with(lines, kind=TILL):
    order = Order(str(uuid.uuid4()))
    order.place(number="S1-000001", kind=kind, store_code="S1", till_id=uuid.uuid4(), session_id=uuid.uuid4(),
                cashier="cashier", customer_id=None, lines=lines, totals=totals(lines), placed_at=NOW)
    return order


def pay(order, *payments):
    return order.pay([Pay(method=m, amount=D(a)) for m, a in payments],
                     payment_ids=[uuid.uuid4() for _ in payments], session_id=None, at=NOW)


# --- pricing ----------------------------------------------------------------------------------
def test_tax_inclusive_line_extracts_the_tax_rounded_half_up():
    line = price_line(1, entry("9.99", "20"), 3, D("0"))
    assert (line.gross, line.discount, line.total) == (D("29.97"), D("0.00"), D("29.97"))
    assert line.tax == D("5.00")  # 29.97 * 20 / 120 = 4.995 -> 5.00 (half up)


def test_tax_exclusive_line_adds_the_tax_and_keeps_gross_minus_discount_equal_total():
    line = price_line(1, entry("10.00", "5.5", includes=False), 3, D("10"))
    # net = 30.00 - 3.00 = 27.00; tax = 1.485 -> 1.49; total = 28.49; gross = 31.65
    assert (line.total, line.tax, line.gross) == (D("28.49"), D("1.49"), D("31.65"))
    assert line.gross - line.discount == line.total


def test_discount_rounds_half_up_to_cents():
    line = price_line(1, entry("0.05", "0"), 1, D("50"))  # 0.025 -> 0.03
    assert (line.discount, line.total) == (D("0.03"), D("0.02"))


def test_order_totals_sum_lines_and_break_tax_down_per_rate():
    lines = [price_line(1, entry("4.99", "10"), 2, D("0")), price_line(2, entry("2.15", "20", sku="B"), 1, D("0")),
             price_line(3, entry("1.20", "10", sku="C"), 5, D("10"))]
    t = totals(lines)
    assert t.total == D("9.98") + D("2.15") + D("5.40")
    assert t.gross - t.discount_total == t.total and t.subtotal + t.tax_total == t.total
    assert [(x.rate, x.tax) for x in t.taxes] == [(D("10.00"), lines[0].tax + lines[2].tax), (D("20.00"), lines[1].tax)]
    assert sum(x.taxable + x.tax for x in t.taxes) == t.total


def test_discount_limits():
    assert check_discount(1, D("10"), D("10")) == D("10.00")
    with pytest.raises(DomainError) as err:
        check_discount(2, D("15"), D("10"))
    assert err.value.field == "lines.1.discount_percent" and err.value.code == "NeedsManager"
    assert err.value.status == 403
    with pytest.raises(DomainError):
        check_discount(1, D("101"), D("100"))


# --- payments ---------------------------------------------------------------------------------
def test_cash_over_the_total_gives_change_and_completes():
    order = order_with([price_line(1, entry("7.30", "20"), 1, D("0"))])
    recorded = pay(order, ("cash", "10.00"))
    assert recorded[0].amount == D("7.30") and recorded[0].change == D("2.70") and recorded[0].tendered == D("10.00")
    assert order.status == "completed" and order.paid == D("7.30") and order.change == D("2.70")
    assert type(order.pending_events[-1]).__name__ == "OrderCompleted"


def test_split_card_then_cash_with_change():
    order = order_with([price_line(1, entry("25.00", "20"), 2, D("0"))])
    pay(order, ("card", "30.00"), ("cash", "50.00"))
    assert order.paid_by == {"card": D("30.00"), "cash": D("20.00")} and order.change == D("30.00")
    assert order.status == "completed"


def test_card_may_not_exceed_what_is_owed():
    order = order_with([price_line(1, entry("5.00", "0"), 1, D("0"))])
    with pytest.raises(DomainError) as err:
        pay(order, ("card", "5.01"))
    assert err.value.code == "CardOverpayment" and err.value.field == "payments.0.amount"


def test_partial_payment_leaves_the_order_open_and_an_extra_payment_is_refused():
    order = order_with([price_line(1, entry("5.00", "0"), 2, D("0"))])
    pay(order, ("card", "4.00"))
    assert order.status == "placed" and order.remaining == D("6.00")
    with pytest.raises(DomainError) as err:
        pay(order, ("cash", "6.00"), ("card", "1.00"))
    assert err.value.code == "Overpaid"


@pytest.mark.parametrize("amount", ["0", "-1.00", "1.001"])
def test_payment_amount_must_be_positive_cents(amount):
    order = order_with([price_line(1, entry("5.00", "0"), 1, D("0"))])
    with pytest.raises(DomainError):
        pay(order, ("cash", amount))


def test_delivery_order_is_paid_only_once_confirmed_and_ships_once_paid():
    order = order_with([price_line(1, entry("5.00", "0"), 1, D("0"))], kind=DELIVERY)
    with pytest.raises(Conflict):
        pay(order, ("card", "5.00"))
    with pytest.raises(Conflict):
        order.ship(NOW)
    order.confirm()
    pay(order, ("card", "5.00"))
    order.ship(NOW)
    assert order.status == "shipped"
    with pytest.raises(Conflict):
        order.cancel(("too late",))


def test_cancel_is_refused_once_paid_and_confirm_after_cancel_is_a_no_op():
    order = order_with([price_line(1, entry("5.00", "0"), 1, D("0"))], kind=DELIVERY)
    order.cancel(("customer changed their mind",))
    version = order.version
    order.confirm()
    assert order.status == "cancelled" and order.version == version


# --- refunds ----------------------------------------------------------------------------------
def test_refunds_never_exceed_what_was_sold_and_parts_add_up_exactly():
    order = order_with([price_line(1, entry("3.33", "20"), 3, D("0"))])
    pay(order, ("cash", "10.00"))
    amounts = []
    for _ in range(3):
        event = order.refund(refund_id=uuid.uuid4(), lines=[RefundLine(1, 1)], method="cash", cashier="c",
                             reason="", session_id=None, till_id=None, max_amount=None)
        amounts.append(event.total)
    assert sum(amounts) == order.total == D("9.99")
    with pytest.raises(DomainError) as err:
        order.refund(refund_id=uuid.uuid4(), lines=[RefundLine(1, 1)], method="cash", cashier="c", reason="",
                     session_id=None, till_id=None, max_amount=None)
    assert err.value.code == "RefundExceedsSale"


def test_refund_share_gives_the_last_unit_the_remainder():
    line = price_line(1, entry("1.00", "20"), 3, D("0"))  # 3.00 incl. 0.50 tax
    first = refund_share(line, 1, 0, D("0"), D("0"))
    last = refund_share(line, 2, 1, first[0], first[1])
    assert first[0] + last[0] == D("3.00") and first[1] + last[1] == line.tax


def test_refund_limit_method_rules_and_replay_of_the_same_refund():
    order = order_with([price_line(1, entry("60.00", "0"), 2, D("0"))])
    pay(order, ("card", "100.00"), ("cash", "20.00"))
    with pytest.raises(NeedsManager):
        order.refund(refund_id=uuid.uuid4(), lines=[RefundLine(1, 2)], method="cash", cashier="c", reason="",
                     session_id=None, till_id=None, max_amount=D("100.00"))
    with pytest.raises(DomainError) as err:  # split payment: "original" is ambiguous
        order.refund(refund_id=uuid.uuid4(), lines=[RefundLine(1, 1)], method="original", cashier="c", reason="",
                     session_id=None, till_id=None, max_amount=None)
    assert err.value.code == "AmbiguousMethod"
    refund_id = uuid.uuid4()
    first = order.refund(refund_id=refund_id, lines=[RefundLine(1, 1)], method="card", cashier="c", reason="",
                         session_id=None, till_id=None, max_amount=None)
    assert first.total == D("60.00")
    assert order.refund(refund_id=refund_id, lines=[RefundLine(1, 1)], method="card", cashier="c", reason="",
                        session_id=None, till_id=None, max_amount=None) is None
    with pytest.raises(DomainError) as err:  # only 40.00 of card money is left to give back
        order.refund(refund_id=uuid.uuid4(), lines=[RefundLine(1, 1)], method="card", cashier="c", reason="",
                     session_id=None, till_id=None, max_amount=None)
    assert err.value.code == "CardRefundExceedsPayment"


def test_refund_of_an_unpaid_sale_is_refused():
    order = order_with([price_line(1, entry("5.00", "0"), 1, D("0"))])
    with pytest.raises(Conflict):
        order.refund(refund_id=uuid.uuid4(), lines=[RefundLine(1, 1)], method="cash", cashier="c", reason="",
                     session_id=None, till_id=None, max_amount=None)


# --- tills and sessions -----------------------------------------------------------------------
MAIN_STREET = KnownStore(code="S1", name="Main Street", is_open=True)


def test_till_registration_rules():
    till = Till(str(uuid.uuid4()))
    with pytest.raises(DomainError) as err:
        till.register("Till 1", "s 1", MAIN_STREET)
    assert err.value.field == "store_code"
    till.register("Till 1", "s1", MAIN_STREET)
    assert (till.store_code, till.store_name) == ("S1", "Main Street")


def test_a_till_belongs_to_a_registered_store_and_takes_its_name():
    till = Till(str(uuid.uuid4()))
    with pytest.raises(DomainError) as err:
        till.register("Till 1", "ZZZZ9", None)  # no store of that code is known
    assert (type(err.value), err.value.code, err.value.field) == (DomainError, "UnknownStore", "store_code")
    assert "There is no store ZZZZ9" in err.value.message and not till.pending_events
    till.register("Till 1", "s1", MAIN_STREET)
    (event,) = till.pending_events
    assert (event.store_code, event.store_name) == ("S1", "Main Street")


def test_a_closed_store_takes_no_new_till_or_delivery_order():
    closed = KnownStore(code="S2", name="Harbour", is_open=False)
    till = Till(str(uuid.uuid4()))
    with pytest.raises(Conflict) as err:
        till.register("Till 1", "S2", closed)
    assert (err.value.status, err.value.code, err.value.field) == (409, "StoreClosed", "store_code")
    assert not till.pending_events
    with pytest.raises(Conflict):
        check_store("S2", closed)
    with pytest.raises(DomainError) as unknown:
        check_store("S3", None)
    assert unknown.value.code == "UnknownStore"
    assert check_store("S1", MAIN_STREET) is MAIN_STREET


def test_session_z_report_adds_up():
    session = TillSession(str(uuid.uuid4()))
    session.start(till_id=uuid.uuid4(), store_code="S1", cashier="c", opening_float="100.00", at=NOW)
    drawer = session.drawer
    session.move_cash(D("20.00"), "float top-up", "c")
    session.move_cash(D("-50.00"), "bank drop", "c")
    drawer.take("cash", D("7.30"))
    drawer.take("card", D("12.70"))
    drawer.sell(D("22.00"), D("2.00"), D("3.33"))
    drawer.refund("cash", D("5.00"), D("0.83"))
    with pytest.raises(DomainError):
        session.move_cash(D("-1000.00"), "too much", "c")
    report = session.close({"cash": D("72.00")}, "c", NOW)
    cash, card = report.methods
    assert cash.expected == D("100.00") + D("20.00") - D("50.00") + D("7.30") - D("5.00") == D("72.30")
    assert cash.difference == report.cash_difference == D("-0.30")
    assert (card.expected, card.counted, card.difference) == (D("12.70"), D("12.70"), D("0.00"))
    assert (cash.taken, cash.given_back, card.taken, card.given_back) == (D("7.30"), D("5.00"), D("12.70"), D("0.00"))
    assert (report.sales_count, report.gross, report.discounts, report.refunds) == (1, D("22.00"), D("2.00"), D("5.00"))
    assert (report.refund_count, report.refund_tax) == (1, D("0.83"))
    assert report.net == D("22.00") - D("2.00") - D("5.00")
    with pytest.raises(Conflict):
        drawer.take("cash", D("1.00"))


def test_a_drawer_is_its_row_and_back():
    session = TillSession(str(uuid.uuid4()))
    session.start(till_id=uuid.uuid4(), store_code="S1", cashier="c", opening_float="10.00", at=NOW)
    drawer = session.drawer
    drawer.take("cash", D("7.30"))
    drawer.sell(D("8.00"), D("0.70"), D("1.22"), [TaxLine(D("20.00"), D("6.08"), D("1.22"))])
    drawer.refund("card", D("1.00"), D("0.17"), taxes=[TaxLine(D("20.00"), D("0.83"), D("0.17"))])
    restored = Drawer.from_state(drawer.to_state())
    assert restored.to_state() == drawer.to_state()
    assert restored.z_report({"cash": D("17.30")}) == drawer.z_report({"cash": D("17.30")})


def test_a_session_recorded_before_drawers_folds_its_sales_events_into_the_same_drawer():
    """Streams written before the drawer row carry each sale's money as Session*Recorded events:
    replayed, they give the drawer the row would hold, and the same Z-report."""
    session_id, till_id, order_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    rate = [TaxLine(D("20.00"), D("18.33"), D("3.67"))]
    history = [
        TillSessionOpened(session_id=session_id, till_id=till_id, store_code="S1", cashier="c",
                          opening_float=D("50.00"), opened_at=NOW),
        SessionPaymentRecorded(session_id=session_id, order_id=order_id, payment_id=uuid.uuid4(), method="cash",
                               amount=D("22.00")),
        SessionSaleRecorded(session_id=session_id, order_id=order_id, gross=D("24.00"), discount_total=D("2.00"),
                            tax_total=D("3.67"), total=D("22.00"), taxes=tuple(rate)),
        SessionRefundRecorded(session_id=session_id, order_id=order_id, refund_id=uuid.uuid4(), method="card",
                              amount=D("11.00"), tax=D("1.83"), taxes=(TaxLine(D("20.00"), D("9.17"), D("1.83")),)),
        SessionVoidRecorded(session_id=session_id, order_id=uuid.uuid4(), total=D("4.00"),
                            returned=(MethodAmount(method="cash", amount=D("4.00")),)),
    ]
    replayed = TillSession.replay(str(session_id), history)
    drawer = Drawer(session_id, till_id, D("50.00"), NOW)
    drawer.take("cash", D("22.00"))
    drawer.sell(D("24.00"), D("2.00"), D("3.67"), rate)
    drawer.refund("card", D("11.00"), D("1.83"), taxes=[TaxLine(D("20.00"), D("9.17"), D("1.83"))])
    drawer.replay_void(D("4.00"), [("cash", D("4.00"))])
    assert replayed.drawer.to_state() == drawer.to_state()
    report = replayed.close({"cash": D("68.00")}, "c", NOW, z_number=3)
    assert (report.sales_count, report.refund_count, report.void_count, report.voids) == (1, 1, 1, D("4.00"))
    assert [(m.method, m.expected, m.taken, m.given_back) for m in report.methods] == [
        ("cash", D("68.00"), D("22.00"), D("4.00")), ("card", D("-11.00"), D("0.00"), D("11.00"))]
    assert report.taxes == (TaxLine(D("20.00"), D("9.16"), D("1.84")),)
    assert (report.z_number, report.refund_tax, replayed.drawer.unapproved_refunds) == (3, D("1.83"), D("11.00"))


# --- every sale ends ---------------------------------------------------------------------------
def test_a_zero_total_sale_is_completed_at_once():
    order = order_with([price_line(1, entry("4.00", "20"), 2, D("100"))])  # 8.00 - 100 % = 0.00
    assert order.total == D("0.00") and order.status == "completed"
    assert [type(e).__name__ for e in order.pending_events] == ["OrderPlaced", "OrderCompleted"]
    with pytest.raises(Conflict) as err:  # nothing is owed: 0.01 is refused, not "one too many"
        pay(order, ("cash", "0.01"))
    assert err.value.code == "NotPayable"


def test_a_zero_total_delivery_order_completes_when_confirmed():
    order = order_with([price_line(1, entry("4.00", "0"), 1, D("100"))], kind=DELIVERY)
    assert order.status == "placed"
    order.confirm(NOW)
    assert order.status == "completed"


def test_void_returns_every_payment_and_ends_the_sale():
    order = order_with([price_line(1, entry("12.50", "20"), 2, D("0"))])  # 25.00
    pay(order, ("card", "10.00"), ("cash", "5.00"))  # 15.00 taken, 10.00 still owed
    event = order.void(cashier="c", reason="customer left", at=NOW)
    assert order.status == "voided" and event.total == D("25.00")
    assert [(p.method, p.amount) for p in event.returned] == [("card", D("10.00")), ("cash", D("5.00"))]
    assert order.void(cashier="c", reason="again", at=NOW) is None  # voided once
    with pytest.raises(Conflict):
        pay(order, ("cash", "10.00"))


def test_a_completed_sale_is_refunded_not_voided():
    order = order_with([price_line(1, entry("5.00", "0"), 1, D("0"))])
    pay(order, ("cash", "5.00"))
    with pytest.raises(Conflict) as err:
        order.void(cashier="c", reason="", at=NOW)
    assert err.value.code == "NotVoidable"


def test_an_overpayment_message_names_no_order_number():
    order = order_with([price_line(1, entry("5.00", "0"), 1, D("0"))])
    with pytest.raises(DomainError) as err:
        pay(order, ("cash", "5.00"), ("card", "1.00"))
    assert err.value.code == "Overpaid" and "S1-000001" not in err.value.message


# --- money that every drawer counts ------------------------------------------------------------
def test_cash_tendered_may_give_at_most_the_configured_change():
    order = order_with([price_line(1, entry("12.50", "0"), 1, D("0"))])
    ids = [uuid.uuid4()]
    with pytest.raises(DomainError) as err:  # 9,999,999.99 for 12.50: change 9,999,987.49 > 500.00
        order.pay([Pay("cash", D("9999999.99"))], payment_ids=ids, session_id=None, at=NOW, max_change=D("500.00"))
    assert (err.value.code, err.value.field) == ("TenderTooLarge", "payments.0.amount")
    order.pay([Pay("cash", D("512.50"))], payment_ids=ids, session_id=None, at=NOW, max_change=D("500.00"))
    assert order.change == D("500.00")  # 512.50 - 12.50: exactly the ceiling is fine


def _refund(order, qty, limit, session_refunded=D("0"), approved_by=""):
    return order.refund(refund_id=uuid.uuid4(), lines=[RefundLine(1, qty)], method="cash", cashier="c", reason="",
                        session_id=None, till_id=None, max_amount=limit, session_refunded=session_refunded,
                        approved_by=approved_by)


def test_the_cashier_refund_limit_is_cumulative_per_order():
    order = order_with([price_line(1, entry("9.98", "0"), 20, D("0"))])  # 199.60
    pay(order, ("cash", "199.60"))
    for _ in range(5):  # 5 refunds of 2 items: 5 x 19.96 = 99.80, within 100.00
        _refund(order, 2, D("100.00"))
    with pytest.raises(NeedsManager):  # 99.80 + 9.98 = 109.78 > 100.00 on this order
        _refund(order, 1, D("100.00"))
    approved = _refund(order, 10, D("100.00"), approved_by="manager")  # a manager approves: 99.80 more
    assert approved.approved_by == "manager" and order.unapproved_refunded == D("99.80")


def test_the_cashier_refund_limit_is_cumulative_per_session():
    order = order_with([price_line(1, entry("10.00", "0"), 5, D("0"))])
    pay(order, ("cash", "50.00"))
    with pytest.raises(NeedsManager):  # 95.00 refunded in the session already + 10.00 > 100.00
        _refund(order, 1, D("100.00"), session_refunded=D("95.00"))
    assert _refund(order, 1, D("100.00"), session_refunded=D("90.00")).total == D("10.00")  # 100.00: at the limit


def test_refund_errors_name_the_requests_own_line_index():
    order = order_with([price_line(1, entry("1.00", "0"), 1, D("0")),
                        price_line(2, entry("2.00", "0", sku="B"), 1, D("0"))])
    pay(order, ("cash", "3.00"))
    with pytest.raises(DomainError) as err:  # sent as [line 2, line 1 (too many)]: the fault is lines.1
        order.refund(refund_id=uuid.uuid4(), lines=[RefundLine(2, 1), RefundLine(1, 2)], method="cash", cashier="c",
                     reason="", session_id=None, till_id=None, max_amount=None)
    assert err.value.field == "lines.1.quantity"


# --- sessions: voids in the Z-report, sale times ----------------------------------------------
def test_z_report_counts_voids_and_their_returned_money():
    session = TillSession(str(uuid.uuid4()))
    session.start(till_id=uuid.uuid4(), store_code="S1", cashier="c", opening_float="50.00", at=NOW)
    order = order_with([price_line(1, entry("12.50", "20"), 2, D("0"))])  # 25.00
    pay(order, ("card", "10.00"), ("cash", "5.00"))
    session.drawer.take("card", D("10.00"))
    session.drawer.take("cash", D("5.00"))
    event = order.void(cashier="c", reason="", at=NOW)
    session.drawer.void(event.total, event.returned)
    report = session.close({"cash": D("50.00")}, "c", NOW)
    cash, card = report.methods
    # cash: 50.00 float + 5.00 taken - 5.00 given back = 50.00; card: 10.00 - 10.00 reversed = 0.00
    assert (cash.expected, card.expected, report.cash_difference) == (D("50.00"), D("0.00"), D("0.00"))
    assert (report.void_count, report.voids, report.sales_count) == (1, D("25.00"), 0)


def test_a_sale_time_is_believed_only_within_its_session_and_a_small_skew_ahead():
    session = TillSession(str(uuid.uuid4()))
    session.start(till_id=uuid.uuid4(), store_code="S1", cashier="c", opening_float="0.00", at=NOW)
    session = session.drawer
    skew = timedelta(minutes=5)
    session.check_sale_time(NOW, NOW, skew)
    session.check_sale_time(NOW + skew, NOW, skew)  # exactly 5 minutes ahead: a till's clock may run fast
    for placed_at, code in ((NOW - timedelta(seconds=1), "PlacedAtOutsideSession"),
                            (datetime(1970, 1, 1, tzinfo=timezone.utc), "PlacedAtOutsideSession"),
                            (NOW + skew + timedelta(seconds=1), "PlacedAtInFuture"),
                            (NOW + timedelta(days=1), "PlacedAtInFuture")):
        with pytest.raises(DomainError) as err:
            session.check_sale_time(placed_at, NOW, skew)
        assert (err.value.field, err.value.code) == ("placed_at", code)


def test_a_sale_timed_to_the_second_the_session_opened_in_belongs_to_it():
    opened = NOW.replace(microsecond=400_000)
    session = TillSession(str(uuid.uuid4()))
    session.start(till_id=uuid.uuid4(), store_code="S1", cashier="c", opening_float="0.00", at=opened)
    skew = timedelta(minutes=5)
    session.drawer.check_sale_time(opened.replace(microsecond=0), opened, skew)  # a till's clock, to the second
    with pytest.raises(DomainError) as err:
        session.drawer.check_sale_time(opened.replace(microsecond=0) - timedelta(seconds=1), opened, skew)
    assert err.value.code == "PlacedAtOutsideSession"
