"""Query parameters of the reports: a date range (`from`, `to`: inclusive UTC dates, YYYY-MM-DD)
and a store; bad values are a 400 naming the parameter."""

import datetime as dt
import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from ..reports import Period
from ..reports import business_today as today

DEFAULT_DAYS = 30
MAX_DAYS = 3660  # ten years: a bound, not a business rule
STORE_CODE = re.compile(r"^[A-Z0-9]{1,8}$")


def _store(value: str) -> str:
    code = (value or "").strip().upper()
    if not STORE_CODE.match(code):
        raise serializers.ValidationError("A store code is 1 to 8 letters or digits (e.g. S1).")
    return code


# `from` is a Python keyword, so the fields are declared through the class namespace.
PeriodIn = type("ReportPeriodIn", (serializers.Serializer,), {
    "__module__": __name__,
    "__doc__": "A date range and a store.",
    "from": serializers.DateField(required=False),
    "to": serializers.DateField(required=False),
    "store": serializers.CharField(required=False, allow_blank=True, max_length=8),
    "validate_store": lambda self, value: _store(value) if value else None,
})


def period_from(query) -> Period:
    """The period a request asks for. Defaults: the last 30 days up to today; only `from` given:
    up to today; only `to` given: the 30 days up to it."""
    serializer = PeriodIn(data={key: query[key] for key in ("from", "to", "store") if key in query})
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    end = data.get("to") or today()
    start = data.get("from") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise serializers.ValidationError({"to": ["The end date (to) is before the start date (from)."]})
    if (end - start).days >= MAX_DAYS:
        raise serializers.ValidationError({"from": [f"A report spans at most {MAX_DAYS} days."]})
    return Period(start=start, end=end, store=data.get("store"))


FORMAT = OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"],
                          description="`csv` for a spreadsheet (same rows; also `Accept: text/csv`).")
PERIOD = [
    OpenApiParameter("from", OpenApiTypes.DATE,
                     description="First business date (UTC), inclusive. Default: 29 days before `to`."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last business date (UTC), inclusive. Default: today."),
    OpenApiParameter("store", OpenApiTypes.STR, description="Only this store (its code, e.g. S1)."),
    FORMAT,
]
