"""Input and output serializers of the sales API. Inputs check shape and types; prices, totals
and every business rule come from the command side."""

from decimal import Decimal

from rest_framework import serializers

from ..models import OrderView

MAX_LINES = 200
MAX_PAYMENTS = 10
MONEY = dict(max_digits=9, decimal_places=2)


class LineIn(serializers.Serializer):
    product_id = serializers.UUIDField()
    quantity = serializers.IntegerField(min_value=1, max_value=10_000)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100,
                                                required=False, default=Decimal("0"))


TENDER_HELP = "cash, card or the code of a tender the shop defined (GET /api/v1/sales/tenders/)."


class PaymentIn(serializers.Serializer):
    method = serializers.CharField(max_length=20, help_text=TENDER_HELP)
    amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"))
    reference = serializers.CharField(max_length=60, required=False, allow_blank=True, default="",
                                      help_text="The voucher's or cheque's number, for a tender that needs one.")


class ShipToIn(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    address = serializers.CharField(max_length=300)
    city = serializers.CharField(max_length=120)
    postal_code = serializers.CharField(max_length=20)
    country = serializers.CharField(max_length=60)


class OrderIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OrderView.KIND_CHOICES, default="till")
    till_id = serializers.UUIDField(required=False, help_text="Required for a till sale.")
    store_code = serializers.CharField(max_length=8, required=False,
                                       help_text="Required for a delivery order: a store registered under "
                                                 "/api/v1/stores/ and open.")
    lines = LineIn(many=True, allow_empty=False, max_length=MAX_LINES)
    payments = PaymentIn(many=True, required=False, default=list, max_length=MAX_PAYMENTS)
    customer_id = serializers.UUIDField(required=False, allow_null=True)
    placed_at = serializers.DateTimeField(required=False, help_text="The till's time, for orders sent after "
                                                                    "being offline.")
    ship_to = ShipToIn(required=False, help_text="Required for a delivery order.")

    def validate(self, attrs):
        if attrs["kind"] == "till":
            if not attrs.get("till_id"):
                raise serializers.ValidationError({"till_id": ["A till sale names its till."]})
            if attrs.get("ship_to"):
                raise serializers.ValidationError({"ship_to": ["A till sale has no shipping address."]})
        else:
            missing = {f: ["A delivery order needs this."] for f in ("store_code", "ship_to") if not attrs.get(f)}
            if missing:
                raise serializers.ValidationError(missing)
            if attrs.get("payments"):
                raise serializers.ValidationError({"payments": ["A delivery order is paid once confirmed."]})
        return attrs


class PayIn(serializers.Serializer):
    payments = PaymentIn(many=True, allow_empty=False, max_length=MAX_PAYMENTS)
    till_id = serializers.UUIDField(required=False, allow_null=True,
                                    help_text="The till where the money was taken (its session records it).")


class RefundLineIn(serializers.Serializer):
    line_no = serializers.IntegerField(min_value=1, max_value=MAX_LINES)
    quantity = serializers.IntegerField(min_value=1, max_value=10_000)


class RefundIn(serializers.Serializer):
    refund_id = serializers.UUIDField(required=False, help_text="Client-chosen id: a retry with it refunds once.")
    lines = RefundLineIn(many=True, allow_empty=False, max_length=MAX_LINES)
    method = serializers.CharField(max_length=20, default="original",
                                   help_text="original (the one tender the sale was paid by), or " + TENDER_HELP)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    till_id = serializers.UUIDField(required=False, allow_null=True)


class CancelIn(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class TillIn(serializers.Serializer):
    id = serializers.UUIDField(required=False)
    name = serializers.CharField(max_length=60)
    store_code = serializers.CharField(max_length=8, help_text="A store registered under /api/v1/stores/ and open.")
    store_name = serializers.CharField(max_length=100, required=False,
                                       help_text="Deprecated and ignored: the till takes its store's registered name.")


class OpenIn(serializers.Serializer):
    opening_float = serializers.DecimalField(**MONEY, min_value=0)


class CashMovementIn(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY, help_text="Positive: paid in; negative: paid out.")
    reason = serializers.CharField(max_length=200)


class CountedIn(serializers.Serializer):
    """cash and card, and any other tender of the shop's by its code (e.g. "voucher": "25.00");
    a tender not counted is taken as expected."""

    cash = serializers.DecimalField(**MONEY, min_value=0)
    card = serializers.DecimalField(**MONEY, required=False,
                                    help_text="The terminal's total; negative when card refunds exceed card sales.")

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        amount = serializers.DecimalField(**MONEY)
        errors = {}
        for key in set(data) - set(self.fields) if isinstance(data, dict) else ():
            try:
                values[str(key)[:20]] = amount.run_validation(data[key])
            except serializers.ValidationError as error:
                errors[key] = error.detail
        if errors:
            raise serializers.ValidationError(errors)
        return values


class CloseIn(serializers.Serializer):
    counted = CountedIn()
    void_unfinished = serializers.BooleanField(
        required=False, default=False,
        help_text="Void the till's sales that are neither completed nor voided (else the close answers 409 "
                  "listing their numbers).")


class VoidIn(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ApprovalIn(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"}, trim_whitespace=False)


class ApprovalOut(serializers.Serializer):
    token = serializers.CharField(help_text="Send it once, as the X-Manager-Approval header.")
    manager = serializers.CharField()
    expires_at = serializers.DateTimeField()


# --- outputs (the command side's view right after a write) ------------------------------------
class OrderLineState(serializers.Serializer):
    line_no = serializers.IntegerField()
    product_id = serializers.UUIDField()
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(**MONEY)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    gross = serializers.DecimalField(**MONEY)
    discount = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    tax = serializers.DecimalField(**MONEY)
    refunded_quantity = serializers.IntegerField()


class RefundLineState(serializers.Serializer):
    line_no = serializers.IntegerField()
    product_id = serializers.UUIDField()
    quantity = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)
    tax = serializers.DecimalField(**MONEY)


class RefundState(serializers.Serializer):
    id = serializers.UUIDField()
    method = serializers.CharField()
    total = serializers.DecimalField(**MONEY)
    tax = serializers.DecimalField(**MONEY)
    cashier = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    approved_by = serializers.CharField(allow_blank=True, help_text="The manager who approved it, if anyone.")
    session_id = serializers.UUIDField(allow_null=True)
    till_id = serializers.UUIDField(allow_null=True)
    lines = RefundLineState(many=True)


class OrderState(serializers.Serializer):
    id = serializers.UUIDField()
    version = serializers.IntegerField()
    number = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    store_code = serializers.CharField()
    till_id = serializers.UUIDField(allow_null=True)
    session_id = serializers.UUIDField(allow_null=True)
    cashier = serializers.CharField()
    customer_id = serializers.UUIDField(allow_null=True)
    lines = OrderLineState(many=True)
    gross = serializers.DecimalField(**MONEY)
    discount_total = serializers.DecimalField(**MONEY)
    subtotal = serializers.DecimalField(**MONEY)
    tax_total = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    paid = serializers.DecimalField(**MONEY)
    change = serializers.DecimalField(**MONEY)
    remaining = serializers.DecimalField(**MONEY)
    refunded = serializers.DecimalField(**MONEY)
    refund_id = serializers.UUIDField(required=False)
    refund = RefundState(required=False, help_text="A refund's answer: what this refund was.")


class TillState(serializers.Serializer):
    id = serializers.UUIDField()
    version = serializers.IntegerField()
    name = serializers.CharField()
    store_code = serializers.CharField()
    store_name = serializers.CharField()


class SessionState(serializers.Serializer):
    id = serializers.UUIDField()
    version = serializers.IntegerField()
    till_id = serializers.UUIDField()
    cashier = serializers.CharField()
    status = serializers.CharField()
    opening_float = serializers.DecimalField(**MONEY)
    expected_cash = serializers.DecimalField(**MONEY)
    expected_card = serializers.DecimalField(**MONEY)
    sales_count = serializers.IntegerField()
    void_count = serializers.IntegerField()
    z_report = serializers.JSONField(required=False)


class TenderIn(serializers.Serializer):
    code = serializers.CharField(max_length=20, help_text="Lower case, e.g. voucher; what payments name.")
    name = serializers.CharField(max_length=40, help_text="What receipts and Z-reports show.")
    gives_change = serializers.BooleanField(default=False, help_text="Like cash: more may be tendered than owed.")
    needs_reference = serializers.BooleanField(default=False, help_text="Each payment names a voucher or cheque number.")


class TenderChangeIn(serializers.Serializer):
    name = serializers.CharField(max_length=40, required=False)
    gives_change = serializers.BooleanField(required=False)
    needs_reference = serializers.BooleanField(required=False)
    active = serializers.BooleanField(required=False, help_text="false retires the tender, true reinstates it.")


class TenderState(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    gives_change = serializers.BooleanField()
    needs_reference = serializers.BooleanField()
    active = serializers.BooleanField()
    built_in = serializers.BooleanField()
    point_value = serializers.DecimalField(max_digits=9, decimal_places=2, required=False,
                                           help_text="points only: what one point pays (POS_LOYALTY_POINT_VALUE).")
