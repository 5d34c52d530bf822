"""The customer directory, projected from the customers context's own events (consumer
`customers`). Each row remembers the stream version it reflects, so an event at or below it
(a replay over existing rows) changes nothing. Details events are read opened (`e.opened()`):
after the customer was forgotten they open as erased, so a rebuild ends where live use did."""

from infrastructure.eventstore.envelope import Envelope
from infrastructure.projections.projection import Projection

from .domain.customer import ACTIVE, FORGOTTEN, REMOVED
from .domain.events import CUSTOMERS
from .domain.values import phone_digits
from .models import CustomerView
from .sealing import erased


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
    subscriptions = {CUSTOMERS: {"CustomerRegistered", "CustomerUpdated", "CustomerRemoved", "CustomerForgotten",
                                 "LoyaltyPointsEarned", "LoyaltyPointsReversed", "LoyaltyPointsRedeemed",
                                 "LoyaltyPointsRestored"}}

    @property
    def rows(self):
        return CustomerView.objects.using(self.db)

    def on_CustomerRegistered(self, e: Envelope):
        if self.rows.filter(id=e.data["customer_id"]).exists():
            return
        row = CustomerView(id=e.data["customer_id"], status=ACTIVE, points_balance=0, registered_at=e.recorded_at,
                           **_details(e.opened().data))
        self.save_row(row, e)

    def on_CustomerUpdated(self, e: Envelope):
        if row := self.current_row(self.rows, e, id=e.data["customer_id"]):
            self.save_row(row, e, **_details(e.opened().data))

    def on_CustomerRemoved(self, e: Envelope):
        if row := self.current_row(self.rows, e, id=e.data["customer_id"]):
            self.save_row(row, e, status=REMOVED)

    def on_CustomerForgotten(self, e: Envelope):
        if row := self.current_row(self.rows, e, id=e.data["customer_id"]):
            self.save_row(row, e, status=FORGOTTEN, **_details(erased(e.data["customer_id"])))

    def on_LoyaltyPointsEarned(self, e: Envelope):
        if row := self.current_row(self.rows, e, id=e.data["customer_id"]):
            self.save_row(row, e, points_balance=row.points_balance + e.data["points"])

    def on_LoyaltyPointsReversed(self, e: Envelope):
        if row := self.current_row(self.rows, e, id=e.data["customer_id"]):
            self.save_row(row, e, points_balance=row.points_balance - e.data["points"])

    def on_LoyaltyPointsRedeemed(self, e: Envelope):
        self.on_LoyaltyPointsReversed(e)  # points off the balance, as a reversal takes them

    def on_LoyaltyPointsRestored(self, e: Envelope):
        self.on_LoyaltyPointsEarned(e)
