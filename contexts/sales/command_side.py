"""Command-side lookup tables of sales, written by the handlers in the same transaction as the
events: which session is open on a till (one at a time), and the order-number counter per store."""

from django.db import models


class OpenSession(models.Model):
    till_id = models.UUIDField(primary_key=True)
    session_id = models.UUIDField(unique=True)
    cashier = models.CharField(max_length=150)

    class Meta:
        db_table = "sales_cmd_open_session"


class OrderNumberCounter(models.Model):
    store_code = models.CharField(max_length=8, primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "sales_cmd_order_counter"
