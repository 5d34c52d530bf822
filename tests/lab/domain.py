"""A toy aggregate: a tally whose items are added and removed. Enough to drive the event store,
the relay, the consumers and the projections in tests."""

from dataclasses import dataclass
from decimal import Decimal

from kernel.aggregate import Aggregate
from kernel.errors import DomainError
from kernel.events import DomainEvent

LAB = "lab"


@dataclass(frozen=True)
class TallyOpened(DomainEvent, context=LAB):
    tally_id: str
    name: str


@dataclass(frozen=True)
class ItemAdded(DomainEvent, context=LAB, version=2):
    """v2 added `amount`; v1 events are upcast with amount = 0.00 (see subscribers.py)."""

    tally_id: str
    item: str
    quantity: int
    amount: Decimal


@dataclass(frozen=True)
class ItemRemoved(DomainEvent, context=LAB):
    tally_id: str
    item: str
    quantity: int


class Tally(Aggregate):
    context = LAB
    stream_type = "Tally"

    def __init__(self, stream_id):
        super().__init__(stream_id)
        self.name = ""
        self.items: dict[str, int] = {}

    def open(self, name: str):
        if self.exists:
            raise DomainError("This tally is already open.")
        self._record(TallyOpened(tally_id=self.id, name=name))

    def add(self, item: str, quantity: int, amount: Decimal = Decimal("0.00")):
        if quantity <= 0:
            raise DomainError("Quantity must be positive.", field="quantity")
        self._record(ItemAdded(tally_id=self.id, item=item, quantity=quantity, amount=amount))

    def remove(self, item: str, quantity: int):
        if self.items.get(item, 0) < quantity:
            raise DomainError(f"Only {self.items.get(item, 0)} of {item} to remove.", field="quantity")
        self._record(ItemRemoved(tally_id=self.id, item=item, quantity=quantity))

    def when_TallyOpened(self, event: TallyOpened):
        self.name = event.name

    def when_ItemAdded(self, event: ItemAdded):
        self.items[event.item] = self.items.get(event.item, 0) + event.quantity

    def when_ItemRemoved(self, event: ItemRemoved):
        self.items[event.item] -= event.quantity
