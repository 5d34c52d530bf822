"""The managers' dashboard on the admin index (`templates/admin/index.html` renders it through
the `reporting_dashboard` tag): today's figures, net sales of the last 30 days, top products,
sales by hour, the payment mix and low stock — every figure from `reports.py`, every chart an
inline SVG whose bars carry their data (`data-day`, `data-value`, ...)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from . import reports
from .charts import bar_chart, column_chart
from .models import DailySales
from .reports import Period

WINDOW_DAYS = 30
TOP_PRODUCTS = 8
LOW_STOCK_ROWS = 12


def dashboard(today: dt.date | None = None) -> dict:
    asked = today is not None
    today = today or reports.business_today()
    window = Period(start=today - dt.timedelta(days=WINDOW_DAYS - 1), end=today)
    # Each store's own today, unless a day is asked for (a Berlin shop may be a day ahead of New York).
    today_rows = reports.daily_sales(Period(start=today, end=today))["rows"] if asked else reports.todays_sales()

    series = reports.daily_series(window)
    day_chart = column_chart(
        [(d["day"].strftime("%d %b"), d["net"],
          {"data-day": d["day"].isoformat(), "data-value": d["net"], "data-sales": d["total"],
           "data-refunds": d["refunds"], "data-orders": d["orders"]}) for d in series],
        width=1000, height=240, tick_every=5)

    top = reports.sales_by_product(window, limit=TOP_PRODUCTS)["rows"]
    top_chart = bar_chart(
        [(f"{p['sku']} {p['name']}"[:26], p["net"],
          {"data-product": p["sku"], "data-value": p["net"], "data-items": p["items"]}) for p in top])

    hours = reports.sales_by_hour(window)["rows"]
    hour_chart = column_chart(
        [(f"{h['hour']:02d}", h["net"], {"data-hour": h["hour"], "data-value": h["net"], "data-orders": h["orders"]})
         for h in hours],
        width=1000, height=200, tick_every=3)

    mix = reports.payment_mix(window)
    mix_chart = bar_chart(
        [(m["method"], m["amount"], {"data-method": m["method"], "data-value": m["amount"],
                                     "data-share": m["share"]}) for m in mix["rows"]], left=70, right=150)
    for bar, row in zip(mix_chart.bars, mix["rows"]):
        bar.note = f"{row['amount']} ({row['share']} %)"

    return {
        "today": today,
        "window": window,
        "currency": settings.POS_CURRENCY,
        "today_totals": reports.derive({name: sum((row[name] for row in today_rows),
                                                    reports.ZERO if name in reports.MONEY_FIGURES else 0)
                                                for name in reports.FIGURES}),
        "today_stores": today_rows,
        "window_totals": reports.totals_of(window.filter(DailySales.objects.all())),
        "day_chart": day_chart,
        "top_chart": top_chart,
        "hour_chart": hour_chart,
        "mix_chart": mix_chart,
        "mix": mix,
        "low_stock": reports.low_stock(limit=LOW_STOCK_ROWS),
    }
