"""Output serializers of the reports (they also document the API). Money is a string with two
places, as everywhere in this API."""

from rest_framework import serializers

MONEY = {"max_digits": 14, "decimal_places": 2}


def _money(**kwargs):
    return serializers.DecimalField(**MONEY, **kwargs)


class ReportFigures(serializers.Serializer):
    orders = serializers.IntegerField(help_text="Orders completed.")
    items = serializers.IntegerField(help_text="Units sold.")
    gross = _money(help_text="List price x quantity, tax included.")
    discounts = _money()
    tax = _money(help_text="Tax contained in total.")
    total = _money(help_text="What customers paid (gross - discounts).")
    refund_count = serializers.IntegerField()
    refunded_items = serializers.IntegerField()
    refunds = _money(help_text="Money given back, tax included.")
    refund_tax = _money()
    net = _money(help_text="gross - discounts - refunds.")
    average_basket = _money(allow_null=True, help_text="total / orders, half-up to cents; null without orders.")


class ReportDailyRow(ReportFigures):
    day = serializers.DateField(help_text="The store's local business date.")
    store_code = serializers.CharField()
    store_name = serializers.CharField()
    time_zone = serializers.CharField(help_text="The store's IANA time zone, which `day` is in.")


class ReportProductRow(ReportFigures):
    product_id = serializers.UUIDField()
    sku = serializers.CharField()
    name = serializers.CharField()
    category_id = serializers.UUIDField(allow_null=True)
    category_name = serializers.CharField()


class ReportCategoryFigures(serializers.Serializer):
    products = serializers.IntegerField(help_text="Products sold or refunded.")
    items = serializers.IntegerField()
    gross = _money()
    discounts = _money()
    tax = _money()
    total = _money()
    refunded_items = serializers.IntegerField()
    refunds = _money()
    refund_tax = _money()
    net = _money()


class ReportCategoryRow(ReportCategoryFigures):
    category_id = serializers.UUIDField(allow_null=True)
    category_name = serializers.CharField()


class ReportCashierRow(ReportFigures):
    cashier = serializers.CharField()


class ReportHourRow(ReportFigures):
    hour = serializers.IntegerField(min_value=0, max_value=23, help_text="Hour of the day, each store's local hour.")


class ReportPaymentFigures(serializers.Serializer):
    payments = serializers.IntegerField()
    amount = _money(help_text="Money kept (after change) on orders completed in the period.")
    refund_count = serializers.IntegerField()
    refunds = _money()
    net = _money(help_text="amount - refunds.")


class ReportPaymentRow(ReportPaymentFigures):
    method = serializers.CharField()
    share = _money(help_text="This method's share of all amounts, in percent.")


class ReportTaxFigures(serializers.Serializer):
    items = serializers.IntegerField(help_text="Units sold at this rate.")
    total = _money(help_text="What customers paid for lines at this rate, tax included.")
    tax = _money(help_text="Tax contained in total.")
    without_tax = _money(help_text="total - tax.")
    refunded_items = serializers.IntegerField()
    refunds = _money(help_text="Money given back for lines at this rate, tax included.")
    refund_tax = _money(help_text="Tax contained in refunds.")
    tax_due = _money(help_text="tax - refund_tax.")


class ReportTaxRow(ReportTaxFigures):
    rate = _money(help_text="The tax rate in percent, as the sold line carried it.")
    orders = serializers.IntegerField(help_text="Orders with a line at this rate.")
    refund_count = serializers.IntegerField(help_text="Refunds with a line at this rate.")


def _leading(serializer_class, *first):
    """The serializer's fields with `first` in front (rows read left to right: key, then figures)."""
    fields = serializer_class._declared_fields
    ordered = {name: fields[name] for name in first}
    ordered.update({name: field for name, field in fields.items() if name not in first})
    serializer_class._declared_fields = ordered
    return serializer_class


_leading(ReportDailyRow, "day", "store_code", "store_name", "time_zone")
_leading(ReportProductRow, "product_id", "sku", "name", "category_id", "category_name")
_leading(ReportCategoryRow, "category_id", "category_name")
_leading(ReportCashierRow, "cashier")
_leading(ReportHourRow, "hour")
_leading(ReportPaymentRow, "method", "share")
_leading(ReportTaxRow, "rate", "orders", "items")


def period_report(name: str, row, totals):
    """`{"from", "to", "store", "rows": [row], "totals": totals}` (`from` is a keyword, hence type())."""
    return type(name, (serializers.Serializer,), {
        "__module__": __name__,
        "from": serializers.DateField(),
        "to": serializers.DateField(),
        "store": serializers.CharField(allow_null=True),
        "days": serializers.CharField(help_text="How days and hours are grouped across stores."),
        "rows": row(many=True),
        "totals": totals(),
    })


ReportDailySales = period_report("ReportDailySales", ReportDailyRow, ReportFigures)
ReportSalesByProduct = period_report("ReportSalesByProduct", ReportProductRow, ReportFigures)
ReportSalesByCategory = period_report("ReportSalesByCategory", ReportCategoryRow, ReportCategoryFigures)
ReportSalesByCashier = period_report("ReportSalesByCashier", ReportCashierRow, ReportFigures)
ReportSalesByHour = period_report("ReportSalesByHour", ReportHourRow, ReportFigures)
ReportPaymentMix = period_report("ReportPaymentMix", ReportPaymentRow, ReportPaymentFigures)
ReportTaxByRate = period_report("ReportTaxByRate", ReportTaxRow, ReportTaxFigures)


# --- Z-reports ------------------------------------------------------------------------------------
class ReportZMethod(serializers.Serializer):
    method = serializers.CharField()
    expected = _money()
    counted = _money(allow_null=True, help_text="Null while the session is open.")
    difference = _money(allow_null=True, help_text="counted - expected; null while open.")


class ReportZFigures(serializers.Serializer):
    """The shape of the sales context's `ZReport`."""

    sales_count = serializers.IntegerField()
    gross = _money()
    discounts = _money()
    tax = _money()
    refunds = _money()
    refund_count = serializers.IntegerField()
    net = _money()
    opening_float = _money()
    cash_in = _money()
    cash_out = _money()
    methods = ReportZMethod(many=True)
    cash_difference = _money(allow_null=True)
    # Sales voided in the session; Z-reports published before voids existed had none.
    void_count = serializers.IntegerField(default=0)
    voids = _money(default="0.00")
    discount_total = _money(required=False, help_text="`discounts` under the name orders use.")
    tax_total = _money(required=False, help_text="`tax` under the name orders use.")


class ReportTaxRate(serializers.Serializer):
    rate = _money()
    taxable = _money()
    tax = _money()


class ReportSessionPayments(serializers.Serializer):
    method = serializers.CharField()
    taken = _money()
    given_back = _money()


class ReportZReport(serializers.Serializer):
    session_id = serializers.UUIDField()
    till_id = serializers.UUIDField()
    till_name = serializers.CharField()
    store_code = serializers.CharField()
    store_name = serializers.CharField()
    cashier = serializers.CharField(help_text="Who opened the session.")
    closed_by = serializers.CharField()
    status = serializers.ChoiceField(choices=["open", "closed"])
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    z_report = ReportZFigures(help_text="Once closed, the Z-report the sales context computed at the close and "
                                        "published, as published; while open, the float and the cash moved in "
                                        "and out only (the session's sales count from its close).")
    z_number = serializers.IntegerField(allow_null=True, help_text="The till's Z number, as published at closing "
                                                                   "(null while open, 0 before Z numbers).")
    taxes = ReportTaxRate(many=True, help_text="Tax by rate, sales less refunds, as published at closing.")
    payments = ReportSessionPayments(many=True)
    refund_tax = _money()
    reconciled = serializers.BooleanField(allow_null=True, help_text="True once closed (`z_report` is the "
                                          "published Z-report); null while open.")
    published_z_report = ReportZFigures(allow_null=True, help_text="As published at closing (null while open).")


ReportZReports = type("ReportZReports", (serializers.Serializer,), {
    "__module__": __name__,
    "from": serializers.DateField(),
    "to": serializers.DateField(),
    "store": serializers.CharField(allow_null=True),
    "rows": ReportZReport(many=True),
})


# --- stock -------------------------------------------------------------------------------------------
class ReportStockRow(serializers.Serializer):
    product_id = serializers.UUIDField()
    sku = serializers.CharField()
    name = serializers.CharField()
    category_id = serializers.UUIDField(allow_null=True)
    category_name = serializers.CharField()
    status = serializers.CharField()
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()
    low_stock_threshold = serializers.IntegerField()
    unit_price = _money(help_text="The current list price.")
    value = _money(help_text="on_hand x unit_price (the list price: tax included or not, as the product's price is).")
    cost_price = _money(allow_null=True, help_text="The product's cost price (null: not known).")
    cost_value = _money(help_text="At cost: each store's units on hand x that store's moving average cost, or the "
                                  "product's cost price where the store has none; negative stock counts nothing.")
    cost_known = serializers.BooleanField(help_text="Every store with units on hand has a cost for them.")


class ReportStockTotals(serializers.Serializer):
    products = serializers.IntegerField()
    on_hand = serializers.IntegerField()
    value = _money()
    cost_value = _money()


class ReportStockValuation(serializers.Serializer):
    rows = ReportStockRow(many=True)
    totals = ReportStockTotals()


class ReportLowStockRow(ReportStockRow):
    negative = serializers.BooleanField(help_text="On hand is below zero.")
    shortfall = serializers.IntegerField(help_text="Units needed to bring available back to the threshold.")


class ReportLowStockTotals(serializers.Serializer):
    products = serializers.IntegerField()


class ReportLowStock(serializers.Serializer):
    rows = ReportLowStockRow(many=True)
    totals = ReportLowStockTotals()
