"""Small input and output serializers. Inputs check types and shapes; business rules (check
digits, price > 0, uniqueness...) are the aggregate's, reported as problem details too."""

from rest_framework import serializers

from ..models import CategoryView, ProductView, StockMovementView, StocktakeView, StoreStockView, TransferView

MAX_QTY = 1_000_000


def _cost_field(**kwargs):
    return serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0, **kwargs)


class CategoryOut(serializers.ModelSerializer):
    class Meta:
        model = CategoryView
        fields = ["id", "name", "status", "active_product_count", "version", "created_at", "updated_at"]


class CategoryIn(serializers.Serializer):
    id = serializers.UUIDField(required=False, help_text="Optional client-chosen id.")
    name = serializers.CharField(max_length=100)


class CategoryRenameIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class CategoryState(serializers.Serializer):
    id = serializers.UUIDField()
    version = serializers.IntegerField()
    name = serializers.CharField(required=False)
    deleted = serializers.BooleanField(required=False)


class ProductOut(serializers.ModelSerializer):
    class Meta:
        model = ProductView
        fields = ["id", "sku", "barcode", "name", "category_id", "category_name", "unit_price", "tax_rate",
                  "price_includes_tax", "cost_price", "status", "on_hand", "reserved", "available",
                  "low_stock_threshold", "is_low_stock", "last_movement_kind", "last_movement_at", "version",
                  "created_at", "updated_at"]
        extra_kwargs = {"on_hand": {"help_text": "Over all stores (per store: GET .../stock/)."},
                        "cost_price": {"help_text": "What one unit costs the shop (null: not known)."}}


class ProductState(serializers.Serializer):
    """The product as the command side knows it right after a write."""

    id = serializers.UUIDField()
    version = serializers.IntegerField()
    sku = serializers.CharField()
    barcode = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    category_id = serializers.UUIDField(allow_null=True)
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    cost_price = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    price_includes_tax = serializers.BooleanField()
    low_stock_threshold = serializers.IntegerField()
    status = serializers.CharField()
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()


class ProductIn(serializers.Serializer):
    id = serializers.UUIDField(required=False, help_text="Optional client-chosen id.")
    sku = serializers.CharField(max_length=40)
    barcode = serializers.CharField(max_length=13, required=False, allow_null=True, allow_blank=True)
    name = serializers.CharField(max_length=200)
    category_id = serializers.UUIDField(required=False, allow_null=True)
    unit_price = serializers.DecimalField(max_digits=8, decimal_places=2)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    price_includes_tax = serializers.BooleanField(default=True)
    low_stock_threshold = serializers.IntegerField(default=0, min_value=0, max_value=MAX_QTY)
    cost_price = _cost_field(required=False, allow_null=True, help_text="What one unit costs the shop.")


class ProductUpdateIn(serializers.Serializer):
    sku = serializers.CharField(max_length=40, required=False)
    barcode = serializers.CharField(max_length=13, required=False, allow_null=True, allow_blank=True)
    name = serializers.CharField(max_length=200, required=False)
    category_id = serializers.UUIDField(required=False, allow_null=True)
    unit_price = serializers.DecimalField(max_digits=8, decimal_places=2, required=False)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    price_includes_tax = serializers.BooleanField(required=False)
    low_stock_threshold = serializers.IntegerField(required=False, min_value=0, max_value=MAX_QTY)
    cost_price = _cost_field(required=False, allow_null=True, help_text="null clears it.")

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.")
        return attrs


class PriceIn(serializers.Serializer):
    unit_price = serializers.DecimalField(max_digits=8, decimal_places=2)


class DiscontinueIn(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


def _store_code_field(**kwargs):
    return serializers.CharField(
        max_length=8, required=False, allow_blank=True,
        help_text="The store (its code); left out: the legacy store, which held the chain's stock before stock was "
                  "kept per store (docs/catalog.md).", **kwargs)


class ReceiveStockIn(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QTY)
    supplier_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, allow_null=True)
    store_code = _store_code_field()


class AdjustStockIn(serializers.Serializer):
    counted_quantity = serializers.IntegerField(min_value=0, max_value=MAX_QTY)
    reason = serializers.CharField(max_length=200)
    store_code = _store_code_field()


class StoreThresholdIn(serializers.Serializer):
    store_code = serializers.CharField(max_length=8)
    low_stock_threshold = serializers.IntegerField(
        min_value=0, max_value=MAX_QTY, allow_null=True,
        help_text="The store's own low-stock threshold for this product; null: the product's applies.")


class StoreStockState(serializers.Serializer):
    """The product's stock in the store a stock command acted in, right after the write."""

    product_id = serializers.UUIDField()
    store_code = serializers.CharField()
    version = serializers.IntegerField(help_text="Of the stock stream of this product in this store.")
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()
    average_cost = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    low_stock_threshold = serializers.IntegerField(allow_null=True, help_text="The store's own, if set.")


class ProductStockState(ProductState):
    """The product (its stock summed over the stores) and its stock in the store acted in."""

    store_stock = StoreStockState()


class GoodsInLineIn(serializers.Serializer):
    product_id = serializers.UUIDField()
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QTY)
    unit_cost = _cost_field(required=False, allow_null=True,
                            help_text="What one unit cost; left out: the product's cost price.")
    supplier = serializers.CharField(max_length=100, required=False, allow_blank=True, allow_null=True,
                                     help_text="Left out: the delivery's.")
    supplier_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, allow_null=True,
                                               help_text="Left out: the delivery's.")


class GoodsInIn(serializers.Serializer):
    store_code = _store_code_field()
    supplier = serializers.CharField(max_length=100, required=False, allow_blank=True, allow_null=True)
    supplier_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, allow_null=True,
                                               help_text="The delivery note's number.")
    lines = GoodsInLineIn(many=True, allow_empty=False, max_length=200)


class GoodsInState(serializers.Serializer):
    store_code = serializers.CharField()
    lines = serializers.IntegerField(help_text="How many lines were received.")
    stock = StoreStockState(many=True, help_text="Each product's stock in the store after the delivery.")


class StoreStockOut(serializers.ModelSerializer):
    class Meta:
        model = StoreStockView
        fields = ["product_id", "sku", "name", "store_code", "on_hand", "reserved", "available",
                  "low_stock_threshold", "store_threshold", "is_low_stock", "average_cost", "last_movement_kind",
                  "last_movement_at"]
        extra_kwargs = {"low_stock_threshold": {"help_text": "The one that applies: the store's own, else the "
                                                             "product's."},
                        "store_threshold": {"help_text": "The store's own threshold, if set."},
                        "average_cost": {"help_text": "The store's moving average cost of one unit."}}


class ProductStockOut(serializers.Serializer):
    """A product's stock in each store it has stock in; the totals are the product's own fields."""

    product_id = serializers.UUIDField()
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()
    stores = StoreStockOut(many=True)


class StockMovementOut(serializers.ModelSerializer):
    class Meta:
        model = StockMovementView
        fields = ["store_code", "kind", "on_hand_delta", "reserved_delta", "on_hand_after", "reference", "at"]
        extra_kwargs = {"on_hand_after": {"help_text": "In the movement's store."}}


class TransferQuantityIn(serializers.Serializer):
    product_id = serializers.UUIDField()
    quantity = serializers.IntegerField(min_value=0, max_value=MAX_QTY)


class TransferIn(serializers.Serializer):
    id = serializers.UUIDField(required=False, help_text="Optional client-chosen id (sending it again: 409).")
    from_store = serializers.CharField(max_length=8)
    to_store = serializers.CharField(max_length=8)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    lines = TransferQuantityIn(many=True, allow_empty=False, max_length=200)


class TransferReceiveIn(serializers.Serializer):
    lines = TransferQuantityIn(many=True, required=False, default=list, max_length=200,
                               help_text="Units counted in per product; a product left out: as many as were sent.")


class TransferState(serializers.Serializer):
    id = serializers.UUIDField()
    version = serializers.IntegerField()
    status = serializers.CharField()
    from_store = serializers.CharField()
    to_store = serializers.CharField()


class TransferLineOut(serializers.Serializer):
    product_id = serializers.UUIDField()
    sku = serializers.CharField()
    name = serializers.CharField()
    sent = serializers.IntegerField()
    received = serializers.IntegerField(allow_null=True, help_text="null while in transit.")
    difference = serializers.IntegerField(allow_null=True, help_text="sent - received; null while in transit.")


class TransferOut(serializers.ModelSerializer):
    lines = TransferLineOut(many=True)

    class Meta:
        model = TransferView
        fields = ["id", "from_store", "to_store", "status", "reference", "lines", "units_sent", "units_received",
                  "difference", "sent_at", "received_at", "version"]


class StocktakeIn(serializers.Serializer):
    id = serializers.UUIDField(required=False, help_text="Optional client-chosen id.")
    store_code = serializers.CharField(max_length=8)
    category_id = serializers.UUIDField(required=False, allow_null=True, help_text="Only this category's products.")


class CountedLineIn(serializers.Serializer):
    product_id = serializers.UUIDField()
    counted_quantity = serializers.IntegerField(min_value=0, max_value=MAX_QTY)


class StocktakeCountIn(serializers.Serializer):
    reason = serializers.CharField(max_length=200)
    lines = CountedLineIn(many=True, allow_empty=False, max_length=5000)


class SheetLineState(serializers.Serializer):
    product_id = serializers.UUIDField()
    expected = serializers.IntegerField()


class StocktakeState(serializers.Serializer):
    id = serializers.UUIDField()
    version = serializers.IntegerField()
    status = serializers.CharField()
    store_code = serializers.CharField()
    lines = SheetLineState(many=True, help_text="The count sheet: every product to count and the units expected.")


class StocktakeLineOut(serializers.Serializer):
    product_id = serializers.UUIDField()
    sku = serializers.CharField()
    name = serializers.CharField()
    expected = serializers.IntegerField()
    counted = serializers.IntegerField(allow_null=True)
    delta = serializers.IntegerField(allow_null=True, help_text="What the adjustment moved (counted - on hand).")


class StocktakeOut(serializers.ModelSerializer):
    lines = StocktakeLineOut(many=True)

    class Meta:
        model = StocktakeView
        fields = ["id", "store_code", "category_id", "status", "reason", "lines", "started_at", "counted_at",
                  "version"]
