"""List filters shared by the contexts' APIs."""

import datetime as dt

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from rest_framework import filters, serializers

#: `?search=` takes at most this many words of at most MAX_SEARCH_TERM_LENGTH characters: each word
#: is an OR over the view's search fields, ANDed with the others, so 2,000 words made a query SQLite
#: refused ("Expression tree is too large") and PostgreSQL spent seconds of CPU on.
MAX_SEARCH_TERMS = 10
MAX_SEARCH_TERM_LENGTH = 100


class BoundedSearchFilter(filters.SearchFilter):
    """DRF's search, refusing (400, naming `search`) more words or longer words than a person types."""

    def get_search_terms(self, request):
        terms = super().get_search_terms(request)
        if len(terms) > MAX_SEARCH_TERMS:
            raise serializers.ValidationError(
                {self.search_param: [f"At most {MAX_SEARCH_TERMS} search words, not {len(terms)}."]})
        if any(len(term) > MAX_SEARCH_TERM_LENGTH for term in terms):
            raise serializers.ValidationError(
                {self.search_param: [f"A search word has at most {MAX_SEARCH_TERM_LENGTH} characters."]})
        return terms


class UTCIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, converted to UTC. PostgreSQL refuses UTC offsets beyond +-15:59 that
    Python accepts (up to +-23:59), so an offset such as +18:49 used as is was a 500 (DataError);
    in UTC it is an ordinary instant. One that leaves the representable range is a 400."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None or value.tzinfo is None:
            return value
        try:
            return value.astimezone(dt.timezone.utc)
        except OverflowError:
            raise forms.ValidationError("This date-time is out of range.", code="invalid") from None


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField
