"""Sales read models, written only by `projections.py` (consumer `sales`).

- `PriceListEntry`, `CustomerDirectoryEntry`: sales' own copies of what the catalog and the
  customers contexts publish (prices to charge, names for receipts). The command side prices
  orders from the price list; it never reads another context's tables.
- `TillView`, `TillSessionView`: tills and their sessions with running figures (the Z-report
  once closed).
- `OrderView` with `OrderLineView`, `PaymentView`, `RefundView`: orders as the back office, the
  API and the receipts show them.

Money is `Decimal` with two places. Ids are the aggregates' UUIDs; rows of different tables are
related by id columns, not foreign keys (a projection may see a child before its parent, and a
rebuild empties each projection's tables on its own).
"""

from django.db import models

# The command side's lookup tables live in their own module but belong to this app's models.
from .command_side import *  # noqa: F401,F403,E402
from .keyring import SalesDataKey  # noqa: F401,E402  (the command side's data keys)

MONEY = {"max_digits": 12, "decimal_places": 2}


def _money(**kwargs):
    return models.DecimalField(**MONEY, **kwargs)


# --- copies of other contexts' data -----------------------------------------------------------
class PriceListEntry(models.Model):
    """One sellable product as the catalog last described it (projected from catalog events)."""

    product_id = models.UUIDField(primary_key=True)
    sku = models.CharField(max_length=40, db_index=True)
    barcode = models.CharField(max_length=13, null=True, blank=True, db_index=True)
    name = models.CharField(max_length=200)
    category_id = models.UUIDField(null=True, blank=True)  # a PriceListCategory's, if the product has one
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)  # a percentage, e.g. 20.00
    price_includes_tax = models.BooleanField(default=True)
    active = models.BooleanField(default=True)  # False once discontinued: not sold
    version = models.PositiveIntegerField()  # the catalog product stream version this row reflects
    updated_at = models.DateTimeField()
    # When this projection last wrote the row (not the event's time: an event may arrive late).
    # Tills ask for the rows changed since a moment (GET /api/v1/sales/price-list/?since=).
    changed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        db_table = "sales_price_list"
        ordering = ["name", "product_id"]
        verbose_name = "price list entry"
        verbose_name_plural = "price list"

    def __str__(self):
        return f"{self.sku} {self.name}"


class PriceListCategory(models.Model):
    """A catalog category's name, for grouping the price list on a till (projected from catalog)."""

    category_id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)  # False once deleted
    version = models.PositiveIntegerField()  # the catalog category stream version this row reflects
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "sales_price_list_category"
        ordering = ["name", "category_id"]
        verbose_name = "price list category"
        verbose_name_plural = "price list categories"

    def __str__(self):
        return self.name


class CustomerDirectoryEntry(models.Model):
    """A customer's name (for receipts) and whether they still exist (projected from customers)."""

    customer_id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)  # False once removed
    # Loyalty points the customers context credited (earned less reversed); sales keeps what was
    # spent at the tills itself (command side: LoyaltySpending).
    points_earned = models.IntegerField(default=0)
    version = models.PositiveIntegerField()  # the customer stream version this row reflects
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "sales_customer_directory"
        ordering = ["name", "customer_id"]
        verbose_name = "customer directory entry"
        verbose_name_plural = "customer directory"

    def __str__(self):
        return self.name


# --- stores -----------------------------------------------------------------------------------
class StoreDetails(models.Model):
    """What sales knows of a store, from the stores context's events: what its receipts print
    (name, address, tax id, header, footer) and its time zone (local times on them)."""

    code = models.CharField(max_length=8, primary_key=True)
    name = models.CharField(max_length=100)
    address_line1 = models.CharField("address line 1", max_length=200)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True, default="")
    address_city = models.CharField("city", max_length=100)
    address_postal_code = models.CharField("postal code", max_length=20, blank=True, default="")
    address_country = models.CharField("country", max_length=2)
    tax_id = models.CharField("tax id", max_length=32)
    time_zone = models.CharField(max_length=64)
    receipt_header = models.TextField(blank=True, default="")
    receipt_footer = models.TextField(blank=True, default="")
    is_open = models.BooleanField(default=True)
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField()  # the store stream's version this row reflects

    class Meta:
        db_table = "sales_store_details"
        ordering = ["code"]
        verbose_name = "store"

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def address_lines(self) -> list[str]:
        city = " ".join(part for part in (self.address_postal_code, self.address_city) if part)
        return [line for line in (self.address_line1, self.address_line2, city, self.address_country) if line]


# --- tills ------------------------------------------------------------------------------------
class TenderView(models.Model):
    """A tender the shop defined (cash and card are built in and not stored)."""

    code = models.CharField(max_length=20, primary_key=True)
    name = models.CharField(max_length=40)
    gives_change = models.BooleanField(default=False)
    needs_reference = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField()  # of the tender's stream
    defined_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "sales_tender_view"
        ordering = ["name"]
        verbose_name = "tender"

    def __str__(self):
        return self.name


class TillView(models.Model):
    till_id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=60)
    store_code = models.CharField(max_length=8, db_index=True)
    store_name = models.CharField(max_length=100)
    open_session_id = models.UUIDField(null=True, blank=True)  # the session open right now, if any
    version = models.PositiveIntegerField()  # of the till stream
    registered_at = models.DateTimeField()

    class Meta:
        db_table = "sales_till_view"
        ordering = ["store_code", "name"]
        verbose_name = "till"

    def __str__(self):
        return f"{self.name} ({self.store_code})"


class TillSessionView(models.Model):
    """A till session: running figures while open; once closed, the figures of its Z-report."""

    OPEN, CLOSED = "open", "closed"
    STATUS_CHOICES = [(OPEN, "open"), (CLOSED, "closed")]

    session_id = models.UUIDField(primary_key=True)
    till_id = models.UUIDField(db_index=True)
    till_name = models.CharField(max_length=60, blank=True, default="")
    store_code = models.CharField(max_length=8)
    cashier = models.CharField(max_length=150, db_index=True)
    status = models.CharField(max_length=6, choices=STATUS_CHOICES, default=OPEN, db_index=True)
    opening_float = _money()
    cash_in = _money(default=0)
    cash_out = _money(default=0)
    sales_count = models.IntegerField(default=0)
    gross = _money(default=0)
    discounts = _money(default=0)
    tax = _money(default=0)
    refunds = _money(default=0)
    refund_count = models.IntegerField(default=0)
    void_count = models.IntegerField(default=0)  # sales voided (never completed)
    voids = _money(default=0)  # what the voided sales came to
    net = _money(default=0)  # gross - discounts - refunds
    # float + cash in - cash out + cash taken - cash given back
    expected_cash = _money(default=0)
    expected_card = _money(default=0)  # card taken - card given back
    counted_cash = _money(null=True, blank=True)
    cash_difference = _money(null=True, blank=True)  # counted - expected (negative: short)
    z_report = models.JSONField(null=True, blank=True)  # TillSessionClosed's ZReport, as published
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField()  # of the session stream

    class Meta:
        db_table = "sales_till_session_view"
        ordering = ["-opened_at"]
        verbose_name = "till session"
        indexes = [models.Index(fields=["till_id", "-opened_at"], name="sales_session_till_idx")]

    def __str__(self):
        return f"{self.till_name or self.till_id} {self.opened_at:%Y-%m-%d %H:%M} ({self.cashier})"


# --- orders -----------------------------------------------------------------------------------
class OrderView(models.Model):
    PLACED, CONFIRMED, CANCELLED, COMPLETED, SHIPPED = "placed", "confirmed", "cancelled", "completed", "shipped"
    VOIDED = "voided"
    STATUS_CHOICES = [(s, s) for s in (PLACED, CONFIRMED, CANCELLED, COMPLETED, SHIPPED, VOIDED)]
    NOT_REFUNDED, PARTLY_REFUNDED, FULLY_REFUNDED = "none", "partial", "full"
    REFUND_STATUS_CHOICES = [(NOT_REFUNDED, "not refunded"), (PARTLY_REFUNDED, "partly refunded"),
                             (FULLY_REFUNDED, "fully refunded")]
    KIND_CHOICES = [("till", "till sale"), ("delivery", "delivery order")]

    order_id = models.UUIDField(primary_key=True)
    number = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=10, choices=KIND_CHOICES)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES)
    refund_status = models.CharField(max_length=8, choices=REFUND_STATUS_CHOICES, default=NOT_REFUNDED)
    store_code = models.CharField(max_length=8)
    till_id = models.UUIDField(null=True, blank=True)
    session_id = models.UUIDField(null=True, blank=True, db_index=True)
    cashier = models.CharField(max_length=150)
    customer_id = models.UUIDField(null=True, blank=True)
    customer_name = models.CharField(max_length=200, blank=True, default="")
    gross = _money()
    discount_total = _money()
    subtotal = _money()
    tax_total = _money()
    total = _money()
    paid = _money(default=0)
    change = _money(default=0)
    refunded_total = _money(default=0)
    taxes = models.JSONField(default=list)  # [{"rate", "taxable", "tax"}] per tax rate, as published
    placed_at = models.DateTimeField()  # the till's time (a till may send orders after being offline)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    cancelled_reasons = models.JSONField(default=list)
    ship_to = models.JSONField(null=True, blank=True)
    version = models.PositiveIntegerField()  # of the order stream
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "sales_order_view"
        ordering = ["-placed_at", "number"]
        verbose_name = "order"
        indexes = [
            models.Index(fields=["-placed_at"], name="sales_order_placed_idx"),
            models.Index(fields=["status", "-placed_at"], name="sales_order_status_idx"),
            models.Index(fields=["till_id", "-placed_at"], name="sales_order_till_idx"),
            models.Index(fields=["cashier", "-placed_at"], name="sales_order_cashier_idx"),
            models.Index(fields=["customer_id", "-placed_at"], name="sales_order_customer_idx"),
            models.Index(fields=["store_code", "-placed_at"], name="sales_order_store_idx"),
        ]

    def __str__(self):
        return self.number


class OrderLineView(models.Model):
    id = models.BigAutoField(primary_key=True)
    order_id = models.UUIDField()
    line_no = models.PositiveIntegerField()
    product_id = models.UUIDField(db_index=True)
    sku = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    quantity = models.IntegerField()
    refunded_quantity = models.IntegerField(default=0)
    refunded_amount = _money(default=0)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    price_includes_tax = models.BooleanField(default=True)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    gross = _money()
    discount = _money()
    total = _money()
    tax = _money()

    class Meta:
        db_table = "sales_order_line_view"
        ordering = ["order_id", "line_no"]
        verbose_name = "order line"
        constraints = [models.UniqueConstraint(fields=["order_id", "line_no"], name="sales_order_line_uniq")]

    def __str__(self):
        return f"{self.line_no}. {self.quantity} x {self.name}"


class PaymentView(models.Model):
    payment_id = models.UUIDField(primary_key=True)
    order_id = models.UUIDField(db_index=True)
    method = models.CharField(max_length=20)
    amount = _money()  # what was kept
    tendered = _money()  # what the customer handed over
    change = _money(default=0)
    reference = models.CharField(max_length=60, blank=True, default="")  # the voucher's or cheque's number
    session_id = models.UUIDField(null=True, blank=True, db_index=True)
    recorded_at = models.DateTimeField()
    # The PaymentRecorded event's version in the order's stream: the payments of one request share
    # their recorded_at, and this keeps them in the order the till sent them.
    stream_version = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "sales_payment_view"
        ordering = ["recorded_at", "stream_version", "payment_id"]
        verbose_name = "payment"

    def __str__(self):
        return f"{self.method} {self.amount}"


class RefundView(models.Model):
    refund_id = models.UUIDField(primary_key=True)
    order_id = models.UUIDField(db_index=True)
    method = models.CharField(max_length=20)
    total = _money()
    tax = _money()
    session_id = models.UUIDField(null=True, blank=True, db_index=True)
    till_id = models.UUIDField(null=True, blank=True)
    cashier = models.CharField(max_length=150)
    reason = models.CharField(max_length=200, blank=True, default="")
    # [{"line_no", "product_id", "sku", "name", "quantity", "amount", "tax"}]
    lines = models.JSONField(default=list)
    recorded_at = models.DateTimeField()

    class Meta:
        db_table = "sales_refund_view"
        ordering = ["recorded_at", "refund_id"]
        verbose_name = "refund"

    def __str__(self):
        return f"refund {self.total} ({self.method})"
