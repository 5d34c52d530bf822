"""Back office for customers, over the read model. Every add, change and delete executes the same
command handlers as the API; no form ever writes `CustomerView` (only the projection does). It is
a `CommandAdmin` like the catalog's and the sales' (see `infrastructure/admin/commands.py`):

- The form checks each field with the domain's own value rules (`domain/values.py`), so every
  field error shows at once, next to its field, and the values are normalised ("+49 (30)
  123-4567" is stored as +49301234567) before `clean()` executes the command.
- A refusal only the handler can know (an email address taken by another customer, a concurrent
  change, a customer removed meanwhile) becomes a form error on the field the domain named (an
  address error on its `address_*` field); the admin answers 200 and nothing was written.
- Bulk delete removes the active customers of a selection, skips removed ones and reports any
  refusal; a removed or forgotten customer's page is read-only.
- "Forget" (an action, for those who may delete customers) erases the personal data of the
  selected customers (ForgetCustomer, as DELETE .../forget/ in the API; docs/personal-data.md).
- In full mode a change page asked for before the read row is projected redirects to the list
  with "saved; the customer will appear in a moment" (`CommandAdmin`, via `history_context`).
"""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from infrastructure.admin.commands import CommandAdmin, CommandModelForm
from infrastructure.admin.history import EventHistoryAdminMixin
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from infrastructure.http.history import history_entries
from kernel.errors import DomainError

from . import commands as c
from .domain import values
from .domain.customer import FORGOTTEN, REMOVED
from .domain.events import CUSTOMERS
from .models import CustomerView

CLOSED = (REMOVED, FORGOTTEN)  # nothing about these customers changes any more


def _order(entry):
    """The sales context's page of the order (a link only: customers do not keep order numbers)."""
    order_id = entry["data"].get("order_id")
    return format_html('<a href="{}">an order</a>', reverse("admin:sales_orderview_change", args=[order_id])) \
        if order_id else "—"


CUSTOMER_SENTENCES = {
    "CustomerRegistered": lambda a, e: f"as “{e['data'].get('name')}”",
    "CustomerRemoved": lambda a, e: e["data"].get("reason") or "—",
    "LoyaltyPointsEarned": lambda a, e: format_html("{} points for {} spent in {}", e["data"]["points"],
                                                    e["data"]["amount"], _order(e)),
    "LoyaltyPointsReversed": lambda a, e: format_html("{} points taken back: a refund of {}", e["data"]["points"],
                                                      _order(e)),
}

#: point events and their sign
CUSTOMER_POINT_EVENTS = {"LoyaltyPointsEarned": 1, "LoyaltyPointsReversed": -1}

ADDRESS_FORM_FIELDS = {f"address.{name}": f"address_{name}" for name in values.ADDRESS_FIELDS}


class CustomerAdminForm(CommandModelForm):
    """The details form. Field limits are generous on purpose: the domain rules decide (and
    normalise)."""

    name = forms.CharField(max_length=400)
    phone = forms.CharField(max_length=40, required=False, help_text="Spaces, dashes and parentheses are fine.")
    email = forms.CharField(max_length=400, required=False)
    address_line1 = forms.CharField(label="Address line 1", max_length=400, required=False)
    address_line2 = forms.CharField(label="Address line 2", max_length=400, required=False)
    address_city = forms.CharField(label="City", max_length=200, required=False)
    address_postal_code = forms.CharField(label="Postal code", max_length=40, required=False)
    address_country = forms.CharField(label="Country", max_length=20, required=False,
                                      help_text="Two-letter ISO code, such as DE or FR.")

    address = None  # the normalised address (a value object) or None, set by clean()

    class Meta:
        model = CustomerView
        fields = ["name", "phone", "email", "address_line1", "address_line2", "address_city",
                  "address_postal_code", "address_country"]

    def form_field_for(self, name):
        return super().form_field_for(ADDRESS_FORM_FIELDS.get(name, name))

    def clean_name(self):
        return self.apply_rule(values.clean_name, "name")

    def clean_phone(self):
        return self.apply_rule(values.clean_phone, "phone")

    def clean_email(self):
        return self.apply_rule(values.clean_email, "email")

    def clean(self):
        # The address is one value over several fields: check it before the command runs, so its
        # errors show together with the other fields' and stop the command.
        cleaned = self.cleaned_data
        try:
            self.address = values.clean_address({name: cleaned.get(f"address_{name}", "")
                                                 for name in values.ADDRESS_FIELDS})
        except DomainError as error:
            self.add_domain_error(error)
        else:
            if self.address is not None:  # the normalised values back into the form
                for name in values.ADDRESS_FIELDS:
                    cleaned[f"address_{name}"] = getattr(self.address, name)
        return super().clean()

    def build_command(self, data: dict):
        details = {"name": data["name"], "phone": data.get("phone"), "email": data.get("email"),
                   "address": None if self.address is None else
                   {name: getattr(self.address, name) for name in values.ADDRESS_FIELDS}}
        if self.instance_id is None:
            return c.RegisterCustomer(**details)
        return c.UpdateCustomer(customer_id=self.instance_id, **details)


@admin.register(CustomerView)
class CustomerAdmin(EventHistoryAdminMixin, CommandAdmin):
    form = CustomerAdminForm
    history_context = CUSTOMERS
    event_sentences = CUSTOMER_SENTENCES
    # The site's bulk delete (one RemoveCustomer per active customer selected), and forgetting.
    actions = ["forget_selected"]
    list_display = ["name", "phone", "email", "points_balance", "status"]  # fits 1366 px with the action boxes
    list_filter = ["status"]
    search_fields = ["name", "email", "phone_digits"]
    search_help_text = "Name, email, or phone number (any punctuation)."
    ordering = ["name", "id"]
    list_per_page = 50
    record_fields = ["points_balance", "status", "id", "version", "registered_at", "updated_at"]
    readonly_fields = [*record_fields, "purchases_and_points"]
    details_fieldsets = [
        (None, {"fields": ["name", "phone", "email"]}),
        ("Address", {"fields": ["address_line1", "address_line2", "address_city", "address_postal_code",
                                "address_country"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.details_fieldsets
        return [*self.details_fieldsets, ("Purchases and loyalty points", {"fields": ["purchases_and_points"]}),
                ("Loyalty and record", {"fields": self.record_fields})]

    @admin.display(description="purchases")
    def purchases_and_points(self, obj):
        """The customer's paid purchases and points, newest first, from the customer's own stream
        (each paid order earns points; a refund takes them back)."""
        rows, balance = [], 0
        for entry in history_entries(CUSTOMERS, obj.pk):
            if entry["event_type"] not in CUSTOMER_POINT_EVENTS:
                continue
            points = entry["data"]["points"] * CUSTOMER_POINT_EVENTS[entry["event_type"]]
            balance += points
            rows.append((date_format(localtime(entry["recorded_at"]), "DATETIME_FORMAT"), _order(entry),
                         entry["data"].get("amount") or "refund", f"{points:+d}", balance))
        if not rows:
            return "No purchases with points yet."
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", reversed(rows))
        return format_html('<table id="customer-purchases"><thead><tr><th>when</th><th>order</th><th>spent</th>'
                           '<th>points</th><th>balance</th></tr></thead><tbody>{}</tbody></table>', body)

    # -- who may do what (the role groups' model permissions come from access.py) ---------------
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj is not None and obj.status in CLOSED)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.status in CLOSED)

    @admin.action(description="Forget the selected customers (erase their personal data)", permissions=["delete"])
    def forget_selected(self, request, queryset):
        metadata = Metadata.from_request(request)
        done = 0
        for customer in queryset:
            try:
                execute(c.ForgetCustomer(customer_id=customer.pk, requested_by=request.user.get_username()), metadata)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{customer.pk}: {exc.message}", messages.WARNING)
        self.message_user(request, f"Forgot {done} customer(s).", messages.SUCCESS)

    # -- search: a phone number matches on its digits, whatever punctuation was typed -----------
    def get_search_results(self, request, queryset, search_term):
        digits = values.phone_search_digits(search_term)
        if digits:
            return queryset.filter(phone_digits__contains=digits), False
        return super().get_search_results(request, queryset, search_term)

    # -- writes go through the command handlers ------------------------------------------------
    def delete_command(self, obj):
        return c.RemoveCustomer(customer_id=obj.pk, reason="Removed in the back office.")

    def get_deleted_objects(self, objs, request):
        # Removed customers in a bulk selection are skipped (delete_queryset), not refused.
        return super().get_deleted_objects([obj for obj in objs if obj.status not in CLOSED], request)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset.exclude(status__in=CLOSED))
