"""A stocktake: a count sheet for one store (or one category in it), then the counted quantities,
each turned into an adjustment of the store's stock with the stocktake's reason. One stream per
stocktake, `stocktake-<id>`; counted once."""

from uuid import UUID

from kernel.aggregate import Aggregate
from kernel.errors import Conflict, DomainError

from . import values
from .events import CATALOG, CountedLine, SheetLine, StocktakeCounted, StocktakeStarted


def stocktake_stream_id(stocktake_id) -> str:
    return f"stocktake-{stocktake_id}"


class Stocktake(Aggregate):
    context = CATALOG
    stream_type = "Stocktake"

    def __init__(self, stream_id):
        super().__init__(stream_id)
        self.status = "new"  # new -> open -> counted
        self.store_code = ""
        self.lines: tuple[SheetLine, ...] = ()

    @property
    def stocktake_id(self) -> UUID:
        return UUID(self.id.removeprefix("stocktake-"))

    def start(self, store_code: str, category_id: UUID | None, lines: list[SheetLine]):
        if self.exists:
            raise Conflict("This stocktake was already started.", code="StocktakeAlreadyStarted")
        if not lines:
            raise DomainError("There is nothing to count: no active product in this store or category.",
                              field="category_id")
        self._record(StocktakeStarted(stocktake_id=self.stocktake_id, store_code=store_code,
                                      category_id=category_id, lines=tuple(lines)))

    def check_count(self, counted: dict[UUID, int], reason: str) -> str:
        """The reason, cleaned; refuses a count of a sheet not open, of a product not on it, or of
        a bad quantity (naming the line), before anything is adjusted."""
        if self.status != "open":
            raise Conflict(f"This stocktake is {self.status}: it cannot be counted.", code="StocktakeNotOpen")
        reason = " ".join((reason or "").split())
        if not reason:
            raise DomainError("Say why the stock is counted (e.g. 'year-end stocktake').", field="reason")
        on_sheet = {line.product_id for line in self.lines}
        if not counted:
            raise DomainError("Count at least one line.", field="lines")
        for n, (product_id, quantity) in enumerate(counted.items()):
            if product_id not in on_sheet:
                raise DomainError(f"Product {product_id} is not on this count sheet.", field=f"lines.{n}.product_id")
            try:
                values.counted_quantity(quantity)
            except DomainError as error:
                raise DomainError(error.message, field=f"lines.{n}.counted_quantity") from None
        return reason[:200]

    def counted(self, reason: str, lines: list[CountedLine]):
        self._record(StocktakeCounted(stocktake_id=self.stocktake_id, store_code=self.store_code, reason=reason,
                                      lines=tuple(lines)))

    def when_StocktakeStarted(self, e):
        self.status, self.store_code, self.lines = "open", e.store_code, e.lines

    def when_StocktakeCounted(self, e):
        self.status = "counted"
