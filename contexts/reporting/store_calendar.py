"""Each store's calendar: its IANA time zone, from the stores context's `StoreRegistered` and
`StoreUpdated` (`StoreCalendarProjection` -> `StoreEntry`), and the local business day and hour
of an instant in it.

Events carry UTC instants; a sale counts on the day and hour a person in that shop would write
down. A store reporting has not heard of (its registration not arrived, or a store code from
before stores were registered) counts in UTC. Registered first among the reporting projections,
so a store registered in the same batch as its first sales is known to them; a rebuild replays
the inbox in the order it was applied, so it decides exactly as live consumption did. A changed
time zone applies to what is projected after the change (days already counted stay as counted).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from infrastructure.eventstore.envelope import Envelope
from infrastructure.projections.projection import Projection

from .models import StoreEntry

STORES = "stores"
UTC = "UTC"


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(at: dt.datetime, time_zone: str) -> dt.datetime:
    return at.astimezone(zone(time_zone or UTC))


def zones_of(codes, *, using: str = "default") -> dict[str, str]:
    """{store code: time zone} for these stores; a store not known here is in UTC."""
    known = dict(StoreEntry.objects.using(using).filter(code__in=set(codes)).values_list("code", "time_zone"))
    return {code: known.get(code, UTC) for code in codes}


def today_in(time_zone: str, now: dt.datetime) -> dt.date:
    return local(now, time_zone).date()


class StoreCalendarProjection(Projection):
    name = "store_calendar"
    consumer = "reporting"
    tables = (StoreEntry,)
    subscriptions = {STORES: {"StoreRegistered", "StoreUpdated"}}

    def handle(self, envelopes: list[Envelope]) -> None:
        rows = StoreEntry.objects.using(self.db)
        for e in envelopes:
            current = rows.filter(code=e.data["code"]).first()
            if current is not None and e.version <= current.version:
                continue
            StoreEntry(code=e.data["code"], name=e.data["name"], time_zone=e.data["time_zone"],
                       version=e.version).save(using=self.db)
