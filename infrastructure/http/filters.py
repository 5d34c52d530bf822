"""List filters shared by the contexts' APIs."""

import datetime as dt

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField


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
