"""Demo store for `make run`: S1 "Main Street" in Berlin, registered through the command.
Idempotent: a store whose stream exists is not registered again (the event store, not the read
model, which may trail in full mode)."""

from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from infrastructure.eventstore.store import EventStore

from . import commands as c
from .domain.events import STORES
from .domain.store import stream_id_of

DEMO_STORES = (
    {"code": "S1", "name": "Main Street", "tax_id": "DE123456789", "time_zone": "Europe/Berlin",
     "address": {"line1": "Hauptstraße 1", "line2": "", "city": "Berlin", "postal_code": "10115", "country": "DE"},
     "receipt_header": "Welcome to POS Demo Shop", "receipt_footer": "Thank you for shopping with us!"},
)


def load(stdout) -> None:
    created = 0
    for details in DEMO_STORES:
        if EventStore(STORES).current_version(stream_id_of(details["code"])):
            continue
        execute(c.RegisterStore(**details), Metadata.new(user="demo"))
        created += 1
    stdout.write(f"Stores demo: {len(DEMO_STORES)} store ({created} new): S1 Main Street, Europe/Berlin.")
