"""Small input and output serializers. Input serializers check only the shape of a request; the
rules (code, IANA time zone, tax id, address) live in the domain and answer 422 naming the field."""

from rest_framework import serializers

from ..domain.store import STORE_STATUSES
from ..models import StoreView

MAX_TEXT = 2000  # well above the domain's limits: only absurd payloads stop here, with a 400


def _text(**kwargs):
    return serializers.CharField(max_length=MAX_TEXT, allow_blank=True, trim_whitespace=False, **kwargs)


class StoreAddressSerializer(serializers.Serializer):
    line1 = _text()
    line2 = _text(required=False, default="")
    city = _text()
    postal_code = _text(required=False, default="")
    country = _text(help_text="ISO 3166-1 alpha-2 code, such as DE or US.")


class StoreInputSerializer(serializers.Serializer):
    """Register a store (POST); PATCH sends only what changes (the code never changes)."""

    code = _text(help_text="1 to 8 letters or digits (e.g. S1); it prefixes the store's order numbers.")
    name = _text()
    address = StoreAddressSerializer()
    tax_id = _text(help_text="The tax or VAT id printed on receipts.")
    time_zone = _text(help_text="IANA time zone name, such as Europe/Berlin or America/New_York.")
    receipt_header = _text(required=False, default="")
    receipt_footer = _text(required=False, default="")


class CloseStoreSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")


class StoreSerializer(serializers.ModelSerializer):
    """A store, as writes answer it (the command side's state) and reads show it (the read model)."""

    address = StoreAddressSerializer(read_only=True)
    status = serializers.ChoiceField(choices=STORE_STATUSES, read_only=True)

    class Meta:
        model = StoreView
        fields = ["code", "name", "address", "tax_id", "time_zone", "receipt_header", "receipt_footer", "status",
                  "version"]
        read_only_fields = fields


# --- staff ------------------------------------------------------------------------------------
class StaffCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=MAX_TEXT, help_text="Letters, digits and @ . + - _ (at most 150).")
    password = serializers.CharField(max_length=MAX_TEXT, write_only=True, trim_whitespace=False)
    role = serializers.CharField(max_length=MAX_TEXT, help_text="cashier or manager.")
    stores = serializers.ListField(child=serializers.CharField(max_length=MAX_TEXT), max_length=200,
                                   help_text="Store codes; a manager in no store is head office.")
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class StaffStoresSerializer(serializers.Serializer):
    stores = serializers.ListField(child=serializers.CharField(max_length=MAX_TEXT), max_length=200)


class StaffPasswordSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=MAX_TEXT, write_only=True, trim_whitespace=False)


class StaffDeactivateSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")


class StaffSerializer(serializers.Serializer):
    """A member of staff, as writes answer it and reads show it."""

    username = serializers.CharField()
    role = serializers.CharField()
    stores = serializers.ListField(child=serializers.CharField())
    active = serializers.BooleanField()
    version = serializers.IntegerField()
