"""The reporting read models, fed through the real pipeline (catalog commands and the sales API,
events relayed in-process to the consumers' inboxes): every figure of the two known days to the
cent; the same figures computed from scratch from the event table; each Z-report equal to the
one the sales context published; a rebuild equal to live consumption; events delivered again
(same ids) or published again (new ids) changing nothing."""

import dataclasses
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command

from contexts.reporting import reports
from contexts.reporting.models import ProductEntry
from contexts.reporting.projections import projections
from contexts.reporting.reports import Period
from infrastructure.consumers.inbox import apply_batch, deliver
from infrastructure.consumers.models import InboxEvent
from infrastructure.eventstore.envelope import Envelope
from infrastructure.eventstore.models import StoredEvent
from infrastructure.projections.rebuild import rebuild, replayable_projections

from . import story
from .independent import compute
from .story import DAY1, DAY2

pytestmark = pytest.mark.integration


def plain(value):
    """A report as JSON would show it: money as two-place strings, dates ISO, ids as strings."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def pick(row: dict, keys) -> dict:
    return {key: row[key] for key in keys}


def tables() -> dict:
    """Every row of every reporting table (without auto ids), sorted: the state to compare."""
    out = {}
    for projection in projections():
        for model in projection.tables:
            names = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
            out[model._meta.db_table] = sorted(model.objects.order_by().values_list(*names), key=repr)
    return out


def reporting_envelopes() -> list[Envelope]:
    return [Envelope.from_stored(row) for row in
            StoredEvent.objects.filter(context__in=("stores", "sales", "catalog")).order_by("position")]


def test_the_projections_are_registered_and_own_their_tables():
    names = {p.name for p in replayable_projections("reporting")}
    assert names == {"store_calendar", "directory", "sales_figures", "z_reports"}
    owned = [model for p in projections() for model in p.tables]
    assert len(owned) == len(set(owned)) == 16  # every reporting model, each owned by one projection


def test_every_figure_of_the_known_days(known_days):
    assert not InboxEvent.objects.filter(consumer="reporting").exclude(status=InboxEvent.APPLIED).exists()
    both = Period(DAY1, DAY2)

    daily = plain(reports.daily_sales(both))
    assert daily["rows"] == story.EXPECTED_DAILY
    assert daily["totals"] == story.EXPECTED_TOTALS
    assert plain(reports.daily_sales(Period(DAY2, DAY2, store="S1")))["rows"] == [story.EXPECTED_DAILY[2]]

    products = plain(reports.sales_by_product(both))
    keys = list(story.EXPECTED_BY_PRODUCT[0])
    assert [pick(row, keys) for row in products["rows"]] == story.EXPECTED_BY_PRODUCT
    assert pick(products["totals"], ["gross", "discounts", "tax", "total", "refunds", "net"]) == pick(
        story.EXPECTED_TOTALS, ["gross", "discounts", "tax", "total", "refunds", "net"])

    categories = plain(reports.sales_by_category(both))["rows"]
    for row, expected in zip(categories, story.EXPECTED_BY_CATEGORY, strict=True):
        assert pick(row, expected) == expected
    coffee = str(known_days["categories"]["coffee"])
    assert categories[1]["category_id"] == coffee

    assert plain(reports.sales_by_cashier(both))["rows"] == story.EXPECTED_BY_CASHIER

    hours = plain(reports.sales_by_hour(both))
    assert [row["hour"] for row in hours["rows"]] == list(range(24))
    for row in hours["rows"]:
        expected = story.EXPECTED_HOURS.get(row["hour"], story.figures())
        assert {k: v for k, v in row.items() if k != "hour"} == expected, row["hour"]
    assert hours["totals"] == story.EXPECTED_TOTALS

    mix = plain(reports.payment_mix(both))
    assert mix["rows"] == story.EXPECTED_PAYMENT_MIX
    assert mix["totals"] == story.EXPECTED_PAYMENT_TOTALS
    assert Decimal(mix["totals"]["amount"]) == Decimal(story.EXPECTED_TOTALS["total"])  # the mix adds up to sales

    # Z-reports: the one the sales context published when the till closed (as its API answered,
    # and as its event carries), to the cent; an open session's float alone.
    sessions = known_days["sessions"]
    for name, session_id in sessions.items():
        report = plain(reports.session_z_report(session_id))
        assert report["z_report"] == story.EXPECTED_Z[name], name
        if name in known_days["closings"]:
            assert report["status"] == "closed" and report["reconciled"] is True
            assert report["z_report"] == story.as_ours(plain(known_days["closings"][name]))
        else:
            assert (report["status"], report["reconciled"], report["published_z_report"]) == ("open", None, None)
    t1 = plain(reports.session_z_report(sessions["T1-day1"]))
    assert (t1["till_name"], t1["store_code"], t1["store_name"], t1["cashier"], t1["closed_by"]) == (
        "Front till", "S1", "Main Street", "alice", "alice")
    assert t1["payments"] == [{"method": "cash", "taken": "28.97", "given_back": "12.00"},
                              {"method": "card", "taken": "15.80", "given_back": "0.00"}]
    listed = reports.z_reports(DAY1, DAY1)
    assert {r["session_id"] for r in listed} == {sessions["T1-day1"], sessions["T2"]}
    assert [r["session_id"] for r in reports.z_reports(DAY1, DAY2, store="S1", status="open")] == [sessions["T1-day2"]]

    stock = plain(reports.stock_valuation())
    keys = list(story.EXPECTED_STOCK[0])
    assert [pick(row, keys) for row in stock["rows"]] == story.EXPECTED_STOCK
    assert stock["totals"] == story.EXPECTED_STOCK_TOTALS
    low = plain(reports.low_stock())["rows"]
    assert [(r["sku"], r["negative"], r["shortfall"]) for r in low] == story.EXPECTED_LOW_STOCK

    # The reporting directory agrees with the catalog's own read model on stock and prices.
    from contexts.catalog.models import ProductView

    catalog = {(p.sku, p.on_hand, p.reserved, p.unit_price, p.is_low_stock) for p in ProductView.objects.all()}
    ours = {(p.sku, p.on_hand, p.reserved, p.unit_price, p.sku in {s for s, *_ in story.EXPECTED_LOW_STOCK})
            for p in ProductEntry.objects.all()}
    assert ours == catalog


def test_the_projections_equal_a_from_scratch_computation_over_the_event_table(known_days):
    both = Period(DAY1, DAY2)
    scratch = compute(DAY1, DAY2)

    daily = plain(reports.daily_sales(both))
    assert {(r["day"], r["store_code"]): {k: v for k, v in r.items() if k not in ("day", "store_code")}
            for r in daily["rows"]} == scratch["daily"]
    assert daily["totals"] == scratch["totals"]
    assert {r["hour"]: {k: v for k, v in r.items() if k != "hour"}
            for r in plain(reports.sales_by_hour(both))["rows"]} == scratch["hours"]
    assert {r["cashier"]: {k: v for k, v in r.items() if k != "cashier"}
            for r in plain(reports.sales_by_cashier(both))["rows"]} == scratch["cashiers"]
    product_keys = ["sku", *story.figures()]
    assert {r["product_id"]: pick(r, product_keys) for r in plain(reports.sales_by_product(both))["rows"]} == \
        scratch["products"]
    assert {r["category_name"]: {k: v for k, v in r.items() if k not in ("category_id", "category_name")}
            for r in plain(reports.sales_by_category(both))["rows"]} == scratch["categories"]
    assert {r["method"]: {k: v for k, v in r.items() if k != "method"}
            for r in plain(reports.payment_mix(both))["rows"]} == scratch["payment_mix"]
    stock_keys = ["on_hand", "reserved", "available", "unit_price", "value", "status"]
    low = {r["sku"] for r in reports.low_stock()["rows"]}
    assert {r["sku"]: {**pick(r, stock_keys), "low": r["sku"] in low}
            for r in plain(reports.stock_valuation())["rows"]} == scratch["stock"]
    sessions = plain(reports.z_reports(DAY1, DAY2))
    assert {r["session_id"]: {"z_report": r["z_report"], "published": r["published_z_report"]}
            for r in sessions} == scratch["z_reports"]
    for session in scratch["z_reports"].values():  # and the published Z-reports agree with the events
        if session["published"] is not None:
            assert session["z_report"] == story.as_ours(session["published"])

    # One day, one store: the same again
    one = compute(DAY2, DAY2, store="S1")
    assert {(r["day"], r["store_code"]) for r in plain(reports.daily_sales(Period(DAY2, DAY2, "S1")))["rows"]} == \
        set(one["daily"])
    assert plain(reports.daily_sales(Period(DAY2, DAY2, "S1")))["totals"] == one["totals"]
    assert {r["method"]: {k: v for k, v in r.items() if k != "method"}
            for r in plain(reports.payment_mix(Period(DAY2, DAY2, "S1")))["rows"]} == one["payment_mix"]


def test_rebuild_equals_live_and_events_delivered_or_published_again_change_nothing(known_days):
    live = tables()
    assert live["reporting_daily_sales"] and live["reporting_till_session"] and live["reporting_product"]

    call_command("rebuild_projections", "--context", "reporting", "--no-progress")
    assert tables() == live
    # in tiny batches: a batch boundary between an order's payments, completion and refunds
    for projection in replayable_projections("reporting"):
        result = rebuild(projection, batch_size=3)
        assert result.events > 0
    assert tables() == live

    envelopes = reporting_envelopes()
    redelivered = deliver("reporting", envelopes)  # the same event ids: the inbox drops them all
    assert (redelivered.applied, redelivered.dead) == (0, [])
    assert tables() == live

    # The same facts published again under new ids get through the inbox, and change nothing.
    again = [dataclasses.replace(env, event_id=uuid.uuid4()) for env in envelopes]
    result = apply_batch("reporting", again)
    assert len(result.applied) == len(again)
    assert tables() == live
    # ... and a rebuild, which now replays every fact twice, still builds the same tables.
    call_command("rebuild_projections", "--context", "reporting", "--no-progress")
    assert tables() == live
