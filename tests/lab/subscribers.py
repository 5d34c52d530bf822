"""The lab context's consumers (consumer `lab`, reading its own events, source context `lab`):

- `TallyTotals`: a projection written event by event (`on_<EventType>` methods, the ORM);
- `EventCounts`: a projection with a batched `handle` (counts per type in memory, then one
  upsert per type): the "simple projection" of the rebuild benchmark (bench/rebuild.py);
- `AutoFill`: a policy; when a tally named "auto-..." is opened it executes `AddItem` (a
  command of the lab, handled below), proving a policy runs once per event and never on rebuild;
- the upcaster of `ItemAdded` v1 -> v2 (v1 had no `amount`).

Imported by LabConfig.ready().
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db import connections
from django.db.models import F

from infrastructure.commands.bus import UnitOfWork, execute, handles
from infrastructure.commands.metadata import Metadata
from infrastructure.consumers.registry import Policy, register
from infrastructure.events.upcasting import upcaster
from infrastructure.eventstore.envelope import Envelope
from infrastructure.projections.projection import Projection
from tests.lab.domain import LAB, Tally
from tests.lab.models import EventCount, TallyTotal

LAB_EVENTS = frozenset({"TallyOpened", "ItemAdded", "ItemRemoved"})
AUTO_PREFIX = "auto-"
AUTO_ITEM = "welcome-gift"


@upcaster(LAB, "ItemAdded", from_version=1)
def item_added_v1_to_v2(data: dict) -> dict:
    """v1 had no amount: it was free."""
    return {**data, "amount": "0.00"}


class TallyTotals(Projection):
    name = "TallyTotals"
    consumer = LAB
    subscriptions = {LAB: set(LAB_EVENTS)}
    tables = (TallyTotal,)

    def _rows(self):
        return TallyTotal.objects.using(self.db)

    def _bump(self, tally_id: str, **changes) -> None:
        updated = self._rows().filter(pk=tally_id).update(events=F("events") + 1, **{
            name: F(name) + value for name, value in changes.items()})
        if not updated:  # the first event we see of this tally (TallyOpened comes first in its stream)
            self._rows().create(tally_id=tally_id, events=1, **changes)

    def on_TallyOpened(self, envelope: Envelope) -> None:
        data = envelope.data
        updated = self._rows().filter(pk=data["tally_id"]).update(name=data["name"], events=F("events") + 1)
        if not updated:
            self._rows().create(tally_id=data["tally_id"], name=data["name"], events=1)

    def on_ItemAdded(self, envelope: Envelope) -> None:
        data = envelope.data
        self._bump(data["tally_id"], quantity=int(data["quantity"]), amount=Decimal(data["amount"]))

    def on_ItemRemoved(self, envelope: Envelope) -> None:
        data = envelope.data
        self._bump(data["tally_id"], quantity=-int(data["quantity"]))


class EventCounts(Projection):
    name = "EventCounts"
    consumer = LAB
    subscriptions = {LAB: set(LAB_EVENTS)}
    tables = (EventCount,)

    def handle(self, envelopes: list[Envelope]) -> None:
        counts = Counter(envelope.event_type for envelope in envelopes)
        if not counts:
            return
        connection = connections[self.db]
        table = connection.ops.quote_name(EventCount._meta.db_table)
        # One statement for the batch; the same SQL works on PostgreSQL and SQLite (>= 3.24).
        values = ", ".join(["(%s, %s)"] * len(counts))
        params = [value for item in sorted(counts.items()) for value in item]
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} (event_type, count) VALUES {values} "
                           f"ON CONFLICT (event_type) DO UPDATE SET count = {table}.count + excluded.count", params)


# --- the policy and the command it runs -----------------------------------------------------
@dataclass(frozen=True)
class AddItem:
    tally_id: str
    item: str
    quantity: int
    amount: Decimal


@handles(AddItem, context=LAB)
def add_item(cmd: AddItem, uow: UnitOfWork) -> dict:
    tallies = uow.repository(Tally)
    tally = tallies.get(cmd.tally_id)
    tally.add(cmd.item, cmd.quantity, cmd.amount)
    tallies.save(tally)
    return {"id": tally.id, "version": tally.version}


class AutoFill(Policy):
    """A tally opened with a name starting "auto-" gets one welcome gift (a command, so an event)."""

    name = "AutoFill"
    consumer = LAB
    subscriptions = {LAB: {"TallyOpened"}}

    def on_TallyOpened(self, envelope: Envelope) -> None:
        if envelope.data["name"].startswith(AUTO_PREFIX):
            execute(AddItem(tally_id=envelope.data["tally_id"], item=AUTO_ITEM, quantity=1, amount=Decimal("1.00")),
                    Metadata.from_event(envelope))


register(TallyTotals())
register(EventCounts())
register(AutoFill())
