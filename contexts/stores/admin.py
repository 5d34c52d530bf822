"""Back office for stores, over the store directory. Every add and change executes the same
command handlers as the API (`CommandAdmin`); closing and reopening are list actions, one command
per store selected. Each field is checked with the domain's own value rules, so every error shows
next to its field at once."""

from django import forms
from django.contrib import admin, messages

from infrastructure.admin.commands import CommandAdmin, CommandModelForm
from infrastructure.admin.history import EventHistoryAdminMixin
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from infrastructure.errors import DomainError

from . import commands as c
from .domain import values
from .domain.events import STORES
from .domain.store import DETAIL_FIELDS, stream_id_of
from .models import StoreView

ADDRESS_FORM_FIELDS = {f"address.{name}": f"address_{name}" for name in values.ADDRESS_FIELDS}


class StoreAdminForm(CommandModelForm):
    code = forms.CharField(max_length=20, help_text="1 to 8 letters or digits (e.g. S1); never changes.")
    name = forms.CharField(max_length=400)
    address_line1 = forms.CharField(label="Address line 1", max_length=400)
    address_line2 = forms.CharField(label="Address line 2", max_length=400, required=False)
    address_city = forms.CharField(label="City", max_length=200)
    address_postal_code = forms.CharField(label="Postal code", max_length=40, required=False)
    address_country = forms.CharField(label="Country", max_length=20, help_text="Two-letter ISO code, such as DE.")
    tax_id = forms.CharField(label="Tax / VAT id", max_length=100)
    time_zone = forms.CharField(max_length=100, help_text="IANA name, such as Europe/Berlin or America/New_York.")
    receipt_header = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    receipt_footer = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    class Meta:
        model = StoreView
        fields = ["code", "name", "address_line1", "address_line2", "address_city", "address_postal_code",
                  "address_country", "tax_id", "time_zone", "receipt_header", "receipt_footer"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None and self.instance.pk:
            self.fields["code"].disabled = True

    def form_field_for(self, name):
        return super().form_field_for(ADDRESS_FORM_FIELDS.get(name, name))

    def clean_code(self):
        return self.apply_rule(values.clean_code, "code")

    def clean_name(self):
        return self.apply_rule(values.clean_name, "name")

    def clean_tax_id(self):
        return self.apply_rule(values.clean_tax_id, "tax_id")

    def clean_time_zone(self):
        return self.apply_rule(values.clean_time_zone, "time_zone")

    def build_command(self, data: dict):
        details = {name: data.get(name, "") for name in DETAIL_FIELDS if name != "address"}
        details["address"] = {name: data.get(f"address_{name}", "") for name in values.ADDRESS_FIELDS}
        if self.instance_id is None:
            return c.RegisterStore(code=data["code"], **details)
        return c.UpdateStore(code=self.instance_id, **details)


@admin.register(StoreView)
class StoreAdmin(EventHistoryAdminMixin, CommandAdmin):
    form = StoreAdminForm
    history_context = STORES
    actions = ["close_stores", "reopen_stores"]
    list_display = ["code", "name", "address_city", "time_zone", "tax_id", "status"]
    list_filter = ["status", "time_zone"]
    search_fields = ["code", "name", "address_city"]
    readonly_fields = ["status", "version", "registered_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["code", "name", "tax_id", "time_zone"]}),
        ("Address", {"fields": ["address_line1", "address_line2", "address_city", "address_postal_code",
                                "address_country"]}),
        ("Receipts", {"fields": ["receipt_header", "receipt_footer"]}),
    ]

    def stream_id_of(self, object_id) -> str:
        return stream_id_of(str(object_id))

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets
        return [*self.fieldsets, ("Record", {"fields": self.readonly_fields})]

    def has_delete_permission(self, request, obj=None):
        return False  # a store is closed, never deleted: its orders and reports keep naming it

    def _each(self, request, queryset, command, done: str):
        refused = []
        for store in queryset:
            try:
                execute(command(store.code), Metadata.from_request(request))
            except DomainError as error:
                refused.append(f"{store.code}: {error.message}")
        if refused:
            self.message_user(request, "Not done: " + "; ".join(refused), messages.WARNING)
        else:
            self.message_user(request, done, messages.SUCCESS)

    @admin.action(description="Close the selected stores for business", permissions=["change"])
    def close_stores(self, request, queryset):
        self._each(request, queryset, lambda code: c.CloseStore(code=code, reason="Closed in the back office."),
                   "Closed.")

    @admin.action(description="Reopen the selected stores", permissions=["change"])
    def reopen_stores(self, request, queryset):
        self._each(request, queryset, lambda code: c.ReopenStore(code=code), "Reopened.")
