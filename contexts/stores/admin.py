"""Back office for stores and staff, over their read models. Every add and change executes the same
command handlers as the API (`CommandAdmin`); closing and reopening are list actions, one command
per store selected. Each field is checked with the domain's own value rules, so every error shows
next to its field at once. Staff: add (username, password, role, stores), change the stores,
reset a password (its own page), deactivate (a list action); a store manager sees and manages
only their stores' staff (the aggregate decides, given their stores)."""

from django import forms
from django.contrib import admin, messages
from django.urls import path, reverse
from django.utils.html import format_html

from infrastructure.access.scope import request_stores
from infrastructure.admin.commands import CommandAdmin, CommandForm, CommandModelForm, command_form_view
from infrastructure.admin.history import EventHistoryAdminMixin
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from kernel.errors import DomainError

from . import commands as c
from .domain import values
from .domain.events import STORES
from .domain import staff as staff_rules
from .domain.staff import STAFF_ROLES
from .domain.store import DETAIL_FIELDS, OPEN, stream_id_of
from .models import StaffView, StoreView

ADDRESS_FORM_FIELDS = {f"address.{name}": f"address_{name}" for name in values.ADDRESS_FIELDS}


def _each_selected(model_admin, request, queryset, command, done: str) -> None:
    """A list action: one command per selected row; refusals are reported, the rest done."""
    refused = []
    for obj in queryset:
        try:
            execute(command(obj), Metadata.from_request(request))
        except DomainError as error:
            refused.append(f"{obj}: {error.message}")
    if refused:
        model_admin.message_user(request, "Not done: " + "; ".join(refused), messages.WARNING)
    else:
        model_admin.message_user(request, done, messages.SUCCESS)


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

    _each = _each_selected

    @admin.action(description="Close the selected stores for business", permissions=["change"])
    def close_stores(self, request, queryset):
        self._each(request, queryset, lambda store: c.CloseStore(code=store.code, reason="Closed in the back office."),
                   "Closed.")

    @admin.action(description="Reopen the selected stores", permissions=["change"])
    def reopen_stores(self, request, queryset):
        self._each(request, queryset, lambda store: c.ReopenStore(code=store.code), "Reopened.")


# --- staff ------------------------------------------------------------------------------------
def _store_choices():
    return [(store.code, str(store)) for store in StoreView.objects.filter(status=OPEN)]


class StaffAdminForm(CommandModelForm):
    """Add: username, password, role and stores. Change: the stores (the rest has its own pages)."""

    username = forms.CharField(max_length=150)
    password = forms.CharField(widget=forms.PasswordInput, strip=False, required=False,
                               help_text="Checked by the site's password rules.")
    role = forms.ChoiceField(choices=STAFF_ROLES)
    stores = forms.MultipleChoiceField(choices=[], required=False, widget=forms.CheckboxSelectMultiple,
                                       help_text="A manager in no store is head office.")

    class Meta:
        model = StaffView
        fields = ["username", "role", "stores"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stores"].choices = _store_choices()
        if self.instance is not None and self.instance.pk:
            for name in ("username", "role"):
                self.fields[name].disabled = True
            self.fields.pop("password")

    def build_command(self, data: dict):
        by = request_stores(self.request)
        if self.instance_id is None:
            return c.CreateStaffAccount(username=data["username"], password=data.get("password") or "",
                                        role=data["role"], stores=list(data.get("stores") or []), by=by)
        return c.AssignStaffStores(username=self.instance_id, stores=list(data.get("stores") or []), by=by)

    def form_field_for(self, name):
        return super().form_field_for("stores" if name and name.startswith("stores") else name)


class ResetPasswordForm(CommandForm):
    password = forms.CharField(widget=forms.PasswordInput, strip=False)

    def build_command(self, data: dict):
        return c.ResetStaffPassword(username=self.instance_id, password=data["password"],
                                    by=request_stores(self.request))


@admin.register(StaffView)
class StaffAdmin(EventHistoryAdminMixin, CommandAdmin):
    form = StaffAdminForm
    history_context = STORES
    actions = ["deactivate_accounts"]
    list_display = ["username", "role", "store_list", "active", "staff_actions"]
    list_filter = ["role", "active"]
    search_fields = ["username"]
    readonly_fields = ["active", "version", "created_at", "updated_at"]
    _each = _each_selected

    def stream_id_of(self, object_id) -> str:
        return staff_rules.stream_id_of(str(object_id))

    def get_queryset(self, request):
        stores = request_stores(request)
        rows = super().get_queryset(request)
        if stores is None:
            return rows
        return rows.filter(pk__in=[name for name, codes in rows.values_list("username", "stores") if set(codes) & stores])

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["username", "password", "role", "stores"]
        return ["username", "role", "stores", *self.readonly_fields]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivated, never deleted: the history names them

    @admin.display(description="stores")
    def store_list(self, obj):
        return ", ".join(obj.stores) or "head office"

    @admin.display(description="")
    def staff_actions(self, obj):
        return format_html('<a class="button" href="{}">Reset password</a>',
                           reverse("admin:stores_staffview_reset_password", args=[obj.pk]))

    def get_urls(self):
        return [path("<path:object_id>/reset-password/", self.admin_site.admin_view(self.reset_password_view),
                     name="stores_staffview_reset_password"), *super().get_urls()]

    def reset_password_view(self, request, object_id):
        return command_form_view(self, request, object_id, ResetPasswordForm, "Reset password")

    @admin.action(description="Deactivate the selected accounts", permissions=["change"])
    def deactivate_accounts(self, request, queryset):
        by = request_stores(request)
        self._each(request, queryset.filter(active=True),
                   lambda member: c.DeactivateStaffAccount(username=member.username, by=by,
                                                           reason="Deactivated in the back office."),
                   "Deactivated.")
