"""The store directory, projected from the stores context's own events (consumer `stores`).
Each row remembers the stream version it reflects, so a replayed event changes nothing."""

from infrastructure.eventstore.envelope import Envelope
from infrastructure.projections.projection import Projection

from .domain.events import STORES
from .domain.store import CLOSED, OPEN
from .models import StaffView, StoreView


def store_details(data: dict) -> dict:
    """The read row's detail columns from a StoreRegistered/StoreUpdated payload."""
    address = data["address"]
    return {"name": data["name"], "tax_id": data["tax_id"], "time_zone": data["time_zone"],
            "receipt_header": data["receipt_header"], "receipt_footer": data["receipt_footer"],
            **{f"address_{key}": address[key] for key in ("line1", "line2", "city", "postal_code", "country")}}


class StoreDirectory(Projection):
    name = "store_directory"
    consumer = STORES
    tables = (StoreView,)
    subscriptions = {STORES: {"StoreRegistered", "StoreUpdated", "StoreClosed", "StoreReopened"}}

    @property
    def rows(self):
        return StoreView.objects.using(self.db)

    def on_StoreRegistered(self, e: Envelope):
        if self.rows.filter(code=e.data["code"]).exists():
            return
        self.save_row(StoreView(code=e.data["code"], status=OPEN, registered_at=e.recorded_at, **store_details(e.data)), e)

    def on_StoreUpdated(self, e: Envelope):
        if row := self.current_row(self.rows, e, code=e.data["code"]):
            self.save_row(row, e, **store_details(e.data))

    def on_StoreClosed(self, e: Envelope):
        if row := self.current_row(self.rows, e, code=e.data["code"]):
            self.save_row(row, e, status=CLOSED)

    def on_StoreReopened(self, e: Envelope):
        if row := self.current_row(self.rows, e, code=e.data["code"]):
            self.save_row(row, e, status=OPEN)


class StaffDirectory(Projection):
    name = "staff_directory"
    consumer = STORES
    tables = (StaffView,)
    subscriptions = {STORES: {"StaffAccountCreated", "StaffStoresAssigned", "StaffPasswordReset",
                              "StaffAccountDeactivated"}}

    @property
    def rows(self):
        return StaffView.objects.using(self.db)

    def _change(self, e: Envelope, **changes) -> None:
        row = self.rows.select_for_update().filter(username=e.data["username"]).first()
        if row is None:
            raise LookupError(f"stores.{e.event_type} {e.event_id} for {e.data['username']}, who has no row")
        if e.version <= row.version:
            return
        for key, value in changes.items():
            setattr(row, key, value)
        row.version, row.updated_at = e.version, e.recorded_at
        row.save(using=self.db)

    def on_StaffAccountCreated(self, e: Envelope):
        if not self.rows.filter(username=e.data["username"]).exists():
            StaffView(username=e.data["username"], role=e.data["role"], stores=e.data["stores"], active=True,
                      created_at=e.recorded_at, updated_at=e.recorded_at, version=e.version).save(using=self.db)

    def on_StaffStoresAssigned(self, e: Envelope):
        self._change(e, stores=e.data["stores"])

    def on_StaffPasswordReset(self, e: Envelope):
        self._change(e)

    def on_StaffAccountDeactivated(self, e: Envelope):
        self._change(e, active=False)
