"""Back office for customers, over the read model. Every add, change and delete executes the same
command handlers as the API; no form ever writes `CustomerView` (only the projection does).

How domain refusals become form errors:

1. The form checks each field with the domain's own value rules (`domain/values.py`), so every
   field error shows at once, next to its field, before anything runs; `clean()` then builds the
   command.
2. `save_model` executes the command. Some refusals can only be known there (an email address
   taken by another customer, a concurrent change, a customer removed meanwhile). The handler's
   transaction is already rolled back; `save_model` raises `_Refused`, and `_changeform_view`
   renders the same POST again with the refusal attached to the form class, whose `clean()` adds
   it as a form error on the field the domain named. Django's own rendering shows it, so the
   admin answers 200 with the error instead of a 500, and nothing was written.

In full mode the read row appears after Kafka delivery, a moment after the command commits. A
change page asked for before then redirects to the list with "saved; it will appear in a
moment" instead of "doesn't exist".
"""

from uuid import UUID

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from infrastructure.admin.history import EventHistoryAdminMixin
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from infrastructure.errors import DomainError
from infrastructure.eventstore.store import EventStore

from . import commands as c
from .domain import values
from .domain.customer import REMOVED
from .domain.events import CUSTOMERS
from .models import CustomerView

REFUSAL = "_customers_admin_refusal"
ADDRESS_FORM_FIELDS = {f"address.{name}": f"address_{name}" for name in values.ADDRESS_FIELDS}


class _Refused(Exception):
    def __init__(self, error: DomainError):
        super().__init__(error.message)
        self.error = error


class CustomerAdminForm(forms.ModelForm):
    """The details form. Field limits are generous on purpose: the domain rules decide (and
    normalise: "+49 (30) 123-4567" is stored as +49301234567)."""

    name = forms.CharField(max_length=400)
    phone = forms.CharField(max_length=40, required=False, help_text="Spaces, dashes and parentheses are fine.")
    email = forms.CharField(max_length=400, required=False)
    address_line1 = forms.CharField(label="Address line 1", max_length=400, required=False)
    address_line2 = forms.CharField(label="Address line 2", max_length=400, required=False)
    address_city = forms.CharField(label="City", max_length=200, required=False)
    address_postal_code = forms.CharField(label="Postal code", max_length=40, required=False)
    address_country = forms.CharField(label="Country", max_length=20, required=False,
                                      help_text="Two-letter ISO code, such as DE or FR.")

    refusal: DomainError | None = None  # set by CustomerAdmin when the command was refused
    command = None

    class Meta:
        model = CustomerView
        fields = ["name", "phone", "email", "address_line1", "address_line2", "address_city",
                  "address_postal_code", "address_country"]

    def _rule(self, rule, field: str):
        try:
            return rule(self.cleaned_data.get(field))
        except DomainError as error:
            raise forms.ValidationError(error.message, code=error.code) from None

    def clean_name(self):
        return self._rule(values.clean_name, "name")

    def clean_phone(self):
        return self._rule(values.clean_phone, "phone")

    def clean_email(self):
        return self._rule(values.clean_email, "email")

    def clean(self):
        cleaned = super().clean()
        address = None
        try:
            address = values.clean_address({name: cleaned.get(f"address_{name}", "")
                                            for name in values.ADDRESS_FIELDS})
        except DomainError as error:
            self.add_domain_error(error)
            for name in values.ADDRESS_FIELDS:  # keep the raw input out of the (unused) model validation
                cleaned.pop(f"address_{name}", None)
        if address is not None:  # normalised values back into the form (and the unsaved instance)
            for name in values.ADDRESS_FIELDS:
                cleaned[f"address_{name}"] = getattr(address, name)
        if not self.errors:
            self.command = self._command(cleaned, address)
        if self.refusal is not None:
            self.add_domain_error(self.refusal)
        return cleaned

    def _command(self, cleaned: dict, address):
        details = {"name": cleaned["name"], "phone": cleaned.get("phone"), "email": cleaned.get("email"),
                   "address": None if address is None else
                   {name: getattr(address, name) for name in values.ADDRESS_FIELDS}}
        if self.instance.pk is None:
            return c.RegisterCustomer(**details)
        return c.UpdateCustomer(customer_id=self.instance.pk, **details)

    def add_domain_error(self, error: DomainError) -> None:
        field = ADDRESS_FORM_FIELDS.get(error.field, error.field)
        self.add_error(field if field in self.fields else None, error.message)


@admin.register(CustomerView)
class CustomerAdmin(EventHistoryAdminMixin, admin.ModelAdmin):
    form = CustomerAdminForm
    history_context = CUSTOMERS
    list_display = ["name", "phone", "email", "points_balance", "status", "registered_at"]
    list_filter = ["status"]
    search_fields = ["name", "email", "phone_digits"]
    search_help_text = "Name, email, or phone number (any punctuation)."
    ordering = ["name", "id"]
    list_per_page = 50
    record_fields = ["points_balance", "status", "id", "version", "registered_at", "updated_at"]
    readonly_fields = record_fields
    details_fieldsets = [
        (None, {"fields": ["name", "phone", "email"]}),
        ("Address", {"fields": ["address_line1", "address_line2", "address_city", "address_postal_code",
                                "address_country"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.details_fieldsets
        return [*self.details_fieldsets, ("Loyalty and record", {"fields": self.record_fields})]

    # -- who may do what (the role groups' model permissions come from access.py) ---------------
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj is not None and obj.status == REMOVED)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.status == REMOVED)

    # -- search: a phone number matches on its digits, whatever punctuation was typed -----------
    def get_search_results(self, request, queryset, search_term):
        digits = values.phone_search_digits(search_term)
        if digits:
            return queryset.filter(phone_digits__contains=digits), False
        return super().get_search_results(request, queryset, search_term)

    # -- writes go through the command handlers ------------------------------------------------
    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, REFUSAL, None)
        if refusal is not None:
            form = type(form.__name__, (form,), {"refusal": refusal})
        return form

    def _execute(self, request, command) -> dict:
        try:
            return execute(command, Metadata.from_request(request))
        except DomainError as error:
            raise _Refused(error) from error

    def save_model(self, request, obj, form, change):
        state = self._execute(request, form.command)
        obj.pk = UUID(state["id"])  # for the log entry and the links in the success message

    def save_related(self, request, form, formsets, change):
        """Nothing: there are no related objects, and the unsaved instance has nothing to save."""

    def _changeform_view(self, request, object_id, form_url, extra_context):
        try:
            return super()._changeform_view(request, object_id, form_url, extra_context)
        except _Refused as refused:
            # Nothing was written (the command's transaction rolled back). Render the same POST
            # again; this time the form reports the refusal as an error on its field.
            setattr(request, REFUSAL, refused.error)
            return super()._changeform_view(request, object_id, form_url, extra_context)

    def delete_model(self, request, obj):
        self._execute(request, c.RemoveCustomer(customer_id=obj.pk, reason="Removed in the back office."))

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except _Refused as refused:
            self.message_user(request, refused.error.message, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:customers_customerview_change", args=[object_id]))

    def get_deleted_objects(self, objs, request):
        # Removed customers in a bulk selection are skipped (delete_queryset), not refused.
        return super().get_deleted_objects([obj for obj in objs if obj.status != REMOVED], request)

    def delete_queryset(self, request, queryset):
        refused = []
        for customer in queryset.exclude(status=REMOVED):
            try:
                self._execute(request, c.RemoveCustomer(customer_id=customer.pk,
                                                        reason="Removed in the back office."))
            except _Refused as error:
                refused.append(f"{customer.name}: {error.error.message}")
        if refused:
            self.message_user(request, "Not removed: " + "; ".join(refused), messages.WARNING)

    # -- the read model trails the command side in full mode ------------------------------------
    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        if _stream_exists(object_id):
            self.message_user(request, "Saved; the customer will appear in a moment.", messages.INFO)
            return HttpResponseRedirect(reverse("admin:customers_customerview_changelist"))
        return super()._get_obj_does_not_exist_redirect(request, opts, object_id)


def _stream_exists(object_id) -> bool:
    try:
        stream_id = str(UUID(str(object_id)))
    except ValueError:
        return False
    return EventStore(CUSTOMERS).current_version(stream_id) > 0
