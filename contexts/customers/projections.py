"""The customer directory, projected from the customers context's own events (consumer
`customers`). Each row remembers the stream version it reflects, so an event at or below it
(a replay over existing rows) changes nothing."""

from infrastructure.eventstore.envelope import Envelope
from infrastructure.projections.projection import Projection

from .domain.customer import ACTIVE, REMOVED
from .domain.events import CUSTOMERS
from .domain.values import phone_digits
from .models import CustomerView


def _details(data: dict) -> dict:
    address = data.get("address") or {}
    return {
        "name": data["name"], "phone": data.get("phone"), "phone_digits": phone_digits(data.get("phone")),
        "email": data.get("email"),
        "address_line1": address.get("line1", ""), "address_line2": address.get("line2", ""),
        "address_city": address.get("city", ""), "address_postal_code": address.get("postal_code", ""),
        "address_country": address.get("country", ""),
    }


class CustomerDirectory(Projection):
    name = "customer_directory"
    consumer = CUSTOMERS
    tables = (CustomerView,)
    subscriptions = {CUSTOMERS: {"CustomerRegistered", "CustomerUpdated", "CustomerRemoved",
                                 "LoyaltyPointsEarned", "LoyaltyPointsReversed"}}

    @property
    def rows(self):
        return CustomerView.objects.using(self.db)

    def _current(self, e: Envelope) -> CustomerView | None:
        """The row to change, or None when it already reflects this event."""
        row = self.rows.select_for_update().filter(id=e.data["customer_id"]).first()
        if row is None:
            raise LookupError(f"customers.{e.event_type} {e.event_id} for customer {e.stream_id}, "
                              "who has no row: the registration was not applied first")
        return row if e.version > row.version else None

    def _save(self, row: CustomerView, e: Envelope, **changes) -> None:
        for key, value in changes.items():
            setattr(row, key, value)
        row.version, row.updated_at = e.version, e.recorded_at
        row.save(using=self.db)

    def on_CustomerRegistered(self, e: Envelope):
        if self.rows.filter(id=e.data["customer_id"]).exists():
            return
        row = CustomerView(id=e.data["customer_id"], status=ACTIVE, points_balance=0, registered_at=e.recorded_at,
                           **_details(e.data))
        self._save(row, e)

    def on_CustomerUpdated(self, e: Envelope):
        if row := self._current(e):
            self._save(row, e, **_details(e.data))

    def on_CustomerRemoved(self, e: Envelope):
        if row := self._current(e):
            self._save(row, e, status=REMOVED)

    def on_LoyaltyPointsEarned(self, e: Envelope):
        if row := self._current(e):
            self._save(row, e, points_balance=row.points_balance + e.data["points"])

    def on_LoyaltyPointsReversed(self, e: Envelope):
        if row := self._current(e):
            self._save(row, e, points_balance=row.points_balance - e.data["points"])
