"""A transfer of goods from one store to another: sent (the units leave the sender's stock, see
StoreStock.transfer_out), in transit, then received (what was counted in joins the receiver's
stock; the difference between sent and received is recorded). One stream per transfer,
`transfer-<id>`; received once."""

from uuid import UUID

from kernel.aggregate import Aggregate
from kernel.errors import Conflict, DomainError

from .events import CATALOG, ReceivedLine, TransferLine, TransferReceived, TransferSent


def transfer_stream_id(transfer_id) -> str:
    return f"transfer-{transfer_id}"


class StockTransfer(Aggregate):
    context = CATALOG
    stream_type = "StockTransfer"

    def __init__(self, stream_id):
        super().__init__(stream_id)
        self.status = "new"  # new -> in_transit -> received
        self.from_store = self.to_store = ""
        self.lines: tuple[TransferLine, ...] = ()

    @property
    def transfer_id(self) -> UUID:
        return UUID(self.id.removeprefix("transfer-"))

    def send(self, from_store: str, to_store: str, lines: list[TransferLine], reference: str = ""):
        if self.exists:
            raise Conflict("This transfer was already sent.", code="TransferAlreadySent")
        if from_store == to_store:
            raise DomainError("A transfer goes to another store.", field="to_store")
        if not lines:
            raise DomainError("A transfer has at least one line.", field="lines")
        self._record(TransferSent(transfer_id=self.transfer_id, from_store=from_store, to_store=to_store,
                                  reference=(reference or "").strip()[:100], lines=tuple(lines)))

    def receive(self, received: dict[UUID, int]) -> tuple[ReceivedLine, ...]:
        """`received`: units counted in per product (a product left out: as many as were sent)."""
        if self.status != "in_transit":
            raise Conflict(f"This transfer is {self.status.replace('_', ' ')}: nothing to receive.",
                           code="TransferNotInTransit")
        unknown = set(received) - {line.product_id for line in self.lines}
        if unknown:
            raise DomainError(f"Product {sorted(map(str, unknown))[0]} was not sent on this transfer.",
                              field="lines")
        lines = []
        for line in self.lines:
            counted = received.get(line.product_id, line.quantity)
            if not isinstance(counted, int) or isinstance(counted, bool) or counted < 0:
                raise DomainError("A received quantity is a whole number of 0 or more.", field="lines")
            lines.append(ReceivedLine(product_id=line.product_id, sent=line.quantity, received=counted,
                                      difference=line.quantity - counted))
        self._record(TransferReceived(transfer_id=self.transfer_id, to_store=self.to_store, lines=tuple(lines)))
        return tuple(lines)

    def when_TransferSent(self, e):
        self.status, self.from_store, self.to_store, self.lines = "in_transit", e.from_store, e.to_store, e.lines

    def when_TransferReceived(self, e):
        self.status = "received"
