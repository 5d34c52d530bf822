"""Serializers of the sales read models (lists and details come from these tables)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import OrderLineView, OrderView, PaymentView, RefundView, TillSessionView, TillView


class TillOut(serializers.ModelSerializer):
    class Meta:
        model = TillView
        fields = "__all__"


class SessionOut(serializers.ModelSerializer):
    """A till session: while open, its drawer's running figures; once closed, the figures of the
    Z-report published at its close (`z_report`)."""

    class Meta:
        model = TillSessionView
        fields = "__all__"


class OrderOut(serializers.ModelSerializer):
    class Meta:
        model = OrderView
        fields = "__all__"


class OrderLineOut(serializers.ModelSerializer):
    class Meta:
        model = OrderLineView
        exclude = ["id", "order_id"]


class PaymentOut(serializers.ModelSerializer):
    class Meta:
        model = PaymentView
        exclude = ["order_id"]


class RefundOut(serializers.ModelSerializer):
    class Meta:
        model = RefundView
        exclude = ["order_id"]


class OrderDetailOut(OrderOut):
    lines = serializers.SerializerMethodField()
    payments = serializers.SerializerMethodField()
    refunds = serializers.SerializerMethodField()

    @extend_schema_field(OrderLineOut(many=True))
    def get_lines(self, order):
        return OrderLineOut(OrderLineView.objects.filter(order_id=order.order_id).order_by("line_no"), many=True).data

    @extend_schema_field(PaymentOut(many=True))
    def get_payments(self, order):
        return PaymentOut(PaymentView.objects.filter(order_id=order.order_id).order_by("recorded_at", "stream_version"), many=True).data

    @extend_schema_field(RefundOut(many=True))
    def get_refunds(self, order):
        return RefundOut(RefundView.objects.filter(order_id=order.order_id).order_by("recorded_at"), many=True).data
