"""Rewriting events that older code recorded with personal data in plaintext into their sealed
form: the one sanctioned exception to the event table's append-only rule.

The event table refuses UPDATE (a trigger, infrastructure migration 0009), except inside a
transaction that sets `pos.reseal_personal_data`, and then only an UPDATE that changes nothing but
`data` and raises `schema_version`: it rewrites an event into the same event in its sealed form.
The inbox rows that copied the event, in every database, are rewritten with it. Kafka keeps the
plaintext messages it already has until the topic's retention drops them, and the audit archive
until `rebuild_projections --context audit` (docs/personal-data.md).

Each context says which of its events are plaintext and how to seal them (contexts/customers/
legacy.py, contexts/sales/legacy.py, registered as a `Resealer` in its AppConfig.ready); this
module does the rewriting, `manage.py reseal_personal_data` runs every resealer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connections

from infrastructure.consumers.models import InboxEvent
from infrastructure.eventstore.models import StoredEvent

_ALLOW = "SELECT set_config('pos.reseal_personal_data', 'on', true)"  # true: for this transaction only


def rewrite(db: str, rows: Iterable[StoredEvent], sealed: Callable[[StoredEvent], dict], version: int) -> int:
    """Rewrite each row's data to `sealed(row)` at schema `version`, with its inbox copies, in the
    caller's transaction. Returns how many events were rewritten."""
    rows = list(rows)
    connection = connections[db]
    if rows and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_ALLOW)
    for row in rows:
        data = sealed(row)
        # QuerySet.update, not save(): StoredEvent.save refuses updates on purpose.
        StoredEvent.objects.using(db).filter(position=row.position).update(data=data, schema_version=version)
        for alias in settings.DATABASES:  # the inbox copies, wherever a consumer keeps them
            InboxEvent.objects.using(alias).filter(event_id=row.event_id).update(data=data, schema_version=version)
    return len(rows)


@dataclass(frozen=True)
class Resealer:
    """A context's legacy plaintext: whose it is, and how to seal all of it (one transaction per subject)."""

    context: str
    subject_name: str  # for the command's output: "customers"
    subjects: Callable[[], list]
    reseal_all: Callable[[], int]


_RESEALERS: dict[str, Resealer] = {}


def register_resealer(resealer: Resealer) -> None:
    _RESEALERS[resealer.context] = resealer


def resealers() -> list[Resealer]:
    """`manage.py reseal_personal_data` runs each of these."""
    return [_RESEALERS[context] for context in sorted(_RESEALERS)]
