"""Demo till for `make run`: one till in store S1, registered through the command once sales knows
the store (the stores demo, loaded first, registers S1: in embedded mode sales hears of it at
once; in full mode through Kafka, once the consumers run, so this waits a little for it)."""

import time
import uuid

from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from infrastructure.eventstore.store import EventStore

from . import commands as c
from .models import StoreDetails

DEMO_TILL_ID = uuid.UUID("5a1e5000-0000-4000-8000-000000000001")
DEMO_STORE = "S1"
STORE_WAIT_SECONDS = 60


def _store_known(wait: float) -> bool:
    deadline = time.monotonic() + wait
    while not StoreDetails.objects.filter(code=DEMO_STORE).exists():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)  # polling another process's projection: there is nothing to wait on
    return True


def load(stdout) -> None:
    if EventStore("sales").current_version(str(DEMO_TILL_ID)) == 0:
        if not _store_known(STORE_WAIT_SECONDS):
            stdout.write(f"Sales demo: store {DEMO_STORE} is not known to sales yet (is the sales consumer "
                         "running?); no demo till. Run `manage.py load_demo` again once it is.")
            return
        execute(c.RegisterTill(till_id=DEMO_TILL_ID, name="Till 1", store_code=DEMO_STORE),
                Metadata.new(user="demo-loader"))
    stdout.write(f"Sales demo: till 'Till 1' in store {DEMO_STORE} (id {DEMO_TILL_ID}).")
