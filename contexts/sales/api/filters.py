import django_filters

from ..models import OrderView


class OrderFilter(django_filters.FilterSet):
    placed_after = django_filters.IsoDateTimeFilter(field_name="placed_at", lookup_expr="gte")
    placed_before = django_filters.IsoDateTimeFilter(field_name="placed_at", lookup_expr="lt")

    class Meta:
        model = OrderView
        fields = ["status", "kind", "till_id", "session_id", "cashier", "customer_id", "store_code"]
