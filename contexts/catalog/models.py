"""Catalog read models, written only by `projections.py`. Shaped for the till (lookup by barcode
or SKU), the back office (lists, low stock) and the API."""

from django.db import models

# Command-side lookup tables live in their own module but belong to this app's models.
from .command_side import CategoryKey, ProductKey  # noqa: F401


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


class StockMovementView(models.Model):
    """The stock ledger: one row per movement. on_hand = sum(on_hand_delta) per product."""

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(unique=True)
    product_id = models.UUIDField(db_index=True)
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
