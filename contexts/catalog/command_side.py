"""Lookup tables the command side needs for rules that span aggregates, written by the command
handlers in the same transaction as the events (never by projections, never read by the API):

- a SKU, a barcode and a live category name are unique;
- a category with active products cannot be deleted;
- a product's stock per store, summed into the answers of product commands (`StockLevel`);
- the store a till sale took its stock from, where its refund puts it back (`SaleStore`: a
  refund event names the order, not the store).
"""

from django.db import models
from django.db.models.functions import Lower


class ProductKey(models.Model):
    product_id = models.UUIDField(primary_key=True)
    sku = models.CharField(max_length=40, unique=True)
    barcode = models.CharField(max_length=13, unique=True, null=True)
    category_id = models.UUIDField(null=True, db_index=True)
    active = models.BooleanField(default=True)

    class Meta:
        db_table = "catalog_cmd_product_key"


class CategoryKey(models.Model):
    category_id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=100)
    deleted = models.BooleanField(default=False)

    class Meta:
        db_table = "catalog_cmd_category_key"
        constraints = [
            models.UniqueConstraint(Lower("name"), condition=models.Q(deleted=False),
                                    name="catalog_category_live_name_uniq"),
        ]


class StockLevel(models.Model):
    """The command side's own figure of a product's stock in a store, written with every stock
    stream's events (the product's answers give the sums over the stores)."""

    id = models.BigAutoField(primary_key=True)
    product_id = models.UUIDField()
    store_code = models.CharField(max_length=8)
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)

    class Meta:
        db_table = "catalog_cmd_stock_level"
        constraints = [models.UniqueConstraint(fields=["product_id", "store_code"],
                                               name="catalog_stock_level_uniq")]


class SaleStore(models.Model):
    """Which store a till sale took its stock from, and its receipt number (for its returns)."""

    order_id = models.UUIDField(primary_key=True)
    store_code = models.CharField(max_length=8)
    number = models.CharField(max_length=40, default="", blank=True)

    class Meta:
        db_table = "catalog_cmd_sale_store"
