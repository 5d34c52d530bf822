import django_filters

from infrastructure.http.filters import UTCIsoDateTimeFilter

from ..models import OrderView


class OrderFilter(django_filters.FilterSet):
    placed_after = UTCIsoDateTimeFilter(field_name="placed_at", lookup_expr="gte")
    placed_before = UTCIsoDateTimeFilter(field_name="placed_at", lookup_expr="lt")

    class Meta:
        model = OrderView
        fields = ["status", "kind", "till_id", "session_id", "cashier", "customer_id", "store_code"]
