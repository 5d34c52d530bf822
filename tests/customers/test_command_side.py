"""The email uniqueness claim under concurrent writers, on the real PostgreSQL: however the
transactions interleave, one registration wins and every other one ends in a clean 409 on
`email` (never an IntegrityError, never two active customers with one address)."""

import threading
import uuid

import pytest
from django.db import connections

from contexts.customers import commands as c
from contexts.customers.command_side import EmailClaim
from infrastructure.commands.bus import execute
from kernel.errors import Conflict
from tests.customers.support import meta, unique_email

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("embedded_delivery")]

WRITERS = 8


def run_concurrently(commands) -> list:
    """Execute each command in a thread of its own (own connection), all released at once."""
    barrier = threading.Barrier(len(commands))
    outcomes = [None] * len(commands)

    def work(index, command):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = execute(command, meta(f"writer-{index}"))
        except Exception as exc:  # noqa: BLE001 - every outcome is inspected below
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i, cmd)) for i, cmd in enumerate(commands)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return outcomes


def test_concurrent_registrations_with_one_email_let_exactly_one_win():
    email = unique_email("race")
    commands = [c.RegisterCustomer(name=f"Racer {i}", email=email.upper() if i % 2 else email)
                for i in range(WRITERS)]

    outcomes = run_concurrently(commands)

    winners = [o for o in outcomes if isinstance(o, dict)]
    losers = [o for o in outcomes if not isinstance(o, dict)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, Conflict) and o.field == "email" and o.status == 409 for o in losers), losers
    assert list(EmailClaim.objects.values_list("customer_id", flat=True)) == [uuid.UUID(winners[0]["id"])]


def test_concurrent_changes_to_one_email_let_exactly_one_win():
    email = unique_email("target")
    ids = [execute(c.RegisterCustomer(name=f"Mover {i}", email=unique_email("own")), meta())["id"]
           for i in range(WRITERS)]

    outcomes = run_concurrently([c.UpdateCustomer(customer_id=customer_id, email=email) for customer_id in ids])

    assert sum(isinstance(o, dict) for o in outcomes) == 1, outcomes
    assert all(isinstance(o, Conflict) and o.field == "email" for o in outcomes if not isinstance(o, dict))
    assert EmailClaim.objects.filter(email_key=email.casefold()).count() == 1
    assert EmailClaim.objects.count() == WRITERS  # the losers kept their own addresses
