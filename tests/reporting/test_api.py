"""The reporting API over HTTP: every endpoint's figures for the known days, date-range and store
filters, CSV for each (`?format=csv` and `Accept: text/csv`), clear 4xx for bad parameters, and
managers only (anonymous 401, cashier 403, manager and admin 200)."""

import csv
import io
import uuid

import pytest

from contexts.reporting.api.renderers import CSVRenderer
from contexts.reporting.charts import bar_chart, column_chart

from . import story
from .independent import compute
from .story import DAY1, DAY2

API = "/api/v1/reports"
PROBLEM = "application/problem+json"
REPORTS = ["daily-sales", "sales-by-product", "sales-by-category", "sales-by-cashier", "sales-by-hour", "payment-mix",
           "tax-by-rate", "z-reports", "stock-valuation", "low-stock"]
BOTH = f"from={DAY1}&to={DAY2}"


def get(client, path, **headers):
    response = client.get(f"{API}/{path}", **headers)
    assert response.status_code == 200, (path, response.status_code, response.content[:600])
    return response


def csv_of(client, path) -> tuple[list[str], list[dict]]:
    sep = "&" if "?" in path else "?"
    response = get(client, f"{path}{sep}format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    reader = csv.DictReader(io.StringIO(response.content.decode("utf-8")))
    return reader.fieldnames, list(reader)


def as_csv(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def assert_csv_matches(client, path, key_fields):
    """The CSV of a report has the JSON rows, column for column."""
    rows = get(client, path).json()["rows"]
    header, lines = csv_of(client, path)
    assert len(lines) == len(rows)
    for row, line in zip(rows, lines):
        for name in header:
            if name in row:
                assert line[name] == as_csv(row[name]), (path, name)
        assert all(name in header for name in key_fields)
    return header, lines


# --- who may read the reports ---------------------------------------------------------------------
@pytest.mark.django_db
def test_managers_only(make_client, cashier_user, manager_user, admin_user):
    anonymous, cashier, manager, admin = (make_client(), make_client(cashier_user), make_client(manager_user),
                                          make_client(admin_user))
    paths = ["", *[f"{name}/" for name in REPORTS], f"z-reports/{uuid.uuid4()}/"]
    for path in paths:
        for fmt in ("", "?format=csv"):
            denied = anonymous.get(f"{API}/{path}{fmt}")
            assert denied.status_code == 401 and denied["Content-Type"] == PROBLEM, (path, fmt)
            assert denied.json()["status"] == 401 and "WWW-Authenticate" in denied
            refused = cashier.get(f"{API}/{path}{fmt}")
            assert refused.status_code == 403 and refused["Content-Type"] == PROBLEM, (path, fmt)
            assert "manager" in refused.json()["detail"]
    for client in (manager, admin):
        for path in paths[:-1]:
            assert client.get(f"{API}/{path}").status_code == 200, path
        assert client.get(f"{API}/{paths[-1]}").status_code == 404
    index = manager.get(f"{API}/").json()
    assert set(index) == set(REPORTS) and index["daily-sales"].endswith("/api/v1/reports/daily-sales/")


@pytest.mark.django_db
def test_bad_parameters_are_clear_400s(manager):
    cases = [
        ("daily-sales/?from=2026-13-01", "from"),
        ("daily-sales/?from=yesterday", "from"),
        ("sales-by-product/?from=2026-03-03&to=2026-03-02", "to"),
        ("sales-by-hour/?from=1990-01-01&to=2026-01-01", "from"),
        ("payment-mix/?store=not+a+store!", "store"),
        ("z-reports/?till=42", "till"),
        ("z-reports/?status=half-open", "status"),
        ("stock-valuation/?category=nope", "category"),
        ("stock-valuation/?status=gone", "status"),
    ]
    for path, field in cases:
        for fmt in ("", "&format=csv"):
            response = manager.get(f"{API}/{path}{fmt}")
            assert response.status_code == 400 and response["Content-Type"] == PROBLEM, (path, response.content)
            assert field in [e["field"] for e in response.json()["errors"]], (path, response.json())
    unknown_format = manager.get(f"{API}/daily-sales/?format=xml")  # not a missing resource: 406, naming the formats
    assert unknown_format.status_code == 406 and unknown_format["Content-Type"] == PROBLEM
    assert "csv, json" in unknown_format.json()["detail"]
    missing = manager.get(f"{API}/z-reports/{uuid.uuid4()}/")
    assert missing.status_code == 404 and missing["Content-Type"] == PROBLEM


# --- the figures over HTTP -------------------------------------------------------------------------
def test_every_report_over_http_with_filters_and_csv(known_days, manager):
    # daily sales: the default period (the 30 days up to today, the story's day 2) holds both days
    daily = get(manager, "daily-sales/").json()
    assert (daily["from"], daily["to"], daily["store"]) == ("2026-02-02", str(DAY2), None)
    assert daily["rows"] == story.EXPECTED_DAILY and daily["totals"] == story.EXPECTED_TOTALS
    day1 = get(manager, f"daily-sales/?from={DAY1}&to={DAY1}").json()
    assert day1["rows"] == story.EXPECTED_DAILY[:2]
    s2 = get(manager, f"daily-sales/?{BOTH}&store=s2").json()
    assert s2["store"] == "S2" and s2["rows"] == [story.EXPECTED_DAILY[1], story.EXPECTED_DAILY[3]]
    assert s2["totals"] == compute(DAY1, DAY2, store="S2")["totals"]
    from_only = get(manager, f"daily-sales/?from={DAY2}").json()  # from only: up to today
    assert (from_only["to"], [r["day"] for r in from_only["rows"]]) == (str(DAY2), [str(DAY2)] * 2)
    assert get(manager, f"daily-sales/?to={DAY1}").json()["from"] == "2026-02-01"  # to only: the 30 days up to it
    header, lines = assert_csv_matches(manager, f"daily-sales/?{BOTH}", ["day", "store_code"])
    assert header[:3] == ["day", "store_code", "store_name"] and lines[1]["average_basket"] == "5.58"
    assert get(manager, f"daily-sales/?{BOTH}&store=S2&format=csv")["Content-Disposition"] == \
        'attachment; filename="daily-sales_S2_2026-03-02_2026-03-03.csv"'

    products = get(manager, f"sales-by-product/?{BOTH}").json()
    assert [{k: r[k] for k in story.EXPECTED_BY_PRODUCT[0]} for r in products["rows"]] == story.EXPECTED_BY_PRODUCT
    assert products["rows"][0]["product_id"] == str(known_days["products"]["COF"])
    only_day2_s2 = get(manager, f"sales-by-product/?from={DAY2}&to={DAY2}&store=S2").json()["rows"]
    assert [(r["sku"], r["items"], r["total"]) for r in only_day2_s2] == [("COF", 1, "4.99")]
    assert_csv_matches(manager, f"sales-by-product/?{BOTH}", ["product_id", "sku", "name"])

    categories = get(manager, f"sales-by-category/?{BOTH}").json()
    for row, expected in zip(categories["rows"], story.EXPECTED_BY_CATEGORY, strict=True):
        assert {k: row[k] for k in expected} == expected
    assert categories["totals"]["products"] == 4 and categories["totals"]["net"] == "51.28"
    assert_csv_matches(manager, f"sales-by-category/?{BOTH}", ["category_id", "category_name"])

    cashiers = get(manager, f"sales-by-cashier/?{BOTH}").json()
    assert cashiers["rows"] == story.EXPECTED_BY_CASHIER and cashiers["totals"] == story.EXPECTED_TOTALS
    assert [r["cashier"] for r in get(manager, f"sales-by-cashier/?from={DAY2}&to={DAY2}").json()["rows"]] == [
        "alice", "bob", "test-manager"]  # alice only refunded on day 2
    assert_csv_matches(manager, f"sales-by-cashier/?{BOTH}", ["cashier"])

    hours = get(manager, f"sales-by-hour/?{BOTH}").json()
    assert len(hours["rows"]) == 24
    assert {r["hour"]: {k: v for k, v in r.items() if k != "hour"} for r in hours["rows"]
            if r["hour"] in story.EXPECTED_HOURS} == story.EXPECTED_HOURS
    _, lines = assert_csv_matches(manager, f"sales-by-hour/?{BOTH}", ["hour"])
    assert lines[16]["net"] == "-12.00" and lines[16]["average_basket"] == ""  # a negative number stays a number

    mix = get(manager, f"payment-mix/?{BOTH}").json()
    assert mix["rows"] == story.EXPECTED_PAYMENT_MIX and mix["totals"] == story.EXPECTED_PAYMENT_TOTALS
    day1_mix = get(manager, f"payment-mix/?from={DAY1}&to={DAY1}").json()
    assert [(r["method"], r["amount"]) for r in day1_mix["rows"]] == [("cash", "37.12"), ("card", "18.80")]
    assert_csv_matches(manager, f"payment-mix/?{BOTH}", ["method", "share"])

    # tax by rate, worked out from the story: 10 % = A1 + A3's COF + B3; 20 % = A2, A3's NET, B1, B2,
    # D1, less R1 (12.00, tax 2.00) and R2 (1.93, tax 0.32)
    taxes = get(manager, f"tax-by-rate/?{BOTH}").json()
    assert taxes["rows"] == [
        {"rate": "10.00", "orders": 3, "items": 4, "total": "19.96", "tax": "1.81", "without_tax": "18.15",
         "refund_count": 0, "refunded_items": 0, "refunds": "0.00", "refund_tax": "0.00", "tax_due": "1.81"},
        {"rate": "20.00", "orders": 5, "items": 10, "total": "45.25", "tax": "7.55", "without_tax": "37.70",
         "refund_count": 2, "refunded_items": 2, "refunds": "13.93", "refund_tax": "2.32", "tax_due": "5.23"}]
    assert taxes["totals"] == {"items": 14, "total": "65.21", "tax": "9.36", "without_tax": "55.85",
                               "refunded_items": 2, "refunds": "13.93", "refund_tax": "2.32", "tax_due": "7.04"}
    assert taxes["totals"]["tax"] == story.EXPECTED_TOTALS["tax"]  # the same tax as the daily sales
    day1_s1 = get(manager, f"tax-by-rate/?from={DAY1}&to={DAY1}&store=S1").json()["rows"]
    assert [(r["rate"], r["total"], r["tax"], r["refunds"], r["tax_due"]) for r in day1_s1] == [
        ("10.00", "14.97", "1.36", "0.00", "1.36"), ("20.00", "29.80", "4.97", "12.00", "2.97")]
    assert_csv_matches(manager, f"tax-by-rate/?{BOTH}", ["rate", "orders"])

    # Z-reports: list (sessions opened in the period), filters, detail, CSV
    sessions = known_days["sessions"]
    listed = get(manager, f"z-reports/?{BOTH}").json()["rows"]
    assert [r["session_id"] for r in listed] == [str(sessions[k]) for k in ("T1-day2", "T2", "T1-day1")]
    for row in listed:
        name = next(k for k, v in sessions.items() if str(v) == row["session_id"])
        assert row["z_report"] == story.EXPECTED_Z[name]
        assert row["reconciled"] is (None if name == "T1-day2" else True)
        if row["published_z_report"]:
            assert row["published_z_report"] == row["z_report"]
    assert [r["session_id"] for r in get(manager, f"z-reports/?{BOTH}&status=closed&store=S1").json()["rows"]] == [
        str(sessions["T1-day1"])]
    till2 = known_days["tills"]["T2"]
    assert [r["till_name"] for r in get(manager, f"z-reports/?{BOTH}&till={till2}").json()["rows"]] == ["Harbour till"]
    detail = get(manager, f"z-reports/{sessions['T1-day1']}/").json()
    assert detail["z_report"] == story.EXPECTED_Z["T1-day1"] == story.as_ours(known_days["closings"]["T1-day1"])
    header, lines = csv_of(manager, f"z-reports/?{BOTH}")
    assert {"cash_expected", "cash_counted", "cash_difference", "card_expected", "card_taken", "reconciled"} <= set(
        header)
    t1 = next(line for line in lines if line["session_id"] == str(sessions["T1-day1"]))
    assert (t1["cash_expected"], t1["cash_counted"], t1["cash_difference"], t1["card_taken"], t1["net"],
            t1["reconciled"]) == ("66.97", "87.00", "20.03", "15.80", "32.77", "true")
    open_session = next(line for line in lines if line["session_id"] == str(sessions["T1-day2"]))
    assert (open_session["status"], open_session["cash_counted"], open_session["reconciled"]) == ("open", "", "")
    _, one = csv_of(manager, f"z-reports/{sessions['T2']}/")
    assert len(one) == 1 and one[0]["cash_difference"] == "-0.14"

    stock = get(manager, "stock-valuation/").json()
    assert [{k: r[k] for k in story.EXPECTED_STOCK[0]} for r in stock["rows"]] == story.EXPECTED_STOCK
    assert stock["totals"] == story.EXPECTED_STOCK_TOTALS
    coffee = known_days["categories"]["coffee"]
    assert [r["sku"] for r in get(manager, f"stock-valuation/?category={coffee}").json()["rows"]] == ["COF", "TEA"]
    assert [r["sku"] for r in get(manager, "stock-valuation/?status=discontinued").json()["rows"]] == ["OLD"]
    assert_csv_matches(manager, "stock-valuation/", ["sku", "value"])
    low = get(manager, "low-stock/").json()
    assert [(r["sku"], r["negative"], r["shortfall"]) for r in low["rows"]] == story.EXPECTED_LOW_STOCK
    _, lines = assert_csv_matches(manager, "low-stock/", ["sku", "negative"])
    assert (lines[0]["sku"], lines[0]["on_hand"], lines[0]["negative"]) == ("MUG", "-1", "true")

    # CSV by content negotiation too
    by_accept = get(manager, f"daily-sales/?{BOTH}", HTTP_ACCEPT="text/csv")
    assert by_accept["Content-Type"].startswith("text/csv") and by_accept.content.decode().startswith("day,store_code")


# --- the pieces ------------------------------------------------------------------------------------
def test_csv_cells_never_run_as_formulas_and_empty_reports_keep_their_header():
    class View:
        def csv_table(self, data):
            return ["name", "value"], data["rows"]

    body = CSVRenderer().render({"rows": [{"name": "=HYPERLINK(\"x\")", "value": "-12.50"},
                                          {"name": "@cmd", "value": None}, {"name": "-not a number", "value": True}]},
                                renderer_context={"view": View()}).decode()
    assert body.splitlines() == ["name,value", '"\'=HYPERLINK(""x"")",-12.50', "'@cmd,", "'-not a number,true"]
    assert CSVRenderer().render({"rows": []}, renderer_context={"view": View()}).decode() == "name,value\r\n"


def test_chart_bars_are_proportional_to_their_values():
    from decimal import Decimal as D

    chart = column_chart([("a", D("10.00"), {}), ("b", D("-5.00"), {}), ("c", D("0"), {}), ("d", D("20.00"), {})],
                         height=230, top=0, bottom=30)
    heights = [float(bar.height) for bar in chart.bars]
    assert heights == [pytest.approx(200 * 10 / 25), pytest.approx(200 * 5 / 25), 0, pytest.approx(200 * 20 / 25)]
    zero = float(chart.zero)
    assert float(chart.bars[0].y) + heights[0] == pytest.approx(zero)  # positive bars stand on the zero line
    assert float(chart.bars[1].y) == pytest.approx(zero)  # negative ones hang from it
    bars = bar_chart([("x", D("3"), {}), ("y", D("1.5"), {})], width=400, left=100, right=100).bars
    assert [float(b.width) for b in bars] == [pytest.approx(200), pytest.approx(100)]
