"""The back office's goods-in page (/admin/catalog/productview/goods-in/): one delivery into one
store, many lines (product, quantity, unit cost, and the line's supplier if not the delivery's).
The delivery is the catalog's `ReceiveGoods` command, the same as the API's
`POST /api/v1/catalog/goods-in/`: its lines are received together or not at all (a line the
handler refuses is shown next to its line). A store manager is offered their own stores only."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from kernel.errors import DomainError

from . import commands as c
from .legacy_stock import legacy_store
from .models import ProductView
from .stock_stores import store_choices

LINES = 8  # empty lines on the page; blank ones are skipped


class DeliveryForm(forms.Form):
    store_code = forms.ChoiceField(label="Store", choices=())
    supplier = forms.CharField(max_length=100, required=False, help_text="Who delivered (each line may name another).")
    supplier_reference = forms.CharField(label="Delivery note", max_length=100, required=False,
                                         help_text="The supplier's reference, kept with every line.")

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store_code"].choices = store_choices(request)
        self.fields["store_code"].initial = legacy_store()


class GoodsInLineForm(forms.Form):
    product = forms.TypedChoiceField(required=False, coerce=str, empty_value=None, choices=())
    quantity = forms.IntegerField(min_value=1, required=False)
    unit_cost = forms.DecimalField(min_value=0, max_digits=8, decimal_places=2, required=False,
                                   help_text="Empty: the product's cost price.")
    supplier = forms.CharField(max_length=100, required=False)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", "---------"), *choices]

    def clean(self):
        data = super().clean()
        if data.get("product") and not data.get("quantity") and "quantity" not in self.errors:
            self.add_error("quantity", "How many came in?")
        if data.get("quantity") and not data.get("product"):
            self.add_error("product", "Which product?")
        return data


GoodsInLines = forms.formset_factory(GoodsInLineForm, extra=LINES)


def goods_in_view(model_admin, request):
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    products = ProductView.objects.filter(status="active").order_by("sku")
    choices = [(str(p.pk), f"{p.sku} {p.name}") for p in products]
    names = dict(choices)
    delivery = DeliveryForm(request.POST or None, request=request)
    lines = GoodsInLines(request.POST or None, prefix="line", form_kwargs={"choices": choices})
    if request.method == "POST" and delivery.is_valid() and lines.is_valid():
        wanted = [(n, form.cleaned_data) for n, form in enumerate(lines) if form.cleaned_data.get("product")]
        if not wanted:
            delivery.add_error(None, "Choose at least one product and its quantity.")
        elif _receive(request, delivery.cleaned_data, wanted, lines, delivery):
            said = ", ".join(f"{line['quantity']} × {names[line['product']].split(' ', 1)[-1]}" for _, line in wanted)
            model_admin.message_user(request, f"Received {said}.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:catalog_productview_changelist"))
    context = {**model_admin.admin_site.each_context(request), "title": "Goods in", "opts": model_admin.opts,
               "delivery": delivery, "lines": lines}
    return TemplateResponse(request, "admin/catalog/goods_in.html", context)


def _receive(request, delivery: dict, wanted, lines, delivery_form) -> bool:
    command = c.ReceiveGoods(store_code=delivery["store_code"], lines=tuple(
        c.GoodsInLine(product_id=line["product"], quantity=line["quantity"], unit_cost=line.get("unit_cost"),
                      supplier=line.get("supplier") or delivery.get("supplier") or None,
                      supplier_reference=delivery.get("supplier_reference") or None)
        for _, line in wanted))
    try:
        with transaction.atomic():
            execute(command, Metadata.from_request(request))
    except DomainError as error:
        # `lines.<n>.<field>`: the n-th line received, i.e. the n-th of `wanted`
        parts = (error.field or "").split(".")
        if len(parts) >= 2 and parts[0] == "lines" and parts[1].isdigit():
            lines.forms[wanted[int(parts[1])][0]].add_error(None, error.message)
        else:
            delivery_form.add_error(None, error.message)
        return False
    return True
