"""Mounted at /api/v1/reports/ (`API_PREFIX` in this package)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.ReportIndexView.as_view(), name="reports-index"),
    path("daily-sales/", views.DailySalesView.as_view(), name="reports-daily-sales"),
    path("sales-by-product/", views.SalesByProductView.as_view(), name="reports-sales-by-product"),
    path("sales-by-category/", views.SalesByCategoryView.as_view(), name="reports-sales-by-category"),
    path("sales-by-cashier/", views.SalesByCashierView.as_view(), name="reports-sales-by-cashier"),
    path("sales-by-hour/", views.SalesByHourView.as_view(), name="reports-sales-by-hour"),
    path("payment-mix/", views.PaymentMixView.as_view(), name="reports-payment-mix"),
    path("tax-by-rate/", views.TaxByRateView.as_view(), name="reports-tax-by-rate"),
    path("z-reports/", views.ZReportListView.as_view(), name="reports-z-reports"),
    path("z-reports/<uuid:session_id>/", views.ZReportDetailView.as_view(), name="reports-z-report"),
    path("stock-valuation/", views.StockValuationView.as_view(), name="reports-stock-valuation"),
    path("low-stock/", views.LowStockView.as_view(), name="reports-low-stock"),
]
