"""Catalog read models, written only by `projections.py`. Shaped for the till (lookup by barcode
or SKU), the back office (lists, low stock) and the API."""

from django.db import models

# Command-side lookup tables live in their own module but belong to this app's models.
from .command_side import CategoryKey, ProductKey, SaleStore, StockLevel  # noqa: F401


class CategoryView(models.Model):
    id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=100, db_index=True)
    status = models.CharField(max_length=10, default="active")  # active | deleted
    active_product_count = models.IntegerField(default=0)
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "catalog_category_view"
        ordering = ["name"]
        verbose_name = "category"
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name


class ProductView(models.Model):
    id = models.UUIDField(primary_key=True)
    sku = models.CharField(max_length=40, db_index=True)
    barcode = models.CharField(max_length=13, null=True, blank=True, db_index=True)
    name = models.CharField(max_length=200, db_index=True)
    category_id = models.UUIDField(null=True, blank=True, db_index=True)
    category_name = models.CharField(max_length=100, blank=True, default="")
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    cost_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    price_includes_tax = models.BooleanField(default=True)
    status = models.CharField(max_length=12, default="active", db_index=True)  # active | discontinued
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    available = models.IntegerField(default=0)
    low_stock_threshold = models.IntegerField(default=0)
    is_low_stock = models.BooleanField(default=False, db_index=True)
    last_movement_kind = models.CharField(max_length=24, blank=True, default="")
    last_movement_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "catalog_product_view"
        ordering = ["name"]
        verbose_name = "product"

    def __str__(self):
        return f"{self.sku} {self.name}"


class StoreStockView(models.Model):
    """A product's stock in one store. The product's own on_hand / reserved / available are the sums
    of its rows. `low_stock_threshold` is the one that applies: the store's own
    (`store_threshold`) or else the product's."""

    id = models.BigAutoField(primary_key=True)
    product_id = models.UUIDField(db_index=True)
    store_code = models.CharField(max_length=8, db_index=True)
    sku = models.CharField(max_length=40, blank=True, default="")  # the product's, for lists
    name = models.CharField(max_length=200, blank=True, default="")
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    available = models.IntegerField(default=0)
    store_threshold = models.IntegerField(null=True, blank=True)
    low_stock_threshold = models.IntegerField(default=0)
    is_low_stock = models.BooleanField(default=False, db_index=True)
    average_cost = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    last_movement_kind = models.CharField(max_length=24, blank=True, default="")
    last_movement_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "catalog_store_stock_view"
        ordering = ["store_code"]
        verbose_name = "stock in a store"
        verbose_name_plural = "stock per store"
        constraints = [models.UniqueConstraint(fields=["product_id", "store_code"],
                                               name="catalog_store_stock_view_uniq")]


class StoreEntry(models.Model):
    """What the catalog knows of a store, from the stores context's events: which codes stock may
    be kept in, and their names for the back office."""

    code = models.CharField(max_length=8, primary_key=True)
    name = models.CharField(max_length=100)
    time_zone = models.CharField(max_length=64)
    is_open = models.BooleanField(default=True)
    version = models.PositiveIntegerField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "catalog_store"
        ordering = ["code"]
        verbose_name = "store"

    def __str__(self):
        return f"{self.code} {self.name}"


class StockMovementView(models.Model):
    """The stock ledger: one row per movement. on_hand = sum(on_hand_delta) per product (and per
    product and store); `on_hand_after` is the store's."""

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(unique=True)
    product_id = models.UUIDField(db_index=True)
    store_code = models.CharField(max_length=8, db_index=True, default="")
    kind = models.CharField(max_length=24)  # received, adjusted, sold, returned, reserved, released, shipped
    on_hand_delta = models.IntegerField(default=0)
    reserved_delta = models.IntegerField(default=0)
    on_hand_after = models.IntegerField()
    reference = models.CharField(max_length=200, blank=True, default="")
    at = models.DateTimeField()

    class Meta:
        db_table = "catalog_stock_movement_view"
        ordering = ["id"]
        verbose_name = "stock movement"


class TransferView(models.Model):
    """A transfer between stores: `in_transit` once sent, `received` once counted in. `lines`:
    [{product_id, sku, name, sent, received, difference}] (received and difference null while in
    transit; difference = sent - received)."""

    id = models.UUIDField(primary_key=True)
    from_store = models.CharField(max_length=8, db_index=True)
    to_store = models.CharField(max_length=8, db_index=True)
    status = models.CharField(max_length=12, db_index=True)  # in_transit | received
    reference = models.CharField(max_length=100, blank=True, default="")
    lines = models.JSONField(default=list)
    units_sent = models.IntegerField(default=0)
    units_received = models.IntegerField(null=True, blank=True)
    difference = models.IntegerField(null=True, blank=True)
    sent_at = models.DateTimeField()
    received_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField()

    class Meta:
        db_table = "catalog_transfer_view"
        ordering = ["-sent_at"]
        verbose_name = "transfer"

    def __str__(self):
        return f"{self.from_store} → {self.to_store} ({self.status})"


class StocktakeView(models.Model):
    """A stocktake: `open` (the count sheet) or `counted`. `lines`: [{product_id, sku, name,
    expected, counted, delta}] (counted and delta null until counted, and for lines not counted)."""

    id = models.UUIDField(primary_key=True)
    store_code = models.CharField(max_length=8, db_index=True)
    category_id = models.UUIDField(null=True, blank=True)
    status = models.CharField(max_length=8, db_index=True)  # open | counted
    reason = models.CharField(max_length=200, blank=True, default="")
    lines = models.JSONField(default=list)
    started_at = models.DateTimeField()
    counted_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField()

    class Meta:
        db_table = "catalog_stocktake_view"
        ordering = ["-started_at"]
        verbose_name = "stocktake"
