"""A delivery order's stock reservation: all lines or none. One stream per order
(`reservation-<order id>`), so a redelivered OrderPlaced cannot reserve twice."""

from uuid import UUID

from kernel.aggregate import Aggregate

from .events import (
    CATALOG, RejectedLine, ReservationFulfilled, ReservationLine, StockReleased, StockReservationRejected,
    StockReserved,
)


def reservation_stream_id(order_id) -> str:
    return f"reservation-{order_id}"


class StockReservation(Aggregate):
    context = CATALOG
    stream_type = "StockReservation"

    def __init__(self, stream_id):
        super().__init__(stream_id)
        self.status = "new"  # new -> reserved | rejected; reserved -> released | fulfilled
        self.lines: tuple[ReservationLine, ...] = ()
        self.store_code = ""  # the store the units are reserved in

    @property
    def order_id(self) -> UUID:
        return UUID(self.id.removeprefix("reservation-"))

    def reserve(self, lines: list[ReservationLine], store_code: str):
        self._record(StockReserved(order_id=self.order_id, lines=tuple(lines), store_code=store_code))

    def reject(self, lines: list[RejectedLine]):
        self._record(StockReservationRejected(order_id=self.order_id, lines=tuple(lines)))

    def release(self):
        self._record(StockReleased(order_id=self.order_id, lines=self.lines))

    def fulfil(self):
        self._record(ReservationFulfilled(order_id=self.order_id))

    def when_StockReserved(self, e):
        self.status, self.lines, self.store_code = "reserved", e.lines, e.store_code

    def when_StockReservationRejected(self, e):
        self.status = "rejected"

    def when_StockReleased(self, e):
        self.status = "released"

    def when_ReservationFulfilled(self, e):
        self.status = "fulfilled"
