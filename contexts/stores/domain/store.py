"""The store aggregate: one shop of the chain, its details and whether it is open for business.

A store's stream id is `store-<code>`; the code is the store's identity everywhere (tills, order
numbers, reports), so it never changes. Registering a code that exists is a 409; an update to the
same details records nothing, so repeating an update is harmless; closing a closed store (or
reopening an open one) is a 409, so a repeated close is seen, not silently doubled.
"""

from __future__ import annotations

from kernel.aggregate import Aggregate
from kernel.errors import Conflict

from . import values
from .events import STORES, StoreAddress, StoreClosed, StoreRegistered, StoreReopened, StoreUpdated

OPEN, CLOSED = "open", "closed"
STORE_STATUSES = ((OPEN, "open"), (CLOSED, "closed"))
UNCHANGED = ...  # "leave as is" in an update
DETAIL_FIELDS = ("name", "address", "tax_id", "time_zone", "receipt_header", "receipt_footer")


def stream_id_of(code: str) -> str:
    return f"store-{code}"


class Store(Aggregate):
    context = STORES
    stream_type = "Store"

    def __init__(self, stream_id):
        super().__init__(stream_id)
        self.code = ""
        self.name = ""
        self.address: StoreAddress | None = None
        self.tax_id = ""
        self.time_zone = ""
        self.receipt_header = ""
        self.receipt_footer = ""
        self.status = OPEN

    def details(self) -> dict:
        return {name: getattr(self, name) for name in DETAIL_FIELDS}

    def state(self) -> dict:
        """What the command side knows, as writes answer it."""
        address = self.address
        return {"code": self.code, "version": self.version, **self.details(), "status": self.status,
                "address": None if address is None else
                {name: getattr(address, name) for name in values.ADDRESS_FIELDS}}

    # -- commands ------------------------------------------------------------------------------
    def register(self, *, code, name, address, tax_id, time_zone, receipt_header="", receipt_footer="") -> None:
        code = values.clean_code(code)
        if self.exists:
            raise Conflict(f"Store {code} is already registered.", field="code", code="StoreExists")
        details = self._clean(name, address, tax_id, time_zone, receipt_header, receipt_footer)
        self._record(StoreRegistered(code=code, **details))

    def update(self, **changes) -> bool:
        """Change any of the details (`UNCHANGED` keeps one). Returns whether anything changed."""
        unknown = set(changes) - set(DETAIL_FIELDS)
        if unknown:
            raise TypeError(f"Unknown store details {sorted(unknown)}")
        current = self.details()
        merged = self._clean(*(current[name] if changes.get(name, UNCHANGED) is UNCHANGED else changes[name]
                               for name in DETAIL_FIELDS))
        if merged == current:
            return False
        self._record(StoreUpdated(code=self.code, **merged))
        return True

    def close(self, reason=None) -> None:
        if self.status == CLOSED:
            raise Conflict(f"Store {self.code} is already closed.", code="StoreClosed")
        self._record(StoreClosed(code=self.code, reason=values.clean_reason(reason)))

    def reopen(self) -> None:
        if self.status == OPEN:
            raise Conflict(f"Store {self.code} is already open.", code="StoreOpen")
        self._record(StoreReopened(code=self.code))

    # -- rules ---------------------------------------------------------------------------------
    @staticmethod
    def _clean(name, address, tax_id, time_zone, receipt_header, receipt_footer) -> dict:
        return {"name": values.clean_name(name), "address": values.clean_address(address),
                "tax_id": values.clean_tax_id(tax_id), "time_zone": values.clean_time_zone(time_zone),
                "receipt_header": values.clean_receipt_text(receipt_header, "receipt_header"),
                "receipt_footer": values.clean_receipt_text(receipt_footer, "receipt_footer")}

    # -- state changes (the only place state changes) ------------------------------------------
    def _take(self, e) -> None:
        for name in DETAIL_FIELDS:
            setattr(self, name, getattr(e, name))

    def when_StoreRegistered(self, e: StoreRegistered):
        self.code = e.code
        self._take(e)

    def when_StoreUpdated(self, e: StoreUpdated):
        self._take(e)

    def when_StoreClosed(self, e: StoreClosed):
        self.status = CLOSED

    def when_StoreReopened(self, e: StoreReopened):
        self.status = OPEN
