"""Back office for the catalog: pages over the read models; every write is a catalog command."""

import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from infrastructure.admin.commands import CommandAdmin, CommandForm, CommandModelForm, column, command_form_view
from infrastructure.admin.history import EventHistoryAdminMixin
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from kernel.errors import DomainError

from . import commands as c
from . import product_csv
from .goods_in import goods_in_view
from .legacy_stock import legacy_store
from .models import CategoryView, ProductView, StockMovementView, StoreStockView, TransferView
from .stock_stores import store_choices

RECENT_MOVEMENTS = 10


# --- how the catalog's events read in a history ------------------------------------------------
def _order_link(order_id):
    """The sales context's page of an order (a link only: the catalog does not know its number)."""
    if not order_id:
        return "—"
    return format_html('<a href="{}">an order</a>', reverse("admin:sales_orderview_change", args=[order_id]))


def _d(entry):
    return entry["data"]


CATALOG_SENTENCES = {
    "CategoryCreated": lambda a, e: f"named “{_d(e)['name']}”",
    "CategoryRenamed": lambda a, e: f"now “{_d(e).get('name')}”",
    "ProductCreated": lambda a, e: (f"{_d(e)['sku']} “{_d(e)['name']}” at {_d(e)['unit_price']}, "
                                    f"tax {_d(e)['tax_rate']} %"),
    "ProductPriceChanged": lambda a, e: f"from {_d(e)['old_price']} to {_d(e)['new_price']}",
    "StockReceived": lambda a, e: (f"{_d(e)['quantity']} in"
                                   + (f" (delivery note {_d(e)['supplier_reference']})"
                                      if _d(e).get("supplier_reference") else "")
                                   + f"; {_d(e)['on_hand_after']} on hand"),
    "StockAdjusted": lambda a, e: (f"counted {_d(e)['counted_quantity']} ({int(_d(e)['delta']):+d}), "
                                   f"“{_d(e)['reason']}”; {_d(e)['on_hand_after']} on hand"),
    "StockSold": lambda a, e: format_html("{} in {}; {} on hand", _d(e)["quantity"],
                                          _order_link(_d(e).get("order_id")), _d(e)["on_hand_after"]),
    "StockReturned": lambda a, e: format_html("{} back from a refund of {}; {} on hand", _d(e)["quantity"],
                                              _order_link(_d(e).get("order_id")), _d(e)["on_hand_after"]),
}


# --- categories -------------------------------------------------------------------------------
class CategoryForm(CommandModelForm):
    class Meta:
        model = CategoryView
        fields = ["name"]

    def build_command(self, data):
        if self.instance_id is None:
            return c.CreateCategory(category_id=uuid.uuid4(), name=data["name"])
        return c.RenameCategory(category_id=self.instance_id, name=data["name"])


@admin.register(CategoryView)
class CategoryAdmin(EventHistoryAdminMixin, CommandAdmin):
    form = CategoryForm
    history_context = "catalog"
    event_sentences = CATALOG_SENTENCES
    list_display = ["name", "status", "active_product_count", "updated_at"]
    list_filter = ["status"]
    search_fields = ["name"]

    def delete_command(self, obj):
        return c.DeleteCategory(category_id=obj.pk)

    def delete_view(self, request, object_id, extra_context=None):
        # Refused before asking: the command would refuse it after the confirmation page.
        obj = self.get_object(request, object_id)
        if obj is not None and obj.active_product_count:
            self.message_user(request, f"“{obj.name}” still has {obj.active_product_count} active product(s): "
                                       "move or discontinue them first.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:catalog_categoryview_change", args=[obj.pk]))
        return super().delete_view(request, object_id, extra_context)


# --- products ---------------------------------------------------------------------------------
class LowStockFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [("low", "Low (at or under threshold)"), ("negative", "Negative"), ("ok", "OK")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "low":
            return queryset.filter(is_low_stock=True)
        if value == "negative":
            return queryset.filter(on_hand__lt=0)
        if value == "ok":
            return queryset.filter(is_low_stock=False)
        return queryset


def _with_request(form_cls, request):
    """The form class bound to the request (command_form_view makes it from the POST data only)."""
    return lambda data=None: form_cls(data, request=request)


def _as_uuid(value) -> uuid.UUID:
    return uuid.UUID(str(value))  # also takes a UUID: the initial value (has_changed coerces it too)


class PercentInput(forms.NumberInput):
    """A number with its unit after it: the tax rate is 20 for 20 %, never 0.2."""

    def render(self, name, value, attrs=None, renderer=None):
        return format_html('{} <span class="unit">%</span>', super().render(name, value, attrs, renderer))


class ProductForm(CommandModelForm):
    category_id = forms.TypedChoiceField(label="Category", required=False, coerce=_as_uuid, empty_value=None)

    class Meta:
        model = ProductView
        fields = ["sku", "barcode", "name", "category_id", "unit_price", "cost_price", "tax_rate",
                  "price_includes_tax", "low_stock_threshold"]
        labels = {"sku": "SKU", "barcode": "Barcode (EAN-13 or UPC-A)", "unit_price": "Price", "cost_price": "Cost price",
                  "tax_rate": "Tax rate", "price_includes_tax": "Price includes tax",
                  "low_stock_threshold": "Low stock at"}
        help_texts = {"sku": "The shop's own code for the product, e.g. COF-250.",
                      "cost_price": "What one unit costs the shop; goods received without a unit cost are valued at it.",
                      "tax_rate": "A percentage: 20 means 20 %, 5.5 means 5.5 %.",
                      "low_stock_threshold": "Flag the product as low on stock when this many or fewer are available."}
        widgets = {"tax_rate": PercentInput(attrs={"step": "0.01", "min": "0", "max": "100"})}

    def build_command(self, data):
        # Meta.fields, not self._meta.fields: the admin's form class also lists its read-only fields there.
        details = {key: data.get(key) for key in ProductForm.Meta.fields}
        details["barcode"] = details["barcode"] or None
        if self.instance_id is None:
            return c.CreateProduct(product_id=uuid.uuid4(), **details)
        return c.UpdateProduct(product_id=self.instance_id, **details)


class StoreStockForm(CommandForm):
    """A stock form of one product in one store: the stores offered are those the member keeps
    stock in (a store manager's own, every store for head office); none chosen: the legacy store."""

    store_code = forms.ChoiceField(label="Store", required=False, choices=())

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.fields["store_code"].choices = store_choices(request) if request is not None else []
        self.fields["store_code"].initial = legacy_store()

    def store(self, data) -> str:
        return data.get("store_code") or legacy_store()

    def clean_store_code(self):
        code = self.cleaned_data.get("store_code") or legacy_store()
        if code not in dict(self.fields["store_code"].choices):
            raise forms.ValidationError(f"You do not keep stock in store {code}.")
        return code


class ReceiveStockForm(StoreStockForm):
    quantity = forms.IntegerField(min_value=1)
    supplier_reference = forms.CharField(max_length=100, required=False, help_text="The delivery note's number.")

    def success_message(self, product) -> str:
        return f"Received {self.cleaned_data['quantity']} × {product.name}. Store: {self.store(self.cleaned_data)}."

    def build_command(self, data):
        return c.ReceiveStock(product_id=self.instance_id, quantity=data["quantity"],
                              supplier_reference=data.get("supplier_reference") or None, store_code=self.store(data))


class AdjustStockForm(StoreStockForm):
    counted_quantity = forms.IntegerField(min_value=0)
    reason = forms.CharField(max_length=200)

    def success_message(self, product) -> str:
        return (f"Stock of {product.name} set to the {self.cleaned_data['counted_quantity']} counted. "
                f"Store: {self.store(self.cleaned_data)}.")

    def build_command(self, data):
        return c.AdjustStock(product_id=self.instance_id, counted_quantity=data["counted_quantity"],
                             reason=data["reason"], store_code=self.store(data))


@admin.register(ProductView)
class ProductAdmin(EventHistoryAdminMixin, CommandAdmin):
    form = ProductForm
    history_context = "catalog"
    event_sentences = CATALOG_SENTENCES
    list_display = ["sku_column", "name", "category_column", "price_column", "tax_column", "status", "on_hand",
                    "available", "low_stock_flag"]
    list_filter = [LowStockFilter, "status", "category_name"]
    search_fields = ["name", "sku", "barcode"]
    readonly_fields = ["stock_summary", "stock_per_store", "stock_actions", "recent_movements"]
    change_list_template = "admin/catalog/productview/change_list.html"
    actions = ["discontinue_selected", "reactivate_selected"]

    def get_fields(self, request, obj=None):
        fields = list(ProductForm._meta.fields)
        return fields + ["stock_summary", "stock_per_store", "stock_actions", "recent_movements"] if obj else fields

    def prepare_form(self, form, request, obj):
        categories = CategoryView.objects.filter(status="active").order_by("name")
        form.fields["category_id"].choices = [("", "---------")] + [(str(cat.id), cat.name) for cat in categories]

    def get_actions(self, request):
        return {name: value for name, value in super().get_actions(request).items() if name != "delete_selected"}

    sku_column = column("sku", "SKU")
    category_column = column("category_name", "category")
    price_column = column("unit_price", "price")

    @admin.display(description="tax", ordering="tax_rate")
    def tax_column(self, obj):
        return f"{obj.tax_rate.normalize():f} %"

    @admin.display(boolean=True, description="low")
    def low_stock_flag(self, obj):
        return obj.is_low_stock

    @admin.display(description="stock (all stores)")
    def stock_summary(self, obj):
        return f"on hand {obj.on_hand}, reserved {obj.reserved}, available {obj.available}"

    @admin.display(description="stock per store")
    def stock_per_store(self, obj):
        stores = StoreStockView.objects.filter(product_id=obj.pk).order_by("store_code")
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                                    "<td>{}</td></tr>", (
            (s.store_code, s.on_hand, s.reserved, s.available, s.low_stock_threshold,
             "yes" if s.is_low_stock else "", s.average_cost if s.average_cost is not None else "—") for s in stores))
        if not rows:
            return "—"
        return format_html('<table id="stock-per-store"><thead><tr><th>store</th><th>on hand</th><th>reserved</th>'
                           '<th>available</th><th>low at</th><th>low</th><th>average cost</th></tr></thead>'
                           '<tbody>{}</tbody></table>', rows)

    @admin.display(description="recent stock movements")
    def recent_movements(self, obj):
        moves = StockMovementView.objects.filter(product_id=obj.pk).order_by("-id")[:RECENT_MOVEMENTS]
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (date_format(localtime(m.at), "DATETIME_FORMAT"), m.store_code, m.kind,
             f"{m.on_hand_delta:+d}" if m.on_hand_delta else "", m.on_hand_after, m.reference) for m in moves))
        if not rows:
            return "—"
        return format_html('<table id="recent-movements"><thead><tr><th>when</th><th>store</th><th>what</th>'
                           '<th>change</th><th>on hand in the store after</th><th>reference</th></tr></thead>'
                           '<tbody>{}</tbody></table>', rows)

    @admin.display(description="stock actions")
    def stock_actions(self, obj):
        return format_html('<a class="button" href="{}">Receive stock</a> <a class="button" href="{}">Adjust stock</a>',
                           reverse("admin:catalog_productview_receive_stock", args=[obj.pk]),
                           reverse("admin:catalog_productview_adjust_stock", args=[obj.pk]))

    def get_urls(self):
        extra = [
            path("goods-in/", self.admin_site.admin_view(self.goods_in), name="catalog_productview_goods_in"),
            path("import/", self.admin_site.admin_view(self.import_csv), name="catalog_productview_import"),
            path("export.csv", self.admin_site.admin_view(self.export_csv), name="catalog_productview_export"),
            path("<path:object_id>/receive-stock/", self.admin_site.admin_view(self.receive_stock_view),
                 name="catalog_productview_receive_stock"),
            path("<path:object_id>/adjust-stock/", self.admin_site.admin_view(self.adjust_stock_view),
                 name="catalog_productview_adjust_stock"),
        ]
        return extra + super().get_urls()

    def goods_in(self, request):
        return goods_in_view(self, request)

    def import_csv(self, request):
        return product_csv.import_view(self, request)

    def export_csv(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return product_csv.export_csv(self.get_queryset(request))

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {
            "goods_in_url": reverse("admin:catalog_productview_goods_in"),
            "import_url": reverse("admin:catalog_productview_import"),
            "export_url": reverse("admin:catalog_productview_export"), **(extra_context or {})})

    def receive_stock_view(self, request, object_id):
        return command_form_view(self, request, object_id, _with_request(ReceiveStockForm, request), "Receive stock")

    def adjust_stock_view(self, request, object_id):
        return command_form_view(self, request, object_id, _with_request(AdjustStockForm, request),
                                 "Adjust stock after a count")

    def has_delete_permission(self, request, obj=None):
        return False  # products are discontinued, never deleted: their history and sales stay

    def _each(self, request, queryset, make_command, verb):
        done = 0
        for product in queryset:
            try:
                execute(make_command(product), Metadata.from_request(request))
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{product}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{verb} {done} product(s).", messages.SUCCESS)

    # Both change a product: a staff user who may only view products must not be offered them.
    @admin.action(description="Discontinue selected products", permissions=["change"])
    def discontinue_selected(self, request, queryset):
        self._each(request, queryset, lambda p: c.DiscontinueProduct(product_id=p.pk, reason="back office"),
                   "Discontinued")

    @admin.action(description="Reactivate selected products", permissions=["change"])
    def reactivate_selected(self, request, queryset):
        self._each(request, queryset, lambda p: c.ReactivateProduct(product_id=p.pk), "Reactivated")


@admin.register(TransferView)
class TransferAdmin(CommandAdmin):
    """Transfers between stores, read only: they are sent and received through the API
    (`/api/v1/catalog/transfers/`)."""

    list_display = ["sent_at", "from_store", "to_store", "status", "reference", "units_sent", "units_received",
                    "difference"]
    list_filter = ["status", "from_store", "to_store"]
    readonly_fields = ["from_store", "to_store", "status", "reference", "line_table", "units_sent", "units_received",
                       "difference", "sent_at", "received_at"]
    fields = readonly_fields

    @admin.display(description="lines")
    def line_table(self, obj):
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (line["sku"], line["name"], line["sent"], "—" if line["received"] is None else line["received"],
             "—" if line["difference"] is None else line["difference"]) for line in obj.lines))
        return format_html('<table id="transfer-lines"><thead><tr><th>SKU</th><th>product</th><th>sent</th>'
                           '<th>received</th><th>difference</th></tr></thead><tbody>{}</tbody></table>', rows)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
