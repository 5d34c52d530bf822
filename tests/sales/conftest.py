"""The shop the sales API tests work in: three products, a till, a cashier logged in at it."""

import pytest

from tests.helpers.auth import at_till
from tests.helpers.delivery import embedded_delivery  # noqa: F401
from tests.sales.support import make_product, make_till


@pytest.fixture
def shop(embedded_delivery, api_client, cashier_user, manager_user):
    coffee = make_product("COF", "4.99", tax="10", stock=20)
    soap = make_product("SOAP", "2.15", tax="20", stock=10)
    net = make_product("NET", "10.00", tax="20", stock=5, includes_tax=False)
    till = make_till()
    at_till(api_client, cashier_user, till)  # the cashier's token is bound to this till
    return {"coffee": coffee, "soap": soap, "net": net, "till": till, "client": api_client}
