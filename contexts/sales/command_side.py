"""Command-side lookup tables of sales, written by the handlers in the same transaction as the
events: which session is open on a till (one at a time), the receipt counters (per till for till
sales, per store for delivery orders and for numbering a store's tills), the till sales not yet
ended (a session cannot close over them), managers' single-use approvals, and the loyalty points
each customer spent at the tills, and each till session's drawer (its running totals)."""

from django.db import models


class OpenSession(models.Model):
    till_id = models.UUIDField(primary_key=True)
    session_id = models.UUIDField(unique=True)
    cashier = models.CharField(max_length=150)

    class Meta:
        db_table = "sales_cmd_open_session"


class OrderNumberCounter(models.Model):
    """Delivery orders' numbers per store (S1-000123); till sales number per till instead."""

    store_code = models.CharField(max_length=8, primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "sales_cmd_order_counter"


class StoreTillCounter(models.Model):
    """The last till number given in a store: a till gets the next one when it is registered."""

    store_code = models.CharField(max_length=8, primary_key=True)
    last_till = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "sales_cmd_store_till_counter"


class TillReceiptCounter(models.Model):
    """A till's receipt numbers (S1-03-000123): gapless per till, and a sale locks only its own
    till's row, so the tills of one store never wait on each other."""

    till_id = models.UUIDField(primary_key=True)
    store_code = models.CharField(max_length=8)
    till_number = models.PositiveIntegerField(default=0)  # 0: a till registered before numbering at registration
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "sales_cmd_till_receipt_counter"


class TillZCounter(models.Model):
    """A till's Z-report numbers: 1, 2, ... per till, taken by each close."""

    till_id = models.UUIDField(primary_key=True)
    last_z = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "sales_cmd_till_z_counter"


class UnfinishedSale(models.Model):
    """A till sale placed but neither completed nor voided. Every sale ends: the session's close
    lists these (409) or voids them when asked to."""

    order_id = models.UUIDField(primary_key=True)
    session_id = models.UUIDField(db_index=True)
    number = models.CharField(max_length=40)

    class Meta:
        db_table = "sales_cmd_unfinished_sale"


class ManagerApproval(models.Model):
    """A manager's approval of one action above a cashier's limit: short-lived and used once. Only
    the token's SHA-256 is kept, so the table cannot be read back into approvals."""

    token_hash = models.CharField(max_length=64, primary_key=True)
    manager = models.CharField(max_length=150)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "sales_cmd_manager_approval"


class LoyaltySpending(models.Model):
    """The loyalty points a customer spent at the tills, less those given back by refunds and
    voids. What a customer may spend is what the customers context credited them (projected into
    `CustomerDirectoryEntry.points_earned`) less this; the row is locked by each sale that spends,
    so two tills cannot spend the same points."""

    customer_id = models.UUIDField(primary_key=True)
    points_spent = models.IntegerField(default=0)

    class Meta:
        db_table = "sales_cmd_loyalty_spending"


def _money(**kwargs):
    return models.DecimalField(max_digits=14, decimal_places=2, default=0, **kwargs)


class TillDrawer(models.Model):
    """A till session's drawer (contexts/sales/domain/drawer.py): the running totals its Z-report
    is made of, locked and written by each sale, payment, refund and void of the session in the
    transaction of the order's events (the session's stream is not written by them). Made when the
    session opens; for a session opened before this table, made from its stream by the first
    command that needs it (`drawers.py`). Kept after the close (`open` false)."""

    session_id = models.UUIDField(primary_key=True)
    till_id = models.UUIDField(db_index=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    open = models.BooleanField(default=True)
    opening_float = _money()
    cash_in = _money()
    cash_out = _money()
    sales_count = models.IntegerField(default=0)
    refund_count = models.IntegerField(default=0)
    void_count = models.IntegerField(default=0)
    gross = _money()
    discounts = _money()
    tax = _money()
    refunds = _money()
    refund_tax = _money()
    voids = _money()
    unapproved_refunds = _money()
    taken = models.JSONField(default=dict)  # {tender: "12.30"}
    given_back = models.JSONField(default=dict)
    taxes = models.JSONField(default=dict)  # {rate: ["taxable", "tax"]}, sales less refunds

    class Meta:
        db_table = "sales_cmd_till_drawer"
