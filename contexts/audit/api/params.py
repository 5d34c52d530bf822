"""The audit questions' query parameters, checked: a bad value is a 400 naming the parameter.

Times are ISO 8601 (`2026-03-01T14:00:00+01:00`; without an offset, UTC); `since` is inclusive,
`until` exclusive. `type` takes one or more event types, comma-separated (`OrderRefunded`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from kernel.events import registered_events

from ..search import AuditQuery

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50


class AuditQueryIn(serializers.Serializer):
    actor = serializers.CharField(required=False, max_length=150)
    till = serializers.CharField(required=False, max_length=64)
    store = serializers.CharField(required=False, max_length=8)
    stream = serializers.CharField(required=False, max_length=64)
    sku = serializers.CharField(required=False, max_length=64)
    context = serializers.CharField(required=False, max_length=32)
    type = serializers.CharField(required=False, max_length=1000)
    correlation_id = serializers.CharField(required=False, max_length=128)
    since = serializers.DateTimeField(required=False, default_timezone=dt.timezone.utc)
    until = serializers.DateTimeField(required=False, default_timezone=dt.timezone.utc)
    amount_above = serializers.DecimalField(required=False, max_digits=14, decimal_places=2)
    page = serializers.IntegerField(required=False, min_value=1, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE,
                                         default=DEFAULT_PAGE_SIZE)

    def validate_sku(self, value: str) -> str:
        return value.strip().upper()  # the catalog keeps SKUs upper-case

    def validate_context(self, value: str) -> str:
        known = sorted({cls.context for cls in registered_events()})
        if value not in known:
            raise serializers.ValidationError(f"Unknown context {value!r}; known: {', '.join(known)}.")
        return value

    def validate_type(self, value: str) -> tuple[str, ...]:
        types = tuple(part.strip() for part in value.split(",") if part.strip())
        known = {cls.event_type() for cls in registered_events()}
        unknown = sorted(set(types) - known)
        if not types or unknown:
            raise serializers.ValidationError(
                f"Unknown event type(s): {', '.join(unknown) or '(none given)'} (e.g. OrderRefunded, ProductPriceChanged).")
        return types

    def validate(self, attrs):
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and until <= since:
            raise serializers.ValidationError({"until": ["The end (until) must be after the start (since)."]})
        return attrs


def query_from(params) -> tuple[AuditQuery, int, int]:
    """(question, page, page size) from request query parameters; raises ValidationError."""
    serializer = AuditQueryIn(data={key: params[key] for key in AuditQueryIn().fields if key in params})
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    page, page_size = data.pop("page"), data.pop("page_size")
    event_types = data.pop("type", ())
    amount = data.pop("amount_above", None)
    query = AuditQuery(**data, event_types=event_types,
                       amount_above=Decimal(amount) if amount is not None else None)
    return query, page, page_size


PARAMETERS = [
    OpenApiParameter("actor", OpenApiTypes.STR, description="Who: the user who asked (or the cashier the event names)."),
    OpenApiParameter("till", OpenApiTypes.STR, description="The till's id."),
    OpenApiParameter("store", OpenApiTypes.STR, description="The store's code (events that name a store)."),
    OpenApiParameter("stream", OpenApiTypes.STR, description="One stream: an order, a product, a customer, a till..."),
    OpenApiParameter("sku", OpenApiTypes.STR, description="The events of the product(s) that carried this SKU."),
    OpenApiParameter("context", OpenApiTypes.STR, description="The publishing context (sales, catalog, ...)."),
    OpenApiParameter("type", OpenApiTypes.STR, description="Event type(s), comma-separated (e.g. OrderRefunded)."),
    OpenApiParameter("correlation_id", OpenApiTypes.STR, description="Everything one request or saga caused."),
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="From this time on (inclusive; ISO 8601, UTC if no offset)."),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="Before this time (exclusive)."),
    OpenApiParameter("amount_above", OpenApiTypes.DECIMAL,
                     description="Only events whose total (or amount) is above this, e.g. 50.00."),
    OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description=f"Events per page (1-{MAX_PAGE_SIZE}, default {DEFAULT_PAGE_SIZE})."),
]
