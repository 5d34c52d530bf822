from kernel.aggregate import Aggregate
from kernel.errors import Conflict

from .events import CATALOG, CategoryCreated, CategoryDeleted, CategoryRenamed
from .values import clean_name


class Category(Aggregate):
    context = CATALOG
    stream_type = "Category"

    def __init__(self, stream_id):
        super().__init__(stream_id)
        self.name = ""
        self.deleted = False

    def create(self, name: str):
        if self.exists:
            raise Conflict("This category already exists.")
        self._record(CategoryCreated(category_id=self.uuid, name=clean_name(name, max_length=100)))

    def rename(self, name: str):
        self._ensure_live()
        name = clean_name(name, max_length=100)
        if name != self.name:
            self._record(CategoryRenamed(category_id=self.uuid, name=name))

    def delete(self, active_products: int):
        self._ensure_live()
        if active_products:
            raise Conflict(f"Category {self.name!r} still has {active_products} active product(s); "
                           "move or discontinue them first.", code="CategoryInUse")
        self._record(CategoryDeleted(category_id=self.uuid))

    def _ensure_live(self):
        if self.deleted:
            raise Conflict(f"Category {self.name!r} was deleted.", code="CategoryDeleted")

    def when_CategoryCreated(self, event):
        self.name = event.name

    def when_CategoryRenamed(self, event):
        self.name = event.name

    def when_CategoryDeleted(self, event):
        self.deleted = True
