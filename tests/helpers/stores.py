"""Stores for tests that register tills or place delivery orders: both name a store registered with
the stores context and known to sales (docs/sales.md, "Tills and delivery orders belong to a
registered store")."""

from contexts.sales.models import StoreDetails
from contexts.stores import commands as sto
from contexts.stores.domain.events import STORES
from contexts.stores.domain.store import stream_id_of
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from infrastructure.consumers.inbox import apply_batch
from infrastructure.eventstore.store import EventStore
from tests.helpers.waiting import wait_until


def register_store(code: str = "S1", name: str = "Main Street", *, time_zone: str = "UTC",
                   timeout: float = 60.0, by_hand: bool = False) -> str:
    """Register store `code` through the stores context's command, unless its stream exists, and
    wait until sales' copy of the store directory has it: at once with in-process delivery
    (`embedded_delivery`), a moment later through Kafka. UTC by default, so local times, business
    days and hours stay those of UTC, as for a store sales has not heard of. `by_hand`: for a test
    whose commits deliver nothing (`django_db` without a transaction), its events are applied to
    sales' consumer here, as the live one would."""
    stream_id = stream_id_of(code)
    if not EventStore(STORES).current_version(stream_id):
        execute(sto.RegisterStore(code=code, name=name, tax_id=f"TAX-{code}", time_zone=time_zone,
                                  address={"line1": "1 Test Street", "city": "Testing", "country": "GB"}),
                Metadata.new(user="test-setup"))
    if by_hand:
        apply_batch("sales", EventStore(STORES).load(stream_id))
    wait_until(lambda: StoreDetails.objects.filter(code=code).exists(), timeout=timeout, interval=0.05,
               message=f"sales' copy of store {code} (delivered in-process or through Kafka)")
    return code


def register_till_over_api(request, token: str, name: str, store_code: str, store_name: str = "Main Street", *,
                           timeout: float = 60.0) -> dict:
    """A till through a running system's API (`request(method, path, token=, json=)` answering an
    `HttpResponse`, such as `Deployment.request`), as a client sets one up: its store registered
    first by the head-office manager whose `token` this is (409 `store-exists`: it is), then the till,
    sent again while sales has not heard of the store yet (422 `unknown-store`, which changes
    nothing; the store reaches sales through Kafka). Answers the till's 201 body."""
    store = request("POST", "/api/v1/stores/", token=token, json={
        "code": store_code, "name": store_name, "tax_id": f"TAX-{store_code}", "time_zone": "UTC",
        "address": {"line1": "1 Test Street", "city": "Testing", "country": "GB"}})
    assert store.status in (201, 409), (store.status, store.text[:2000])

    def registered():
        till = request("POST", "/api/v1/sales/tills/", token=token, json={"name": name, "store_code": store_code})
        if till.status == 422 and till.json()["type"].endswith("/unknown-store/"):
            return None
        assert till.status == 201, (till.status, till.text[:2000])
        return till.json()

    return wait_until(registered, timeout=timeout, interval=0.2,
                      message=f"till {name!r} in store {store_code} (sales hears of the store through Kafka)")
