"""Small input and output serializers. Inputs check types and shapes; business rules (check
digits, price > 0, uniqueness...) are the aggregate's, reported as problem details too."""

from rest_framework import serializers

from ..models import CategoryView, ProductView, StockMovementView

MAX_QTY = 1_000_000


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
                  "price_includes_tax", "status", "on_hand", "reserved", "available", "low_stock_threshold",
                  "is_low_stock", "last_movement_kind", "last_movement_at", "version", "created_at", "updated_at"]


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


class ProductUpdateIn(serializers.Serializer):
    sku = serializers.CharField(max_length=40, required=False)
    barcode = serializers.CharField(max_length=13, required=False, allow_null=True, allow_blank=True)
    name = serializers.CharField(max_length=200, required=False)
    category_id = serializers.UUIDField(required=False, allow_null=True)
    unit_price = serializers.DecimalField(max_digits=8, decimal_places=2, required=False)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    price_includes_tax = serializers.BooleanField(required=False)
    low_stock_threshold = serializers.IntegerField(required=False, min_value=0, max_value=MAX_QTY)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.")
        return attrs


class PriceIn(serializers.Serializer):
    unit_price = serializers.DecimalField(max_digits=8, decimal_places=2)


class DiscontinueIn(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ReceiveStockIn(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QTY)
    supplier_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, allow_null=True)


class AdjustStockIn(serializers.Serializer):
    counted_quantity = serializers.IntegerField(min_value=0, max_value=MAX_QTY)
    reason = serializers.CharField(max_length=200)


class StockMovementOut(serializers.ModelSerializer):
    class Meta:
        model = StockMovementView
        fields = ["kind", "on_hand_delta", "reserved_delta", "on_hand_after", "reference", "at"]
