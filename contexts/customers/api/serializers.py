"""Small input and output serializers. Input serializers check only the shape of a request
(types, which keys); the rules (name required and not blank, phone and email formats, address
fields) live in the domain and answer 422 with the field at fault."""

from rest_framework import serializers

from ..domain.customer import CUSTOMER_STATUSES
from ..models import CustomerView

# Hard caps on the size of input (well above what the domain's rules accept, so a too-long value
# is still the domain's 422 with its message; these only stop absurd payloads early with a 400).
MAX_TEXT = 1000


class CustomerAddressSerializer(serializers.Serializer):
    line1 = serializers.CharField(max_length=MAX_TEXT, allow_blank=True, trim_whitespace=False)
    line2 = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, trim_whitespace=False, default="")
    city = serializers.CharField(max_length=MAX_TEXT, allow_blank=True, trim_whitespace=False)
    postal_code = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, trim_whitespace=False, default="")
    country = serializers.CharField(max_length=MAX_TEXT, allow_blank=True, trim_whitespace=False,
                                    help_text="ISO 3166-1 alpha-2 code, such as DE or FR.")


class CustomerInputSerializer(serializers.Serializer):
    """Register (POST) or replace (PUT) a customer's details; PATCH sends only what changes.
    Optional fields left out of a PUT, or sent as null, are cleared."""

    name = serializers.CharField(max_length=MAX_TEXT, allow_blank=True, trim_whitespace=False, help_text="1 to 200 characters.")
    phone = serializers.CharField(max_length=MAX_TEXT, required=False, allow_null=True, allow_blank=True, trim_whitespace=False,
                                  help_text="Digits with an optional leading +; spaces, dashes and parentheses "
                                            "are allowed and dropped; 7 to 15 digits.")
    email = serializers.CharField(max_length=MAX_TEXT, required=False, allow_null=True, allow_blank=True, trim_whitespace=False)
    address = CustomerAddressSerializer(required=False, allow_null=True)


class RemoveCustomerQuerySerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=500)


class CustomerAddressOutputSerializer(serializers.Serializer):
    line1 = serializers.CharField()
    line2 = serializers.CharField()
    city = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField()


class CustomerStateSerializer(serializers.Serializer):
    """What a write answers: the command side's state right after the command."""

    id = serializers.UUIDField()
    version = serializers.IntegerField(help_text="The customer's stream version after this command.")
    name = serializers.CharField()
    phone = serializers.CharField(allow_null=True)
    email = serializers.CharField(allow_null=True)
    address = CustomerAddressOutputSerializer(allow_null=True)
    points_balance = serializers.IntegerField()
    status = serializers.ChoiceField(choices=CUSTOMER_STATUSES)


class CustomerSerializer(serializers.ModelSerializer):
    """A customer as the read model has it (may trail the latest write by the relay's latency)."""

    address = CustomerAddressOutputSerializer(allow_null=True, read_only=True)

    class Meta:
        model = CustomerView
        fields = ["id", "name", "phone", "email", "address", "points_balance", "status", "registered_at",
                  "updated_at", "version"]
        read_only_fields = fields
