"""Products as CSV in the back office: export the list, import a file (products list, top right).

An import is checked first (a dry run) and says, row by row, what it would do: add, change (which
fields), leave unchanged, or why the row is refused. Every row is the catalog's own command
(`CreateProduct` for a new SKU, `UpdateProduct` for a known one), the same as the API's; the dry
run executes them in a transaction that is rolled back, so it applies exactly the handlers' rules
(a taken barcode, a tax rate over 100) and writes nothing. The import itself runs them in one
transaction: a file with any refused row imports nothing."""

import csv
import io
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from kernel.errors import DomainError

from . import commands as c
from .models import CategoryView, ProductView

COLUMNS = ["sku", "barcode", "name", "category", "unit_price", "tax_rate", "price_includes_tax",
           "low_stock_threshold"]
REQUIRED = ("sku", "name", "unit_price", "tax_rate")
MAX_BYTES = 2_000_000
YES, NO = {"yes", "true", "1", "y"}, {"no", "false", "0", "n", ""}


def export_csv(queryset) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="products.csv"'
    writer = csv.writer(response)
    writer.writerow(COLUMNS)
    for p in queryset.order_by("sku"):
        writer.writerow([p.sku, p.barcode or "", p.name, p.category_name, p.unit_price, p.tax_rate,
                         "yes" if p.price_includes_tax else "no", p.low_stock_threshold])
    return response


class RowError(Exception):
    def __init__(self, column, message):
        super().__init__(message)
        self.column, self.message = column, message


@dataclass
class RowResult:
    line: int  # the file's line number (the header is line 1)
    sku: str
    action: str = ""  # add, change, unchanged, refused
    changes: list = field(default_factory=list)
    error: str = ""


def _decimal(row, name):
    try:
        return Decimal(row[name].strip().replace(",", "."))
    except (InvalidOperation, AttributeError):
        raise RowError(name, f"“{row[name]}” is not a number.") from None


def _details(row: dict, categories: dict) -> dict:
    for name in REQUIRED:
        if not (row.get(name) or "").strip():
            raise RowError(name, "is required.")
    category = (row.get("category") or "").strip()
    if category and category.lower() not in categories:
        raise RowError("category", f"there is no category named “{category}”.")
    includes = (row.get("price_includes_tax") or "yes").strip().lower()
    if includes not in YES | NO:
        raise RowError("price_includes_tax", f"“{row['price_includes_tax']}” is neither yes nor no.")
    threshold = (row.get("low_stock_threshold") or "0").strip()
    if not threshold.lstrip("-").isdigit():
        raise RowError("low_stock_threshold", f"“{threshold}” is not a whole number.")
    return {"sku": row["sku"].strip(), "name": row["name"].strip(),
            "barcode": (row.get("barcode") or "").strip() or None,
            "category_id": categories.get(category.lower()) if category else None,
            "unit_price": _decimal(row, "unit_price"), "tax_rate": _decimal(row, "tax_rate"),
            "price_includes_tax": includes in YES, "low_stock_threshold": int(threshold)}


def _changes(product: ProductView, details: dict) -> list[str]:
    now = {"sku": product.sku, "name": product.name, "barcode": product.barcode or None,
           "category_id": product.category_id, "unit_price": product.unit_price, "tax_rate": product.tax_rate,
           "price_includes_tax": product.price_includes_tax, "low_stock_threshold": product.low_stock_threshold}
    return [f"{name}: {now[name]} → {value}" for name, value in details.items()
            if str(now[name] or "") != str(value or "") and not (isinstance(value, Decimal) and value == now[name])]


class _DryRun(Exception):
    """Raised to roll a checked import back."""


def run_import(text: str, meta: Metadata, *, dry_run: bool) -> list[RowResult]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [name for name in REQUIRED if name not in (reader.fieldnames or [])]
    if missing:
        raise RowError(None, f"The file has no column {', '.join(missing)} (expected: {', '.join(COLUMNS)}).")
    categories = {cat.name.lower(): cat.id for cat in CategoryView.objects.filter(status="active")}
    known = {p.sku.upper(): p for p in ProductView.objects.all()}
    results = []
    try:
        with transaction.atomic():
            for line, row in enumerate(reader, start=2):
                result = RowResult(line=line, sku=(row.get("sku") or "").strip())
                results.append(result)
                try:
                    details = _details(row, categories)
                    product = known.get(details["sku"].upper())
                    if product is None:
                        command, result.action = c.CreateProduct(product_id=uuid.uuid4(), **details), "add"
                    else:
                        result.changes = _changes(product, details)
                        if not result.changes:
                            result.action = "unchanged"
                            continue
                        command, result.action = c.UpdateProduct(product_id=product.pk, **details), "change"
                    with transaction.atomic():  # a refused row leaves the others' work in place
                        execute(command, meta)
                except RowError as error:
                    result.action, result.error = "refused", f"{error.column}: {error.message}"
                except DomainError as error:
                    result.action, result.error = "refused", (f"{error.field}: " if error.field else "") + error.message
            if dry_run or any(r.error for r in results):
                raise _DryRun
    except _DryRun:
        pass
    return results


class ImportForm(forms.Form):
    file = forms.FileField(help_text=f"A CSV file with the columns {', '.join(COLUMNS)} (as the export writes them).")


def import_view(model_admin, request):
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    results, summary = None, None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            form.add_error("file", "The file is larger than 2 MB.")
        else:
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                form.add_error("file", "The file is not UTF-8 text.")
                text = None
            if text is not None:
                dry_run = "import" not in request.POST
                try:
                    results = run_import(text, Metadata.from_request(request), dry_run=dry_run)
                except RowError as error:
                    form.add_error("file", error.message)
                else:
                    summary = {action: sum(1 for r in results if r.action == action)
                               for action in ("add", "change", "unchanged", "refused")}
                    if not dry_run and not summary["refused"]:
                        model_admin.message_user(request, f"Imported: {summary['add']} product(s) added, "
                                                          f"{summary['change']} changed, {summary['unchanged']} "
                                                          "unchanged.", messages.SUCCESS)
                        return HttpResponseRedirect(reverse("admin:catalog_productview_changelist"))
    context = {**model_admin.admin_site.each_context(request), "title": "Import products from CSV",
               "opts": model_admin.opts, "form": form, "results": results, "summary": summary,
               "refused": [r for r in results or () if r.error]}
    return TemplateResponse(request, "admin/catalog/import_products.html", context)
