"""Idempotency keys are one user's: another user who takes the same key first neither blocks a
sale (it was a 422 "key reused") nor is handed its answer. Stored answers expire after
POS_IDEMPOTENCY_DAYS."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from infrastructure.eventstore.models import StoredEvent
from infrastructure.idempotency.models import IdempotencyRecord
from tests.helpers.auth import at_till
from tests.helpers.delivery import embedded_delivery  # noqa: F401
from tests.sales.support import make_product, make_till, sale_body

pytestmark = pytest.mark.integration


def sell(client, body, key):
    return client.post("/api/v1/sales/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_key_taken_by_another_user_does_not_block_a_sale(embedded_delivery, make_client, cashier_user,
                                                           manager_user):
    coffee, till = make_product(f"COF{uuid.uuid4().hex[:6]}", "4.99", stock=20), make_till()
    cashier, manager = at_till(make_client(), cashier_user, till), make_client(manager_user)
    opened = cashier.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "0.00"}, format="json")
    assert opened.status_code == 201, opened.content
    key = "till-1-order-0001"  # a key a till would use: guessable

    theirs = sell(manager, sale_body(till, [(coffee, 2, None)], [("cash", "10.00")]), key)
    mine = sell(cashier, sale_body(till, [(coffee, 1, None)], [("cash", "5.00")]), key)

    assert theirs.status_code == mine.status_code == 201, mine.content
    assert mine.json()["id"] != theirs.json()["id"] and "Idempotent-Replayed" not in mine
    assert StoredEvent.objects.filter(event_type="OrderPlaced").count() == 2
    again = sell(cashier, sale_body(till, [(coffee, 1, None)], [("cash", "5.00")]), key)
    assert again.json() == mine.json() and again["Idempotent-Replayed"] == "true"  # still one user's replay


def test_stored_answers_older_than_the_documented_time_are_purged(db, settings):
    from infrastructure.idempotency.tasks import purge_expired

    settings.POS_IDEMPOTENCY_DAYS = 7
    old, recent = (IdempotencyRecord.objects.create(context="sales", user="u", key=f"key-{n}-0000", fingerprint="f",
                                                    status_code=201, response={}) for n in range(2))
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=7, minutes=1))

    assert purge_expired() == 1
    assert list(IdempotencyRecord.objects.filter(pk__in=[old.pk, recent.pk]).values_list("pk", flat=True)) == [recent.pk]
