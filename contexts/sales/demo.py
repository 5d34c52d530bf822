"""Demo till for `make run`: one till in store S1, registered through the command."""

import uuid

from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from infrastructure.eventstore.store import EventStore

from . import commands as c

DEMO_TILL_ID = uuid.UUID("5a1e5000-0000-4000-8000-000000000001")


def load(stdout) -> None:
    if EventStore("sales").current_version(str(DEMO_TILL_ID)) == 0:
        execute(c.RegisterTill(till_id=DEMO_TILL_ID, name="Till 1", store_code="S1", store_name="Main Street"),
                Metadata.new(user="demo-loader"))
    stdout.write(f"Sales demo: till 'Till 1' in store S1 (id {DEMO_TILL_ID}).")
