"""The shop's own tenders, without a database: defining and retiring them, paying and refunding
by them, and the Z-report counting each."""

import uuid
from datetime import datetime, timezone
from decimal import Decimal as D

import pytest

from contexts.sales.commands import PaymentRequest as Pay
from contexts.sales.commands import RefundLineRequest as RefundLine
from contexts.sales.domain.order import Order
from contexts.sales.domain.pricing import price_line, totals
from contexts.sales.domain.tender import BUILT_IN, Points, Tender, TenderRule, clean_code, tender_stream_id
from contexts.sales.domain.till import TillSession
from kernel.errors import Conflict, DomainError

from .test_domain import entry, order_with

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)


def tender(code, name, *, gives_change=False, needs_reference=False) -> Tender:
    t = Tender(str(tender_stream_id(code)))
    t.define(clean_code(code), name, gives_change=gives_change, needs_reference=needs_reference)
    return t


VOUCHER = tender("voucher", "Gift voucher", needs_reference=True)
MEAL = tender("meal", "Meal ticket", gives_change=True)
TENDERS = {**BUILT_IN, "voucher": VOUCHER.rule(), "meal": MEAL.rule()}


def pay(order, *payments, tenders=TENDERS):
    return order.pay([Pay(*p) for p in payments], payment_ids=[uuid.uuid4() for _ in payments], session_id=None,
                     at=NOW, tenders=tenders)


def refund(order, method, quantity=1):
    return order.refund(refund_id=uuid.uuid4(), lines=[RefundLine(1, quantity)], method=method, cashier="c",
                        reason="", session_id=None, till_id=None, max_amount=None, tenders=TENDERS)


@pytest.mark.parametrize("code, why", [("cash", "ReservedTender"), ("points", "ReservedTender"),
                                       ("Voucher!", None), ("v", None), ("9lives", None)])
def test_a_code_is_a_short_lower_case_word_not_a_built_in_one(code, why):
    with pytest.raises(DomainError) as err:
        clean_code(code)
    assert err.value.field == "code" and (why is None or err.value.code == why)


def test_a_tender_is_defined_once_changed_by_what_differs_and_retired_then_reinstated():
    voucher = tender("voucher", "  Gift   voucher ")
    assert voucher.rule() == TenderRule("voucher", "Gift voucher", gives_change=False, needs_reference=False)
    with pytest.raises(Conflict):
        voucher.define("voucher", "Again", gives_change=False, needs_reference=False)
    voucher.collect_pending()
    voucher.change(name="Gift voucher")
    assert voucher.collect_pending() == []  # nothing differs: nothing recorded
    voucher.change(needs_reference=True, active=False)
    assert [type(e).__name__ for e in voucher.collect_pending()] == ["TenderChanged", "TenderRetired"]
    assert voucher.rule().needs_reference and not voucher.rule().active
    voucher.change(active=True)
    assert voucher.rule().active
    with pytest.raises(DomainError):
        voucher.change(name="")


def test_a_voucher_pays_with_its_reference_and_gives_no_change():
    order = order_with([price_line(1, entry("30.00", "20"), 1, D("0"))])
    with pytest.raises(DomainError) as err:
        pay(order, ("voucher", D("25.00")))
    assert (err.value.field, err.value.code) == ("payments.0.reference", "ReferenceRequired")
    with pytest.raises(DomainError) as err:
        pay(order, ("voucher", D("35.00"), "GV-1001"))
    assert (err.value.field, err.value.code) == ("payments.0.amount", "TenderGivesNoChange")
    assert order.paid == 0  # a refused request records nothing
    (voucher, cash) = pay(order, ("voucher", D("25.00"), " GV-1001 "), ("cash", D("10.00")))
    assert (voucher.method, voucher.amount, voucher.reference) == ("voucher", D("25.00"), "GV-1001")
    assert (cash.amount, cash.change, order.status) == (D("5.00"), D("5.00"), "completed")


def test_a_tender_that_gives_change_may_exceed_what_is_owed():
    order = order_with([price_line(1, entry("8.40", "10"), 1, D("0"))])
    (meal,) = pay(order, ("meal", D("10.00")))
    assert (meal.amount, meal.change) == (D("8.40"), D("1.60"))


def test_an_unknown_or_retired_tender_is_refused_by_name():
    retired = tender("cheque", "Cheque")
    retired.change(active=False)
    order = order_with([price_line(1, entry("5.00", "0"), 1, D("0"))])
    for method, tenders in (("bitcoin", TENDERS), ("cheque", {**TENDERS, "cheque": retired.rule()})):
        with pytest.raises(DomainError) as err:
            pay(order, (method, D("5.00")), tenders=tenders)
        assert (err.value.field, err.value.code) == ("payments.0.method", "UnknownTender")
        assert "cheque" not in str(err.value) or method == "cheque"


def test_a_voucher_sale_is_refunded_by_voucher_up_to_what_it_paid_and_cash_beyond():
    order = order_with([price_line(1, entry("10.00", "0"), 3, D("0"))])
    pay(order, ("voucher", D("15.00"), "GV-7"), ("card", D("15.00")))
    with pytest.raises(DomainError) as err:
        refund(order, "original")
    assert err.value.code == "AmbiguousMethod" and "card, voucher" in str(err.value)
    assert refund(order, "voucher").total == D("10.00")
    with pytest.raises(DomainError) as err:  # 5.00 of voucher money is left
        refund(order, "voucher")
    assert err.value.code == "RefundExceedsTender"
    assert refund(order, "cash").method == "cash"


def test_the_z_report_counts_each_tender_used_and_each_counted():
    session = TillSession(str(uuid.uuid4()))
    session.start(till_id=uuid.uuid4(), store_code="S1", cashier="c", opening_float="50.00", at=NOW)
    session.drawer.take("voucher", D("25.00"))
    session.drawer.take("cash", D("5.00"))
    session.drawer.sell(D("30.00"), D("0.00"), D("5.00"))
    session.drawer.refund("voucher", D("10.00"), D("1.67"))
    with pytest.raises(DomainError) as err:
        session.close({"cash": D("55.00"), "bitcoin": D("1.00")}, "c", NOW, tenders=["cash", "card", "voucher"])
    assert err.value.field == "counted.bitcoin"
    report = session.close({"cash": D("55.00"), "voucher": D("14.00")}, "c", NOW,
                           tenders=["cash", "card", "voucher", "meal"])
    assert [(m.method, m.expected, m.counted, m.difference) for m in report.methods] == [
        ("cash", D("55.00"), D("55.00"), D("0.00")), ("card", D("0.00"), D("0.00"), D("0.00")),
        ("voucher", D("15.00"), D("14.00"), D("-1.00"))]


# --- loyalty points as a tender ----------------------------------------------------------------
def customer_order(price="10.00"):
    order = Order(str(uuid.uuid4()))
    lines = [price_line(1, entry(price, "0"), 1, D("0"))]
    order.place(number="S1-01-000001", kind="till", store_code="S1", till_id=uuid.uuid4(), session_id=uuid.uuid4(),
                cashier="c", customer_id=uuid.uuid4(), lines=lines, totals=totals(lines), placed_at=NOW)
    return order


def test_points_pay_only_for_a_customers_sale_within_what_they_have_in_whole_points():
    purse = Points(available=500, value=D("0.01"))  # 5.00 to spend
    anonymous = order_with([price_line(1, entry("10.00", "0"), 1, D("0"))])
    with pytest.raises(DomainError) as err:
        pay(anonymous, ("points", D("1.00")))
    assert err.value.code == "PointsNeedCustomer"
    order = customer_order()
    for amount, code in ((D("5.01"), "NotEnoughPoints"), (D("10.00"), "NotEnoughPoints")):
        with pytest.raises(DomainError) as err:
            order.pay([Pay("points", amount)], payment_ids=[uuid.uuid4()], session_id=None, at=NOW, points=purse)
        assert (err.value.code, err.value.field) == (code, "payments.0.amount")
    with pytest.raises(DomainError) as err:  # two points payments share one purse
        order.pay([Pay("points", D("3.00")), Pay("points", D("3.00"))], payment_ids=[uuid.uuid4(), uuid.uuid4()],
                  session_id=None, at=NOW, points=purse)
    assert err.value.field == "payments.1.amount"
    order = customer_order()  # the handler drops an aggregate whose request was refused; so do we
    with pytest.raises(DomainError) as err:  # at 0.05 a point, 1.03 is not a whole number of points
        order.pay([Pay("points", D("1.03"))], payment_ids=[uuid.uuid4()], session_id=None, at=NOW,
                  points=Points(available=500, value=D("0.05")))
    assert err.value.code == "PointsNotWhole" and order.paid == 0
    points, cash = order.pay([Pay("points", D("5.00")), Pay("cash", D("5.00"))], payment_ids=[uuid.uuid4(), uuid.uuid4()],
                             session_id=None, at=NOW, points=purse)
    assert (points.points, points.amount, points.customer_id) == (500, D("5.00"), order.customer_id)
    assert order.status == "completed" and order.points_paid == 500


def test_a_refund_by_points_gives_the_points_back_and_a_void_gives_back_all_spent():
    order = customer_order("20.00")
    order.pay([Pay("points", D("4.00")), Pay("card", D("16.00"))], payment_ids=[uuid.uuid4(), uuid.uuid4()],
              session_id=None, at=NOW, points=Points(1000, D("0.01")))
    with pytest.raises(DomainError) as err:  # 20.00 back by points: only 4.00 was paid by them
        order.refund(refund_id=uuid.uuid4(), lines=[RefundLine(1, 1)], method="points", cashier="c", reason="",
                     session_id=None, till_id=None, max_amount=None, point_value=D("0.01"))
    assert err.value.code == "RefundExceedsTender"
    unpaid = customer_order("9.00")
    unpaid.pay([Pay("points", D("2.50"))], payment_ids=[uuid.uuid4()], session_id=None, at=NOW,
               points=Points(1000, D("0.01")))
    voided = unpaid.void(cashier="c", reason="customer left", at=NOW)
    assert (voided.points, voided.customer_id) == (250, unpaid.customer_id)
