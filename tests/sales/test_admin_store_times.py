"""The back office's sales lists show each moment as the row's store reads it: a New York sale at
14:00 UTC is listed at 09:00 EST, a Berlin one at 15:00 CET, whatever the back office's own zone."""


import pytest
from django.utils import timezone

from contexts.sales.models import OrderView, TillSessionView
from tests.helpers.auth import at_till
from tests.sales.support import make_till, sale_body, sell
from tests.stores.support import BERLIN, NEW_YORK, register_store

pytestmark = pytest.mark.integration


def test_orders_and_sessions_are_listed_in_their_stores_time(shop, cashier_user, manager_user, client):
    register_store(BERLIN)
    register_store(NEW_YORK)
    api = shop["client"]
    moments = {}
    for code in ("BER", "NYC"):
        till = make_till(f"Till {code}", store=code)
        at_till(api, cashier_user, till)
        assert api.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "0.00"}, format="json").status_code == 201
        sold = sell(api, sale_body(till, [(shop["soap"], 1, None)], [("card", "2.15")]))
        assert sold.status_code == 201, sold.json()
        # a known moment in winter (no daylight saving): 14:00 UTC
        moment = timezone.now().replace(month=1, day=15, hour=14, minute=0, second=0, microsecond=0)
        OrderView.objects.filter(order_id=sold.json()["id"]).update(placed_at=moment)
        TillSessionView.objects.filter(till_id=till).update(opened_at=moment)
        moments[code] = moment

    manager_user.is_staff = True
    manager_user.save(update_fields=["is_staff"])
    client.force_login(manager_user)
    year = moments["BER"].year
    orders = client.get("/admin/sales/orderview/").content.decode()
    assert f"{year}-01-15 15:00 CET" in orders and f"{year}-01-15 09:00 EST" in orders
    sessions = client.get("/admin/sales/tillsessionview/").content.decode()
    assert f"{year}-01-15 15:00 CET" in sessions and f"{year}-01-15 09:00 EST" in sessions
