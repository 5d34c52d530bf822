"""The back office's reports (/admin/reports/): a date range, a store, one report at a time as a
table with its totals, each downloadable as CSV; Z-reports printable (and as PDF where WeasyPrint
is installed). Managers only. Every figure comes from `reports.py`, the same as the API's."""

import csv
import importlib.util

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from rest_framework.exceptions import ValidationError

from infrastructure.access.roles import MANAGER, request_roles

from . import reports
from .api.params import period_from
from .models import CompletedSale, Refund, TillEntry


def _figures(*names):
    labels = {"orders": "Orders", "items": "Items", "gross": "Gross", "discounts": "Discounts", "tax": "Tax",
              "total": "Taken", "refunds": "Refunds", "net": "Net", "average_basket": "Avg. basket",
              "products": "Products", "refund_count": "Refunds (n)"}
    return [(name, labels[name]) for name in names]


SALES = ("orders", "items", "gross", "discounts", "tax", "total", "refunds", "net")


def _hour_rows(period):
    result = reports.sales_by_hour(period)
    rows = [{**row, "hour": f"{row['hour']:02d}:00–{row['hour'] + 1:02d}:00"} for row in result["rows"]
            if row["orders"] or row["refunds"]]
    return {"rows": rows, "totals": result["totals"]}


def _refund_rows(period):
    refunds = period.filter(Refund.objects.all()).order_by("recorded_at")
    numbers = dict(CompletedSale.objects.filter(order_id__in=[r.order_id for r in refunds])
                   .values_list("order_id", "number"))
    rows = [{"day": r.day, "store_code": r.store_code, "order": numbers.get(r.order_id, ""), "cashier": r.cashier,
             "method": r.method, "total": r.total, "tax": r.tax} for r in refunds]
    return {"rows": rows, "totals": {"order": f"{len(rows)} refund(s)",
                                     "total": sum((r["total"] for r in rows), reports.ZERO),
                                     "tax": sum((r["tax"] for r in rows), reports.ZERO)}}


def _sessions(period):
    return reports.z_reports(period.start, period.end, store=period.store)


def _void_rows(period):
    rows = [{"opened_at": s["opened_at"], "till_name": s["till_name"], "cashier": s["cashier"],
             "void_count": s["z_report"]["void_count"], "voids": s["z_report"]["voids"]}
            for s in _sessions(period) if s["z_report"]["void_count"]]
    return {"rows": rows, "totals": {"void_count": sum(r["void_count"] for r in rows),
                                     "voids": sum((r["voids"] for r in rows), reports.ZERO)}}


def _z_rows(period):
    rows = [{"session_id": s["session_id"], "opened_at": s["opened_at"], "closed_at": s["closed_at"],
             "till_name": s["till_name"], "cashier": s["cashier"], "status": s["status"],
             "sales_count": s["z_report"]["sales_count"], "net": s["z_report"]["net"],
             "cash_difference": s["z_report"]["cash_difference"]} for s in _sessions(period)]
    return {"rows": rows, "totals": {"sales_count": sum(r["sales_count"] for r in rows),
                                     "net": sum((r["net"] for r in rows), reports.ZERO)}}


#: slug -> (title, columns, rows and totals of a period)
REPORTS = {
    "daily": ("Sales by day", [("day", "Day"), ("store_code", "Store"), *_figures(*SALES)], reports.daily_sales),
    "products": ("Sales by product", [("sku", "SKU"), ("name", "Product"), ("category_name", "Category"),
                                      *_figures(*SALES)], reports.sales_by_product),
    "categories": ("Sales by category", [("category_name", "Category"), *_figures("products", *SALES[1:])],
                   reports.sales_by_category),
    "cashiers": ("Sales by cashier", [("cashier", "Cashier"), *_figures(*SALES, "average_basket")],
                 reports.sales_by_cashier),
    "hours": ("Sales by hour", [("hour", "Hour (store's time)"), *_figures(*SALES)], _hour_rows),
    "payments": ("Payments by tender", [("method", "Tender"), ("payments", "Payments"), ("amount", "Taken"),
                                        ("share", "Share %"), ("refund_count", "Refunds (n)"), ("refunds", "Refunds"),
                                        ("net", "Net")], reports.payment_mix),
    "taxes": ("Tax by rate", [("rate", "Rate %"), ("orders", "Orders"), ("total", "Taken"),
                              ("without_tax", "Without tax"), ("tax", "Tax"), ("refunds", "Refunds"),
                              ("refund_tax", "Refund tax"), ("tax_due", "Tax due")], reports.tax_by_rate),
    "refunds": ("Refunds", [("day", "Day"), ("store_code", "Store"), ("order", "Order"), ("cashier", "By"),
                            ("method", "Tender"), ("total", "Amount"), ("tax", "Tax")], _refund_rows),
    "voids": ("Voided sales", [("opened_at", "Session opened"), ("till_name", "Till"), ("cashier", "Cashier"),
                               ("void_count", "Voids"), ("voids", "Amount")], _void_rows),
    "z-reports": ("Z-reports", [("opened_at", "Opened"), ("closed_at", "Closed"), ("till_name", "Till"),
                                ("cashier", "Cashier"), ("status", "Status"), ("sales_count", "Sales"), ("net", "Net"),
                                ("cash_difference", "Cash diff.")], _z_rows),
}


#: columns of words (left-aligned); the others are figures
TEXT_COLUMNS = {"day", "store_code", "sku", "name", "category_name", "cashier", "hour", "method", "order",
                "opened_at", "closed_at", "till_name", "status"}


def _managers_only(request):
    if MANAGER not in request_roles(request):
        raise PermissionDenied("Reports are for managers.")


def _csv(slug, period, columns, result) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    store = period.store or "all-stores"
    response["Content-Disposition"] = f'attachment; filename="{slug}-{store}-{period.start}-{period.end}.csv"'
    writer = csv.writer(response)
    writer.writerow([label for _, label in columns])
    for row in result["rows"]:
        writer.writerow(["" if row.get(key) is None else row.get(key) for key, _ in columns])
    writer.writerow(["Total", *["" if result["totals"].get(key) is None else result["totals"].get(key)
                                for key, _ in columns[1:]]])
    return response


@staff_member_required
def reports_page(request, slug="daily"):
    _managers_only(request)
    if slug not in REPORTS:
        raise Http404("No such report.")
    title, columns, compute = REPORTS[slug]
    errors, result, period = {}, None, None
    try:
        period = period_from(request.GET)
    except ValidationError as exc:
        errors = {field: " ".join(str(m) for m in messages) for field, messages in exc.detail.items()}
    if period is not None:
        result = compute(period)
        if request.GET.get("format") == "csv":
            return _csv(slug, period, columns, result)
    query = request.GET.copy()
    query.pop("format", None)
    return render(request, "reporting/backoffice.html", {
        **admin.site.each_context(request),
        "title": f"Reports: {title}", "slug": slug, "report_title": title, "reports": [
            (key, name) for key, (name, _, _) in REPORTS.items()],
        "columns": columns, "result": result, "period": period, "errors": errors, "query": query.urlencode(),
        "stores": sorted(reports.store_names().items()), "asked": request.GET, "days_note": reports.DAYS,
        "headings": [(label, key not in TEXT_COLUMNS) for key, label in columns],
        "rows": [[(row.get(key), key not in TEXT_COLUMNS) for key, _ in columns] for row in result["rows"]]
        if result else [],
        "totals": [(result["totals"].get(key), key not in TEXT_COLUMNS) for key, _ in columns[1:]] if result else [],
        "session_ids": [row.get("session_id") for row in result["rows"]] if result and slug == "z-reports" else [],
    })


def _session_or_404(session_id):
    report = reports.session_z_report(session_id)
    if report is None:
        raise Http404("No such till session.")
    return report


def _z_context(request, session_id):
    report = _session_or_404(session_id)
    zone = reports.store_zones().get(report["store_code"], reports.UTC)
    till = TillEntry.objects.filter(till_id=report["till_id"]).first()
    return {"s": report, "z": report["z_report"], "time_zone": zone, "store_name": till.store_name if till else "",
            "pdf_available": pdf_available()}


@staff_member_required
def z_report_page(request, session_id):
    _managers_only(request)
    return render(request, "reporting/z_report.html", {**_z_context(request, session_id), "printable": True})


def pdf_available() -> bool:
    """WeasyPrint installed (an optional package: it needs Pango from the system). Found, not
    imported: importing it takes seconds, which a page that only links to the PDF need not wait."""
    return importlib.util.find_spec("weasyprint") is not None


@staff_member_required
def z_report_pdf(request, session_id):
    _managers_only(request)
    if not pdf_available():
        raise Http404("PDF needs WeasyPrint (see docs/back-office.md).")
    import weasyprint

    html = render_to_string("reporting/z_report.html", {**_z_context(request, session_id), "printable": False})
    response = HttpResponse(weasyprint.HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="z-report-{session_id}.pdf"'
    return response


urlpatterns = [
    path("", reports_page, name="backoffice-reports"),
    path("z/<uuid:session_id>/", z_report_page, name="backoffice-z-report"),
    path("z/<uuid:session_id>/pdf/", z_report_pdf, name="backoffice-z-report-pdf"),
    path("<slug:slug>/", reports_page, name="backoffice-report"),
]
