"""List filters and search for customers."""

import django_filters

from infrastructure.http.filters import BoundedSearchFilter

from ..domain.customer import ACTIVE, FORGOTTEN, REMOVED
from ..domain.values import phone_search_digits
from ..models import CustomerView

ALL = "all"


class CustomerFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[(ACTIVE, ACTIVE), (REMOVED, REMOVED), (FORGOTTEN, FORGOTTEN), (ALL, ALL)], method="filter_status",
        help_text="active (the default), removed, forgotten, or all.")
    updated_after = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte",
        help_text="Only customers changed at or after this time (ISO 8601): a till's sync of what changed since "
                  "its last (with status=all and ordering=updated_at, so removed and forgotten ones go too).")

    class Meta:
        model = CustomerView
        fields = ["status"]

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and not data.get("status"):
            data = data.copy()
            data["status"] = ACTIVE
        super().__init__(data, *args, **kwargs)

    def filter_status(self, queryset, name, value):
        return queryset if value == ALL else queryset.filter(status=value)


class CustomerSearchFilter(BoundedSearchFilter):
    """`?search=`: name or email containing every word, or a phone number containing the digits."""

    def get_search_terms(self, request):
        raw = request.query_params.get(self.search_param, "").replace("\x00", "")
        digits = phone_search_digits(raw)
        return [digits] if digits else super().get_search_terms(request)
