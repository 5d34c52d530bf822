"""The Z-report's number and tax by rate: each close of a till takes the till's next Z number
(1, 2, ...); the tax is split by rate, sales less refunds, and the split adds up to the sales' and
refunds' tax. Domain rules first, then through the API."""

import uuid
from datetime import datetime, timezone
from decimal import Decimal as D

import pytest

from contexts.sales.commands import PaymentRequest as Pay
from contexts.sales.commands import RefundLineRequest as RefundLine
from contexts.sales.domain.pricing import price_line
from contexts.sales.domain.drawer import Drawer
from contexts.sales.domain.till import TillSession

from .support import sale_body, sell
from .test_domain import entry, order_with

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)


@pytest.mark.unit
def test_tax_by_rate_is_sales_less_refunds_and_adds_up_to_the_totals():
    session = TillSession(str(uuid.uuid4()))
    session.start(till_id=uuid.uuid4(), store_code="S1", cashier="c", opening_float="0.00", at=NOW)
    order = order_with([price_line(1, entry("12.00", "20"), 2, D("0")),              # 24.00, tax 4.00
                        price_line(2, entry("5.50", "10", sku="B"), 1, D("0"))])     # 5.50, tax 0.50
    order.pay([Pay("card", order.total)], payment_ids=[uuid.uuid4()], session_id=session.uuid, at=NOW)
    session.drawer.take("card", order.total)
    session.drawer.sell(order.gross, order.discount_total, order.tax_total, order.taxes)
    refund = order.refund(refund_id=uuid.uuid4(), lines=[RefundLine(1, 1)], method="card", cashier="c", reason="",
                          session_id=session.uuid, till_id=None, max_amount=None)
    session.drawer.refund("card", refund.total, refund.tax, "", order.refund_taxes(refund))
    events = session.collect_pending()
    reloaded = TillSession.replay(session.id, events).use(Drawer.from_state(session.drawer.to_state()))
    for closing in (session, reloaded):  # live, and from the drawer's row: the same split
        report = closing.close({"cash": D("0.00")}, "c", NOW, z_number=7)
        assert report.z_number == 7
        assert [(t.rate, t.taxable, t.tax) for t in report.taxes] == [
            (D("10.00"), D("5.00"), D("0.50")), (D("20.00"), D("10.00"), D("2.00"))]
        assert sum(t.tax for t in report.taxes) == report.tax - refund.tax == report.tax - report.refund_tax


@pytest.mark.integration
def test_each_close_takes_the_tills_next_z_number_and_publishes_the_tax_by_rate(shop, manager_user, client):
    client, till = shop["client"], shop["till"]
    numbers = []
    for day in range(2):
        assert client.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "10.00"},
                           format="json").status_code == 201
        sold = sell(client, sale_body(till, [(shop["coffee"], 2, None), (shop["soap"], 1, None)], [("card", "12.13")]))
        assert sold.status_code == 201, sold.json()
        closed = client.post(f"/api/v1/sales/tills/{till}/close/", {"counted": {"cash": "10.00"}}, format="json")
        assert closed.status_code == 200, closed.json()
        z = closed.json()["z_report"]
        numbers.append(z["z_number"])
        # 2 x 4.99 at 10 % (0.91 tax) and 2.15 at 20 % (0.36 tax), prices including tax
        assert z["taxes"] == [{"rate": "10.00", "taxable": "9.07", "tax": "0.91"},
                              {"rate": "20.00", "taxable": "1.79", "tax": "0.36"}]
    assert numbers == [1, 2]
    client.force_authenticate(manager_user)
    reported = client.get(f"/api/v1/reports/z-reports/{closed.json()['id']}/").json()
    assert (reported["z_number"], reported["reconciled"], reported["taxes"]) == (2, True, z["taxes"])

    # the back office's session page shows them
    manager_user.is_staff = True
    manager_user.save(update_fields=["is_staff"])
    client.force_login(manager_user)
    page = client.get(f"/admin/sales/tillsessionview/{closed.json()['id']}/change/").content.decode()
    assert "<td>Z number</td><td>2</td>" in page
    assert "<td>10.00 %</td><td>9.07</td><td>0.91</td>" in page and "<td>20.00 %</td><td>1.79</td><td>0.36</td>" in page
