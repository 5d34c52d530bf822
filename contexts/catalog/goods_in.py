"""The back office's goods-in page (/admin/catalog/productview/goods-in/): one delivery, many lines.
Each line is the catalog's `ReceiveStock` command, the same as the API's and the product page's;
the lines are received together or not at all (one transaction: a line the handler refuses rolls
the others back and is shown next to its line)."""

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
from .models import ProductView

LINES = 8  # empty lines on the page; blank ones are skipped


class DeliveryForm(forms.Form):
    supplier_reference = forms.CharField(label="Delivery note", max_length=100, required=False,
                                         help_text="The supplier's reference, kept with every line.")


class GoodsInLineForm(forms.Form):
    product = forms.TypedChoiceField(required=False, coerce=str, empty_value=None, choices=())
    quantity = forms.IntegerField(min_value=1, required=False)

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
    delivery = DeliveryForm(request.POST or None)
    lines = GoodsInLines(request.POST or None, prefix="line", form_kwargs={"choices": choices})
    if request.method == "POST" and delivery.is_valid() and lines.is_valid():
        wanted = [(n, form.cleaned_data) for n, form in enumerate(lines) if form.cleaned_data.get("product")]
        if not wanted:
            delivery.add_error(None, "Choose at least one product and its quantity.")
        elif _receive(request, delivery.cleaned_data["supplier_reference"] or None, wanted, lines):
            said = ", ".join(f"{line['quantity']} × {names[line['product']].split(' ', 1)[-1]}" for _, line in wanted)
            model_admin.message_user(request, f"Received {said}.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:catalog_productview_changelist"))
    context = {**model_admin.admin_site.each_context(request), "title": "Goods in", "opts": model_admin.opts,
               "delivery": delivery, "lines": lines}
    return TemplateResponse(request, "admin/catalog/goods_in.html", context)


def _receive(request, reference, wanted, lines) -> bool:
    meta = Metadata.from_request(request)
    try:
        with transaction.atomic():
            for n, line in wanted:
                current = n
                execute(c.ReceiveStock(product_id=line["product"], quantity=line["quantity"],
                                       supplier_reference=reference), meta)
    except DomainError as error:
        lines.forms[current].add_error(None, error.message)
        return False
    return True
