"""Back office for sales: pages over the read models; every write is a sales command.

- Tills: registered here (`RegisterTill`); read-only afterwards, with their event history.
- Till sessions: read-only (opened and closed at the till), with the Z-report as a table.
- Orders: read-only, with lines, payments, refunds and event history; "ship", "cancel" and
  "refund" run `ShipOrder`, `CancelOrder` and `RefundOrder`. A refused command becomes a message
  or a form error. The read rows change when the events are projected (at once in embedded mode).
"""

import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from infrastructure.admin.commands import (CommandAdmin, CommandForm, CommandModelForm, column, command_form_view,
                                          missing_object_redirect)
from infrastructure.admin.history import EventHistoryAdminMixin
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from kernel.errors import DomainError

from . import commands as c
from . import drawers
from .domain.tender import BUILT_IN, tender_stream_id
from .models import (
    OrderLineView, OrderView, PaymentView, RefundView, StoreDetails, TenderView, TillSessionView, TillView,
)
from .receipts import load_receipt, local_time, money, render_html, ship_to_lines

SALES = "sales"
BACK_OFFICE_CANCEL_REASON = "cancelled in the back office"


def _table(headers, rows, empty="—"):
    """A small HTML table (escaped) for a read-only field."""
    rows = list(rows)
    if not rows:
        return empty
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join("", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),)
                                                for row in rows))
    return format_html('<table class="pos-small-table"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
                       head, body)


def _when(moment) -> str:
    """The back office's one way to write a moment (pos_project/formats), in its time zone."""
    return date_format(localtime(moment), "DATETIME_FORMAT")


def _link(viewname, pk, text):
    return format_html('<a href="{}">{}</a>', reverse(viewname, args=[pk]), text)


# --- how the sales events read in a history -----------------------------------------------------
def _order(order_id):
    """An order's number, linked to its page."""
    if not order_id:
        return "—"
    number = OrderView.objects.filter(order_id=order_id).values_list("number", flat=True).first()
    return _link("admin:sales_orderview_change", order_id, number or "an order")


def _lines(lines):
    return ", ".join(f"{line.get('quantity')} × {line.get('name') or line.get('sku') or line.get('line_no')}"
                     for line in lines or ())


def _d(entry):
    return entry["data"]


def _z(entry):
    return entry["data"].get("z_report") or {}


def _tender_rules(data) -> str:
    return ", ".join(["gives change" if data["gives_change"] else "gives no change",
                      "needs a reference" if data["needs_reference"] else "no reference"])


SALES_SENTENCES = {
    "TillRegistered": lambda a, e: f"“{_d(e)['name']}” in store {_d(e)['store_code']}",
    "TillSessionOpened": lambda a, e: f"by {_d(e)['cashier']} with a float of {money(_d(e)['opening_float'])}",
    "CashMovementRecorded": lambda a, e: f"{money(_d(e)['amount'])} by {_d(e)['cashier']}: {_d(e)['reason']}",
    "TillSessionClosed": lambda a, e: (f"by {_d(e)['cashier']}; net {money(_z(e).get('net'))}, "
                                       f"cash difference {money(_z(e).get('cash_difference'))}"),
    "SessionSaleRecorded": lambda a, e: format_html("{} for {}", _order(_d(e)["order_id"]), money(_d(e)["total"])),
    "SessionPaymentRecorded": lambda a, e: format_html("{} {} for {}", money(_d(e)["amount"]), _d(e)["method"],
                                                       _order(_d(e)["order_id"])),
    "SessionRefundRecorded": lambda a, e: format_html("{} {} back for {}", money(_d(e)["amount"]), _d(e)["method"],
                                                      _order(_d(e)["order_id"])),
    "SessionVoidRecorded": lambda a, e: format_html("{} for {} voided", _order(_d(e)["order_id"]),
                                                    money(_d(e)["total"])),
    "OrderPlaced": lambda a, e: (f"{_d(e)['number']} by {_d(e).get('cashier') or 'a customer'}: "
                                 f"{_lines(_d(e)['lines'])}; total {money(_d(e)['total'])}"),
    "PaymentRecorded": lambda a, e: (f"{money(_d(e)['amount'])} {_d(e)['method']}"
                                     + (f" (tendered {money(_d(e)['tendered'])}, change {money(_d(e)['change'])})"
                                        if _d(e).get("change") not in (None, "0", "0.00") else "")),
    "OrderCompleted": lambda a, e: f"{_d(e)['number']}: paid {money(_d(e)['paid'])} of {money(_d(e)['total'])}",
    "OrderRefunded": lambda a, e: (f"{_lines(_d(e)['lines'])}, {money(_d(e)['total'])} {_d(e)['method']} "
                                   f"by {_d(e)['cashier']}" + (f": {_d(e)['reason']}" if _d(e).get("reason") else "")),
    "OrderVoided": lambda a, e: f"by {_d(e)['cashier']}: {_d(e).get('reason') or 'no reason given'}",
    "TenderDefined": lambda a, e: (f"“{_d(e)['name']}” ({_d(e)['code']}): " + _tender_rules(_d(e))),
    "TenderChanged": lambda a, e: (f"now “{_d(e)['name']}”: " + _tender_rules(_d(e))),
    "TenderRetired": lambda a, e: "no payment may use it any more",
    "TenderReinstated": lambda a, e: "payments may use it again",
    "OrderCancelled": lambda a, e: "; ".join(_d(e).get("reasons") or ()) or "—",
}


def store_time(field: str, description: str):
    """A list column showing a moment as the row's store reads it ("2026-12-02 09:15 CET"), sortable
    by the field: people see their store's local time, whatever the back office's zone."""

    @admin.display(description=description, ordering=field)
    def show(model_admin, obj):
        value = getattr(obj, field)
        if value is None:
            return "—"
        zones = getattr(model_admin, "_store_zones", None)
        if zones is None:  # outside a list (a page): look the one store up
            zones = dict(StoreDetails.objects.filter(code=obj.store_code).values_list("code", "time_zone"))
        zone = zones.get(obj.store_code)
        return local_time(value, StoreDetails(time_zone=zone) if zone else None)

    return show


class StoreTimesMixin:
    """Reads the stores' time zones once per list page for `store_time` columns."""

    def changelist_view(self, request, extra_context=None):
        self._store_zones = dict(StoreDetails.objects.values_list("code", "time_zone"))
        try:
            return super().changelist_view(request, extra_context)
        finally:
            self._store_zones = None


class SalesHistoryMixin(EventHistoryAdminMixin):
    history_context = SALES
    event_sentences = SALES_SENTENCES

    def till_name(self, till_id):
        if not till_id:
            return "—"
        till = TillView.objects.filter(till_id=till_id).first()
        return till.name if till else "a till"


class TillFilter(admin.SimpleListFilter):
    """Filter by till, listed by name (the rows only hold the till's id)."""

    title = "till"
    parameter_name = "till"

    def lookups(self, request, model_admin):
        return [(str(till.till_id), str(till)) for till in TillView.objects.order_by("store_code", "name")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            return queryset.filter(till_id=uuid.UUID(value))
        except ValueError:
            return queryset.none()


class ReadOnlyAdmin(admin.ModelAdmin):
    """Pages over rows that only projections write: no add, no change, no delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- tills ------------------------------------------------------------------------------------
class TillForm(CommandModelForm):
    class Meta:
        model = TillView
        fields = ["name", "store_code"]
        help_texts = {"store_code": "The code of a store registered under Stores and open (e.g. S1); the till "
                                    "takes its name."}

    def build_command(self, data):
        return c.RegisterTill(till_id=uuid.uuid4(), name=data["name"], store_code=data["store_code"])


@admin.register(TillView)
class TillAdmin(SalesHistoryMixin, CommandAdmin):
    form = TillForm
    list_display = ["name", "store_code", "store_name", "open_session", "registered_at"]
    list_filter = ["store_code"]
    search_fields = ["name", "store_code", "store_name"]
    readonly_fields = ["open_session", "sessions"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return list(TillForm._meta.fields)
        return ["name", "store_code", "store_name", "open_session", "sessions", "registered_at", "till_id",
                "version"]

    def has_change_permission(self, request, obj=None):
        return False  # a till is not renamed or moved: its page is its record and its history

    def has_delete_permission(self, request, obj=None):
        return False  # its sessions and sales keep referring to it

    @admin.display(description="open session")
    def open_session(self, obj):
        if not obj.open_session_id:
            return "—"
        return _link("admin:sales_tillsessionview_change", obj.open_session_id, "open (see the session)")

    @admin.display(description="sessions")
    def sessions(self, obj):
        url = reverse("admin:sales_tillsessionview_changelist") + f"?till={obj.till_id}"
        count = TillSessionView.objects.filter(till_id=obj.till_id).count()
        return format_html('<a href="{}">{} session(s)</a>', url, count)


# --- tenders ----------------------------------------------------------------------------------
class TenderForm(CommandModelForm):
    class Meta:
        model = TenderView
        fields = ["code", "name", "gives_change", "needs_reference", "active"]
        help_texts = {"code": "What tills send, e.g. voucher (lower case, 2 to 20 letters, digits, - or _).",
                      "name": "What receipts and Z-reports show.",
                      "gives_change": "Like cash: more may be handed over than is owed, the rest goes back.",
                      "needs_reference": "Each payment names the voucher's or cheque's number.",
                      "active": "Untick to retire it: payments by it are refused; past sales keep it."}

    def build_command(self, data):
        if self.instance_id is None:
            return c.DefineTender(code=data["code"], name=data["name"], gives_change=data["gives_change"],
                                  needs_reference=data["needs_reference"])
        return c.ChangeTender(code=self.instance_id, name=data["name"], gives_change=data["gives_change"],
                              needs_reference=data["needs_reference"], active=data["active"])


@admin.register(TenderView)
class TenderAdmin(SalesHistoryMixin, CommandAdmin):
    """The shop's own ways to pay (cash, card and loyalty points are built in)."""

    form = TenderForm
    list_display = ["name", "code", "gives_change", "needs_reference", "active"]
    list_filter = ["active"]

    def stream_id_of(self, object_id) -> str:
        return str(tender_stream_id(object_id))

    def get_fields(self, request, obj=None):
        return ["code", "name", "gives_change", "needs_reference"] + (["active"] if obj else [])

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False  # retired (untick "active"), never deleted: past payments name it


# --- till sessions ----------------------------------------------------------------------------
@admin.register(TillSessionView)
class TillSessionAdmin(StoreTimesMixin, SalesHistoryMixin, ReadOnlyAdmin):
    # What fits 1366 px beside the filters; the rest is on the session's page.
    list_display = ["opened_column", "till_name", "cashier", "status", "sales_column", "net",
                    "cash_difference_column", "closed_column"]
    list_filter = ["status", TillFilter, "cashier"]
    search_fields = ["cashier", "till_name", "store_code"]
    date_hierarchy = "opened_at"
    fieldsets = [
        (None, {"fields": ["till_name", "store_code", "cashier", "status", "opened_at", "closed_at", "orders"]}),
        ("Figures (the drawer's while open, the Z-report's once closed)", {"fields": [
            "opening_float", "cash_in", "cash_out", "sales_count", "gross", "discounts", "tax", "refund_count",
            "refunds", "net", "expected_cash", "expected_card", "counted_cash", "cash_difference"]}),
        ("Z-report", {"fields": ["z_report_table"]}),
        ("Record", {"fields": ["session_id", "till_id", "version"]}),
    ]
    readonly_fields = ["orders", "z_report_table"]

    sales_column = column("sales_count", "sales")
    opened_column = store_time("opened_at", "opened")

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        return drawers.with_running_figures([obj])[0] if obj is not None else None

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        changelist.result_list = drawers.with_running_figures(changelist.result_list)
        return changelist
    closed_column = store_time("closed_at", "closed")
    cash_difference_column = column("cash_difference", "cash diff.")

    @admin.display(description="orders")
    def orders(self, obj):
        url = reverse("admin:sales_orderview_changelist") + f"?session_id={obj.session_id}"
        count = OrderView.objects.filter(session_id=obj.session_id).count()
        return format_html('<a href="{}">{} order(s)</a>', url, count)

    @admin.display(description="Z-report")
    def z_report_table(self, obj):
        z = obj.z_report
        if not z:
            return "— (the session is still open)"
        summary = _table(["", "amount"], [
            *([("Z number", z["z_number"])] if z.get("z_number") else []),
            ("Sales", z.get("sales_count")), ("Gross", money(z.get("gross"))),
            ("Discounts", money(z.get("discounts"))), ("Tax", money(z.get("tax"))),
            (f"Refunds ({z.get('refund_count', 0)})", money(z.get("refunds"))), ("Net", money(z.get("net"))),
            ("Opening float", money(z.get("opening_float"))), ("Cash in", money(z.get("cash_in"))),
            ("Cash out", money(z.get("cash_out"))), ("Cash difference", money(z.get("cash_difference"))),
        ])
        methods = _table(["method", "expected", "counted", "difference"], [
            (m.get("method"), money(m.get("expected")), money(m.get("counted")), money(m.get("difference")))
            for m in z.get("methods", ())])
        taxes = _table(["tax rate", "taxable", "tax"], [
            (f"{t['rate']} %", money(t["taxable"]), money(t["tax"])) for t in z.get("taxes", ())],
            empty="(tax by rate: not recorded for sessions closed before it was)")
        return format_html('<div class="z-report">{}<br>{}<br>{}</div>', summary, methods, taxes)


# --- orders -----------------------------------------------------------------------------------
class ConfirmForm(CommandForm):
    """A command with nothing to fill in: the page asks for a tick, the button runs it."""

    confirm = forms.BooleanField(label="I confirm", required=True)


class ShipForm(ConfirmForm):
    def success_message(self, order):
        return f"Order {order.number} shipped."

    def build_command(self, data):
        return c.ShipOrder(order_id=self.instance_id)


class CancelForm(ConfirmForm):
    def success_message(self, order):
        return f"Order {order.number} cancelled."

    def build_command(self, data):
        return c.CancelOrder(order_id=self.instance_id, reasons=(BACK_OFFICE_CANCEL_REASON,))


class RefundForm(CommandForm):
    METHODS = [("original", "as paid (original method)")]  # then the tenders, built in and the shop's
    line_choices: list = []
    till_choices: list = []

    line_no = forms.TypedChoiceField(label="Line", coerce=int, choices=())
    quantity = forms.IntegerField(min_value=1)
    method = forms.ChoiceField(choices=(), initial="original")
    reason = forms.CharField(max_length=200)
    till_id = forms.TypedChoiceField(label="Till", required=False, coerce=uuid.UUID, empty_value=None, choices=(),
                                     help_text="The till (with an open session) the money goes back through: "
                                               "every refund, cash or card, is counted in a till session.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line_no"].choices = self.line_choices
        self.fields["till_id"].choices = [("", "---------")] + self.till_choices
        self.fields["method"].choices = self.METHODS[:1] + [(code, rule.name.lower()) for code, rule in BUILT_IN.items()] + [
            (t.code, t.name) for t in TenderView.objects.filter(active=True)]

    @classmethod
    def for_order(cls, order_id):
        """The form with the order's lines (and the open tills) to choose from."""
        lines = [(line.line_no, f"{line.line_no}. {line.name} — {line.quantity} sold, {line.refunded_quantity} "
                                f"refunded") for line in OrderLineView.objects.filter(order_id=order_id)]
        tills = [(str(t.till_id), str(t)) for t in TillView.objects.filter(open_session_id__isnull=False)]
        return type(cls.__name__, (cls,), {"line_choices": lines, "till_choices": tills})

    def success_message(self, order):
        data = self.cleaned_data
        line = dict(self.line_choices).get(data["line_no"], "").split(" — ")[0]
        return f"Refunded {data['quantity']} × {line.split('. ', 1)[-1]} of order {order.number}."

    def build_command(self, data):
        return c.RefundOrder(order_id=self.instance_id, refund_id=uuid.uuid4(),
                             lines=(c.RefundLineRequest(line_no=data["line_no"], quantity=data["quantity"]),),
                             method=data["method"], cashier=self.request.user.get_username(),
                             reason=data["reason"], till_id=data.get("till_id"))


@admin.register(OrderView)
class OrderAdmin(StoreTimesMixin, SalesHistoryMixin, admin.ModelAdmin):
    """Read-only pages; the change permission is what allows the commands (ship, cancel, refund)."""

    # What fits 1366 px beside the filters; the rest is on the order's page.
    list_display = ["number", "placed_column", "status_column", "store_column", "cashier", "customer_column", "total",
                    "paid"]
    list_filter = ["status", "kind", "refund_status", TillFilter, "cashier", "store_code"]
    date_hierarchy = "placed_at"
    search_fields = ["number", "customer_name"]
    actions = ["ship_selected", "cancel_selected"]
    fieldsets = [
        (None, {"fields": ["number", "kind", "status", "refund_status", "order_actions"]}),
        ("Where and who", {"fields": ["store_code", "till", "session", "cashier", "customer_name"]}),
        ("When", {"fields": ["placed_at", "confirmed_at", "completed_at", "shipped_at", "cancelled_at",
                             "cancelled_reasons_text"]}),
        ("Lines", {"fields": ["lines_table"]}),
        ("Amounts", {"fields": ["gross", "discount_total", "subtotal", "tax_total", "total", "paid", "change",
                                "refunded_total"]}),
        ("Payments", {"fields": ["payments_table"]}),
        ("Refunds", {"fields": ["refunds_table"]}),
        ("Delivery", {"fields": ["ship_to_text"]}),
        ("Record", {"fields": ["order_id", "customer_id", "version", "updated_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [name for _, options in self.fieldsets for name in options["fields"]]  # everything

    def has_add_permission(self, request):
        return False  # orders are placed at a till or through the API

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("An order is changed only by its commands (ship, cancel, refund).")
        extra_context = {"title": "View order", "show_save": False, "show_save_and_continue": False,
                         "show_save_and_add_another": False, "show_delete": False, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context)

    placed_column = store_time("placed_at", "placed")
    store_column = column("store_code", "store")
    customer_column = column("customer_name", "customer")

    @admin.display(description="status", ordering="status")
    def status_column(self, obj):
        refunded = {OrderView.FULLY_REFUNDED: ", refunded", OrderView.PARTLY_REFUNDED: ", part refunded"}
        delivery = "delivery " if obj.kind == "delivery" else ""
        return f"{delivery}{obj.status}{refunded.get(obj.refund_status, '')}"


    # -- read-only fields ----------------------------------------------------------------------
    @admin.display(description="actions")
    def order_actions(self, obj):
        links = [("receipt", "Receipt")]
        if obj.kind == "delivery" and obj.status == OrderView.COMPLETED:
            links.append(("ship", "Ship"))
        if obj.kind == "delivery" and obj.status in (OrderView.PLACED, OrderView.CONFIRMED):
            links.append(("cancel", "Cancel"))
        refundable = OrderView.COMPLETED if obj.kind == "till" else OrderView.SHIPPED
        if obj.status == refundable and obj.refund_status != OrderView.FULLY_REFUNDED:
            links.append(("refund", "Refund"))
        return format_html_join(" ", '<a class="button" href="{}">{}</a>', (
            (reverse(f"admin:sales_orderview_{name}", args=[obj.pk]), label) for name, label in links))

    @admin.display(description="till")
    def till(self, obj):
        if not obj.till_id:
            return "—"
        till = TillView.objects.filter(till_id=obj.till_id).first()
        return _link("admin:sales_tillview_change", obj.till_id, str(till) if till else obj.till_id)

    @admin.display(description="till session")
    def session(self, obj):
        return _link("admin:sales_tillsessionview_change", obj.session_id, obj.session_id) if obj.session_id else "—"

    @admin.display(description="cancelled because")
    def cancelled_reasons_text(self, obj):
        return "; ".join(obj.cancelled_reasons or []) or "—"

    @admin.display(description="ship to")
    def ship_to_text(self, obj):
        return ", ".join(ship_to_lines(obj.ship_to)) or "—"

    @admin.display(description="lines")
    def lines_table(self, obj):
        return _table(["#", "SKU", "name", "qty", "unit price", "tax rate", "discount %", "gross", "discount",
                       "total", "tax", "refunded"], [
            (line.line_no, line.sku, line.name, line.quantity, money(line.unit_price), f"{line.tax_rate}%",
             line.discount_percent, money(line.gross), money(line.discount), money(line.total), money(line.tax),
             f"{line.refunded_quantity} ({money(line.refunded_amount)})")
            for line in OrderLineView.objects.filter(order_id=obj.order_id).order_by("line_no")])

    @admin.display(description="payments")
    def payments_table(self, obj):
        return _table(["when", "method", "tendered", "kept", "change", "session"], [
            (_when(p.recorded_at), p.method, money(p.tendered), money(p.amount), money(p.change),
             _link("admin:sales_tillsessionview_change", p.session_id, "till session") if p.session_id else "—")
            for p in PaymentView.objects.filter(order_id=obj.order_id).order_by("recorded_at", "payment_id")])

    @admin.display(description="refunds")
    def refunds_table(self, obj):
        return _table(["when", "method", "total", "tax", "lines", "by", "reason"], [
            (_when(r.recorded_at), r.method, money(r.total), money(r.tax),
             ", ".join(f"{item.get('quantity')} x {item.get('name') or item.get('line_no')}" for item in r.lines),
             r.cashier, r.reason or "—")
            for r in RefundView.objects.filter(order_id=obj.order_id).order_by("recorded_at", "refund_id")])

    # -- command pages -------------------------------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view
        extra = [
            path("<path:object_id>/ship/", view(self.ship_view), name="sales_orderview_ship"),
            path("<path:object_id>/cancel/", view(self.cancel_view), name="sales_orderview_cancel"),
            path("<path:object_id>/refund/", view(self.refund_view), name="sales_orderview_refund"),
            path("<path:object_id>/receipt/", view(self.receipt_view), name="sales_orderview_receipt"),
        ]
        return extra + super().get_urls()

    def ship_view(self, request, object_id):
        return command_form_view(self, request, object_id, ShipForm, "Ship order")

    def cancel_view(self, request, object_id):
        return command_form_view(self, request, object_id, CancelForm, "Cancel order")

    def refund_view(self, request, object_id):
        obj = self.get_object(request, object_id)
        form_cls = RefundForm.for_order(obj.order_id) if obj is not None else RefundForm
        return command_form_view(self, request, object_id, form_cls, "Refund")

    def receipt_view(self, request, object_id):
        obj = self.get_object(request, object_id)
        if obj is None:
            return missing_object_redirect(self, request, object_id)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        return HttpResponse(render_html(**load_receipt(obj),
                                        back_url=reverse("admin:sales_orderview_change", args=[obj.pk])))

    # -- changelist actions --------------------------------------------------------------------
    def _each(self, request, queryset, make_command, verb):
        done = 0
        for order in queryset:
            try:
                execute(make_command(order), Metadata.from_request(request))
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{order.number}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{verb} {done} order(s).",
                          messages.SUCCESS if done else messages.INFO)

    @admin.action(description="Ship selected delivery orders", permissions=["change"])
    def ship_selected(self, request, queryset):
        self._each(request, queryset, lambda order: c.ShipOrder(order_id=order.order_id), "Shipped")

    @admin.action(description="Cancel selected delivery orders", permissions=["change"])
    def cancel_selected(self, request, queryset):
        self._each(request, queryset, lambda order: c.CancelOrder(order_id=order.order_id,
                                                                  reasons=(BACK_OFFICE_CANCEL_REASON,)), "Cancelled")
