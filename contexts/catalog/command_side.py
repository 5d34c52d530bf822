"""Lookup tables the command side needs for rules that span aggregates, written by the command
handlers in the same transaction as the events (never by projections, never read by the API):

- a SKU, a barcode and a live category name are unique;
- a category with active products cannot be deleted.
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
