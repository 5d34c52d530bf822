"""Reporting API: read-only reports from the reporting read models, for managers. Each answers
JSON, or CSV with `?format=csv` (DRF content negotiation; `Accept: text/csv` too)."""

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from infrastructure.access.permissions import IsManager
from kernel.errors import NotFound

from .. import reports
from ..reports import METHOD_ORDER
from . import serializers as s
from .params import FORMAT, PERIOD, period_from
from .renderers import CSVRenderer, table_of

TAG = ["reports"]


class ReportView(APIView):
    """A report: managers only; JSON or CSV."""

    permission_classes = [IsManager]
    renderer_classes = [JSONRenderer, CSVRenderer]
    report_name = "report"
    row_serializer: type[serializers.Serializer] | None = None

    def csv_table(self, data) -> tuple[list[str], list[dict]]:
        header, rows = table_of(data)
        if self.row_serializer is not None:
            header = list(self.row_serializer().fields)
        return header, rows

    def csv_filename(self) -> str:
        return f"{self.report_name}.csv"

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        renderer = getattr(request, "accepted_renderer", None)
        if renderer is not None and renderer.format == "csv" and response.status_code == 200:
            response["Content-Disposition"] = f'attachment; filename="{self.csv_filename()}"'
        return response


class PeriodReportView(ReportView):
    """A report over a date range (and optionally one store)."""

    output: type[serializers.Serializer]

    def build(self, period) -> dict:
        raise NotImplementedError

    def get(self, request):
        period = self.period = period_from(request.query_params)
        data = {"from": period.start, "to": period.end, "store": period.store, "days": reports.DAYS,
                **self.build(period)}
        return Response(self.output(data).data)

    def csv_filename(self) -> str:  # e.g. daily-sales_S1_2026-03-01_2026-03-31.csv
        period = getattr(self, "period", None)
        if period is None:
            return super().csv_filename()
        store = f"_{period.store}" if period.store else ""
        return f"{self.report_name}{store}_{period.start}_{period.end}.csv"


def _responses(output) -> dict:
    """JSON as `output` describes it; CSV is its rows as text."""
    return {(200, "application/json"): output, (200, "text/csv"): OpenApiTypes.STR}


def _period_schema(summary: str, output, description: str = ""):
    return extend_schema(summary=summary, description=description, parameters=PERIOD, responses=_responses(output),
                         tags=TAG)


class DailySalesView(PeriodReportView):
    report_name, output, row_serializer = "daily-sales", s.ReportDailySales, s.ReportDailyRow

    @_period_schema("Daily sales per store", s.ReportDailySales,
                    "One row per business date (the store's local date) and store with sales or refunds, and the totals. A sale counts "
                    "on the date it completed, a refund on the date it was given.")
    def get(self, request):
        return super().get(request)

    def build(self, period):
        return reports.daily_sales(period)


class SalesByProductView(PeriodReportView):
    report_name, output, row_serializer = "sales-by-product", s.ReportSalesByProduct, s.ReportProductRow

    @_period_schema("Sales by product", s.ReportSalesByProduct, "Per product, best net sales first.")
    def get(self, request):
        return super().get(request)

    def build(self, period):
        return reports.sales_by_product(period)


class SalesByCategoryView(PeriodReportView):
    report_name, output, row_serializer = "sales-by-category", s.ReportSalesByCategory, s.ReportCategoryRow

    @_period_schema("Sales by category", s.ReportSalesByCategory,
                    "Per category, each product under its current category.")
    def get(self, request):
        return super().get(request)

    def build(self, period):
        return reports.sales_by_category(period)


class SalesByCashierView(PeriodReportView):
    report_name, output, row_serializer = "sales-by-cashier", s.ReportSalesByCashier, s.ReportCashierRow

    @_period_schema("Sales by cashier", s.ReportSalesByCashier,
                    "Sales by the cashier who rang them up; refunds by the cashier who gave them.")
    def get(self, request):
        return super().get(request)

    def build(self, period):
        return reports.sales_by_cashier(period)


class SalesByHourView(PeriodReportView):
    report_name, output, row_serializer = "sales-by-hour", s.ReportSalesByHour, s.ReportHourRow

    @_period_schema("Sales by hour of day", s.ReportSalesByHour, "24 rows, hour 0 to 23 (each store's local hour), over the period.")
    def get(self, request):
        return super().get(request)

    def build(self, period):
        return reports.sales_by_hour(period)


class PaymentMixView(PeriodReportView):
    report_name, output, row_serializer = "payment-mix", s.ReportPaymentMix, s.ReportPaymentRow

    @_period_schema("Sales by payment method", s.ReportPaymentMix,
                    "Money kept per method (after change) on orders completed in the period; refunds per method.")
    def get(self, request):
        return super().get(request)

    def build(self, period):
        return reports.payment_mix(period)


class TaxByRateView(PeriodReportView):
    report_name, output, row_serializer = "tax-by-rate", s.ReportTaxByRate, s.ReportTaxRow

    @_period_schema("Tax by rate", s.ReportTaxByRate,
                    "Per tax rate the sold lines carried: sales with and without tax, the tax, refunds and their "
                    "tax at the rate of the line refunded, and the tax due.")
    def get(self, request):
        return super().get(request)

    def build(self, period):
        return reports.tax_by_rate(period)


# --- Z-reports ---------------------------------------------------------------------------------------
_Z_FIGURES = ["sales_count", "gross", "discounts", "tax", "refunds", "refund_count", "net", "opening_float", "cash_in",
              "cash_out", "void_count", "voids"]
_Z_HEAD = ["session_id", "till_id", "till_name", "store_code", "store_name", "cashier", "closed_by", "status",
           "opened_at", "closed_at"]


def _z_csv(rows: list[dict]) -> tuple[list[str], list[dict]]:
    """One line per session: the figures, then per method taken / given back / expected / counted /
    difference, then the cash difference and whether the published Z-report agrees."""
    methods = list(METHOD_ORDER)
    for row in rows:
        methods += [m["method"] for m in row["z_report"]["methods"] if m["method"] not in methods]
    header = [*_Z_HEAD, *_Z_FIGURES, "refund_tax",
              *[f"{m}_{what}" for m in methods for what in ("taken", "given_back", "expected", "counted", "difference")],
              "cash_difference", "reconciled"]
    lines = []
    for row in rows:
        z = row["z_report"]
        line = {key: row[key] for key in _Z_HEAD}
        line.update({key: z[key] for key in _Z_FIGURES})
        line.update(refund_tax=row["refund_tax"], cash_difference=z["cash_difference"], reconciled=row["reconciled"])
        for payment in row["payments"]:
            line[f"{payment['method']}_taken"] = payment["taken"]
            line[f"{payment['method']}_given_back"] = payment["given_back"]
        for method in z["methods"]:
            for what in ("expected", "counted", "difference"):
                line[f"{method['method']}_{what}"] = method[what]
        lines.append(line)
    return header, lines


class ZReportListView(PeriodReportView):
    report_name, output = "z-reports", s.ReportZReports

    @extend_schema(
        summary="Z-reports of till sessions",
        description="Sessions opened in the period (UTC dates), newest first: once closed, the Z-report the sales "
                    "context computed once at the close and published; while open, the float and the cash moved "
                    "in and out only.",
        parameters=[*PERIOD,
                    OpenApiParameter("till", OpenApiTypes.UUID, description="Only this till's sessions."),
                    OpenApiParameter("status", OpenApiTypes.STR, enum=["open", "closed"])],
        responses=_responses(s.ReportZReports), operation_id="v1_reports_z_reports_list", tags=TAG)
    def get(self, request):
        return super().get(request)

    def build(self, period):
        query = self.request.query_params
        till = _uuid_param(query.get("till"), "till") if query.get("till") else None
        status = query.get("status") or None
        if status not in (None, "open", "closed"):
            raise serializers.ValidationError({"status": ["Use open or closed."]})
        return {"rows": reports.z_reports(period.start, period.end, store=period.store, till=till, status=status)}

    def csv_table(self, data):
        return _z_csv(data["rows"])


class ZReportDetailView(ReportView):
    report_name = "z-report"

    @extend_schema(summary="One till session's Z-report", operation_id="v1_reports_z_report_retrieve",
                   parameters=[FORMAT], responses=_responses(s.ReportZReport), tags=TAG)
    def get(self, request, session_id):
        found = reports.session_z_report(session_id)
        if found is None:
            raise NotFound(f"No till session {session_id} is known to reporting.")
        self.session_id = session_id
        return Response(s.ReportZReport(found).data)

    def csv_table(self, data):
        return _z_csv([data])

    def csv_filename(self) -> str:
        return f"z-report_{getattr(self, 'session_id', '')}.csv"


def _uuid_param(value, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise serializers.ValidationError({name: ["Must be a valid UUID."]}) from None


# --- stock -------------------------------------------------------------------------------------------
class StockValuationView(ReportView):
    report_name, row_serializer = "stock-valuation", s.ReportStockRow

    @extend_schema(
        summary="Stock valuation",
        description="Every product's stock now, over all stores or in one (`store_code`), valued at cost (each "
                    "store's moving average cost, else the product's cost price: `cost_value`) and at its current "
                    "list price (`value`), and the totals. A snapshot: it has no date range.",
        parameters=[OpenApiParameter("category", OpenApiTypes.UUID, description="Only this category's products."),
                    OpenApiParameter("status", OpenApiTypes.STR, enum=["active", "discontinued"]),
                    OpenApiParameter("store_code", OpenApiTypes.STR, description="Only this store's stock."), FORMAT],
        responses=_responses(s.ReportStockValuation), tags=TAG)
    def get(self, request):
        query = request.query_params
        category = _uuid_param(query["category"], "category") if query.get("category") else None
        status = query.get("status") or None
        if status not in (None, "active", "discontinued"):
            raise serializers.ValidationError({"status": ["Use active or discontinued."]})
        store = query.get("store_code", "").strip().upper() or None
        return Response(s.ReportStockValuation(reports.stock_valuation(category=category, status=status,
                                                                       store=store)).data)


class LowStockView(ReportView):
    report_name, row_serializer = "low-stock", s.ReportLowStockRow

    @extend_schema(
        summary="Low stock",
        description="Products with stock below zero, or active ones whose available stock (on hand - reserved) is "
                    "at or under their threshold; fewest available first. A snapshot: it has no date range.",
        parameters=[FORMAT], responses=_responses(s.ReportLowStock), tags=TAG)
    def get(self, request):
        return Response(s.ReportLowStock(reports.low_stock()).data)


# --- index ---------------------------------------------------------------------------------------------
REPORTS = ["daily-sales", "sales-by-product", "sales-by-category", "sales-by-cashier", "sales-by-hour", "payment-mix",
           "tax-by-rate", "z-reports", "stock-valuation", "low-stock"]


class ReportIndexView(ReportView):
    report_name = "reports"

    @extend_schema(summary="The reports (name -> address)", parameters=[FORMAT],
                   responses=_responses(OpenApiTypes.OBJECT), tags=TAG)
    def get(self, request):
        return Response({name: reverse(f"reports-{name}", request=request) for name in REPORTS})

    def csv_table(self, data):
        return ["report", "url"], [{"report": name, "url": url} for name, url in data.items()]
