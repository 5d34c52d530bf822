"""Reporting read models, written only by `projections.py` (consumer `reporting`).

Three groups, one projection each (each can be rebuilt on its own, none reads another's tables
while projecting; reports join them when they are read):

- The catalog directory: `CategoryEntry`, `ProductEntry` — what the catalog last said about each
  product (sku, name, category, price) and its stock (on hand, reserved: the sums over the stores),
  and `StockEntry`, its stock in each store. Stock valuation and low stock read them; sales by
  category joins them.
- Sales figures: daily roll-ups keyed by business date and store (`DailySales`, `HourlySales`,
  `CashierSales`, `ProductSales`, `PaymentMethodSales`), plus the facts that make them exactly
  once (`CompletedSale`, `Refund`, `Payment`: one row per order / refund / payment id; a figure is
  added only when its fact row is new).
- Till sessions: `TillEntry`, `TillSessionReport`, `TillSessionMethod` — the Z-report of each
  session worked out from the session's own events.

Business dates and hours are the store's local ones (`StoreEntry.time_zone`, from the stores
context's events; UTC for a store it has not heard of): a sale counts on the local date and hour
of its `OrderCompleted.completed_at`, a refund on those of its `OrderRefunded` event's
`recorded_at`. Events and fact rows keep UTC instants. Money is `Decimal` with two places. Ids are the publishers' UUIDs; tables are
related by id columns, not foreign keys (a rebuild empties each projection's tables on its own).
"""

from django.db import models

MONEY = {"max_digits": 12, "decimal_places": 2}


def _money(**kwargs):
    return models.DecimalField(**MONEY, **{"default": 0, **kwargs})


# --- the catalog directory ----------------------------------------------------------------------
class CategoryEntry(models.Model):
    category_id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=100)
    deleted = models.BooleanField(default=False)
    version = models.PositiveIntegerField()  # of the category stream

    class Meta:
        db_table = "reporting_category"
        ordering = ["name"]
        verbose_name = "category"
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name


class ProductEntry(models.Model):
    ACTIVE, DISCONTINUED = "active", "discontinued"

    product_id = models.UUIDField(primary_key=True)
    sku = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    category_id = models.UUIDField(null=True, blank=True, db_index=True)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)  # the current list price
    cost_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    price_includes_tax = models.BooleanField(default=True)
    status = models.CharField(max_length=12, default=ACTIVE)
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    low_stock_threshold = models.IntegerField(default=0)
    version = models.PositiveIntegerField()  # of the product stream
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "reporting_product"
        ordering = ["sku"]
        verbose_name = "product"

    def __str__(self):
        return f"{self.sku} {self.name}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockEntry(models.Model):
    """A product's stock in one store, as the store's stock stream last stated it (version 0: only
    movements recorded on the product's stream before stock per store, in the legacy store)."""

    id = models.BigAutoField(primary_key=True)
    product_id = models.UUIDField(db_index=True)
    store_code = models.CharField(max_length=8, db_index=True)
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    average_cost = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    low_stock_threshold = models.IntegerField(null=True, blank=True)  # the store's own, if set
    version = models.PositiveIntegerField(default=0)  # of the stock stream

    class Meta:
        db_table = "reporting_stock"
        ordering = ["store_code"]
        verbose_name = "stock in a store"
        constraints = [models.UniqueConstraint(fields=["product_id", "store_code"], name="reporting_stock_uniq")]

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


# --- sales figures ------------------------------------------------------------------------------
class Figures(models.Model):
    """What every sales roll-up adds up. Sales side from `OrderCompleted`, refund side from
    `OrderRefunded`; net (gross - discounts - refunds) and the average basket (total / orders)
    are derived when read."""

    orders = models.IntegerField(default=0)
    items = models.IntegerField(default=0)  # units sold
    gross = _money()  # list price x quantity, tax included
    discounts = _money()
    tax = _money()  # tax contained in total
    total = _money()  # what customers paid: gross - discounts
    refund_count = models.IntegerField(default=0)
    refunded_items = models.IntegerField(default=0)
    refunds = _money()  # money given back, tax included
    refund_tax = _money()

    #: the columns a new fact adds to (the others are the key and labels)
    ADDED = ("orders", "items", "gross", "discounts", "tax", "total", "refund_count", "refunded_items", "refunds",
             "refund_tax")
    LABELS: tuple = ()

    class Meta:
        abstract = True


class DailySales(Figures):
    day = models.DateField()
    store_code = models.CharField(max_length=8)

    KEY = ("day", "store_code")

    class Meta:
        db_table = "reporting_daily_sales"
        ordering = ["day", "store_code"]
        constraints = [models.UniqueConstraint(fields=["day", "store_code"], name="reporting_daily_uniq")]
        verbose_name_plural = "daily sales"


class HourlySales(Figures):
    day = models.DateField()
    store_code = models.CharField(max_length=8)
    hour = models.PositiveSmallIntegerField()  # 0-23, the store's local hour

    KEY = ("day", "store_code", "hour")

    class Meta:
        db_table = "reporting_hourly_sales"
        ordering = ["day", "store_code", "hour"]
        constraints = [models.UniqueConstraint(fields=["day", "store_code", "hour"], name="reporting_hourly_uniq")]
        verbose_name_plural = "hourly sales"


class CashierSales(Figures):
    """Sales by the cashier who rang them up; refunds by the cashier who gave them."""

    day = models.DateField()
    store_code = models.CharField(max_length=8)
    cashier = models.CharField(max_length=150)

    KEY = ("day", "store_code", "cashier")

    class Meta:
        db_table = "reporting_cashier_sales"
        ordering = ["day", "store_code", "cashier"]
        constraints = [models.UniqueConstraint(fields=["day", "store_code", "cashier"], name="reporting_cashier_uniq")]
        verbose_name_plural = "cashier sales"


class ProductSales(Figures):
    """Per product: `orders` = orders with the product, `items` = units sold; `sku` and `name` as
    the last sale or refund of the day named them (reports prefer the directory's current ones)."""

    day = models.DateField()
    store_code = models.CharField(max_length=8)
    product_id = models.UUIDField()
    sku = models.CharField(max_length=40, blank=True, default="")
    name = models.CharField(max_length=200, blank=True, default="")

    KEY = ("day", "store_code", "product_id")
    LABELS = ("sku", "name")

    class Meta:
        db_table = "reporting_product_sales"
        ordering = ["day", "store_code", "sku"]
        constraints = [models.UniqueConstraint(fields=["day", "store_code", "product_id"],
                                               name="reporting_product_sales_uniq")]
        indexes = [models.Index(fields=["product_id", "day"], name="reporting_product_sales_idx")]
        verbose_name_plural = "product sales"


class TaxRateSales(Figures):
    """Per tax rate (percent), from the rate each sold line carried: `orders` = orders with a line
    at this rate, `tax` the tax those lines contained; refunds at the rate of the line they refund."""

    day = models.DateField()
    store_code = models.CharField(max_length=8)
    rate = models.DecimalField(max_digits=5, decimal_places=2)

    KEY = ("day", "store_code", "rate")

    class Meta:
        db_table = "reporting_tax_rate_sales"
        ordering = ["day", "store_code", "rate"]
        constraints = [models.UniqueConstraint(fields=["day", "store_code", "rate"], name="reporting_tax_rate_uniq")]
        verbose_name_plural = "tax rate sales"


class PaymentMethodSales(models.Model):
    """The payment mix: money kept per method (after change) of the orders completed that day,
    and money given back per method on the refund's day."""

    day = models.DateField()
    store_code = models.CharField(max_length=8)
    method = models.CharField(max_length=20)
    payments = models.IntegerField(default=0)
    amount = _money()
    refund_count = models.IntegerField(default=0)
    refunds = _money()

    KEY = ("day", "store_code", "method")
    ADDED = ("payments", "amount", "refund_count", "refunds")
    LABELS: tuple = ()

    class Meta:
        db_table = "reporting_payment_method_sales"
        ordering = ["day", "store_code", "method"]
        constraints = [models.UniqueConstraint(fields=["day", "store_code", "method"], name="reporting_payment_uniq")]
        verbose_name_plural = "payment method sales"


class CompletedSale(models.Model):
    """One row per completed order: its figures are in the roll-ups exactly when this row exists."""

    order_id = models.UUIDField(primary_key=True)
    number = models.CharField(max_length=40)
    kind = models.CharField(max_length=10)
    store_code = models.CharField(max_length=8)
    cashier = models.CharField(max_length=150)
    session_id = models.UUIDField(null=True, blank=True)
    total = _money()
    completed_at = models.DateTimeField()
    day = models.DateField(db_index=True)
    # line number -> tax rate, so a refund's tax counts under the rate of the line it refunds
    line_rates = models.JSONField(default=dict)

    class Meta:
        db_table = "reporting_completed_sale"
        ordering = ["completed_at"]


class Refund(models.Model):
    """One row per refund: its figures are in the roll-ups exactly when this row exists."""

    refund_id = models.UUIDField(primary_key=True)
    order_id = models.UUIDField(db_index=True)
    store_code = models.CharField(max_length=8)
    cashier = models.CharField(max_length=150)
    method = models.CharField(max_length=20)
    total = _money()
    tax = _money()
    recorded_at = models.DateTimeField()
    day = models.DateField(db_index=True)

    class Meta:
        db_table = "reporting_refund"
        ordering = ["recorded_at"]


class Payment(models.Model):
    """Payments as recorded; an order's join the payment mix when it completes."""

    payment_id = models.UUIDField(primary_key=True)
    order_id = models.UUIDField(db_index=True)
    method = models.CharField(max_length=20)
    amount = _money()  # kept (after change)

    class Meta:
        db_table = "reporting_payment"
        ordering = ["order_id"]


# --- stores -------------------------------------------------------------------------------------
class StoreEntry(models.Model):
    """What the stores context last said about a store: its name and IANA time zone."""

    code = models.CharField(max_length=8, primary_key=True)
    name = models.CharField(max_length=100)
    time_zone = models.CharField(max_length=64)
    version = models.PositiveIntegerField()

    class Meta:
        db_table = "reporting_store"
        ordering = ["code"]
        verbose_name = "store"

    def __str__(self):
        return f"{self.code} {self.name} ({self.time_zone})"


# --- till sessions ------------------------------------------------------------------------------
class TillEntry(models.Model):
    till_id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=60)
    store_code = models.CharField(max_length=8, db_index=True)
    store_name = models.CharField(max_length=100)

    class Meta:
        db_table = "reporting_till"
        ordering = ["store_code", "name"]
        verbose_name = "till"

    def __str__(self):
        return f"{self.name} ({self.store_code})"


class TillSessionReport(models.Model):
    """A till session: its float and cash movements while open; once closed, the figures of the
    Z-report the sales context computed at the close and published (kept as published)."""

    OPEN, CLOSED = "open", "closed"

    session_id = models.UUIDField(primary_key=True)
    till_id = models.UUIDField(db_index=True)
    store_code = models.CharField(max_length=8)
    cashier = models.CharField(max_length=150)  # who opened it
    status = models.CharField(max_length=6, default=OPEN)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=150, blank=True, default="")
    opening_float = _money()
    cash_in = _money()
    cash_out = _money()
    sales_count = models.IntegerField(default=0)
    gross = _money()
    discounts = _money()
    tax = _money()
    refund_count = models.IntegerField(default=0)
    refunds = _money()
    refund_tax = _money()
    void_count = models.IntegerField(default=0)  # sales voided (never completed)
    voids = _money()  # what the voided sales came to
    published_z_report = models.JSONField(null=True, blank=True)  # TillSessionClosed's, as received
    version = models.PositiveIntegerField()  # of the session stream

    class Meta:
        db_table = "reporting_till_session"
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["opened_at"], name="reporting_session_opened_idx")]
        verbose_name = "till session report"


class TillSessionMethod(models.Model):
    """Money taken and given back per payment method in one session; counted once closed."""

    id = models.BigAutoField(primary_key=True)
    session_id = models.UUIDField()
    method = models.CharField(max_length=20)
    taken = _money()
    given_back = _money()
    counted = models.DecimalField(**MONEY, null=True, blank=True)

    class Meta:
        db_table = "reporting_till_session_method"
        ordering = ["session_id", "method"]
        constraints = [models.UniqueConstraint(fields=["session_id", "method"], name="reporting_session_method_uniq")]
