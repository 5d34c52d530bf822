"""The back office's reports over the reporting tests' two known days: every report opens for a
manager with the same figures as reports.py, each downloads as CSV, a cashier is refused."""

import csv
import io

import pytest

from contexts.reporting import reports
from contexts.reporting.backoffice import REPORTS
from tests.reporting.story import DAY1, DAY2

pytestmark = [pytest.mark.integration]

RANGE = f"?from={DAY1}&to={DAY2}"


def test_every_report_opens_and_downloads_as_csv(known_days, client, manager_user):
    manager_user.is_staff = True
    manager_user.save(update_fields=["is_staff"])
    client.force_login(manager_user)
    for slug, (title, columns, compute) in REPORTS.items():
        page = client.get(f"/admin/reports/{slug}/{RANGE}")
        assert page.status_code == 200 and f"Reports: {title}" in page.content.decode(), slug
        expected = compute(reports.Period(start=DAY1, end=DAY2))
        assert len(page.context["rows"]) == len(expected["rows"]), slug
        download = client.get(f"/admin/reports/{slug}/{RANGE}&format=csv")
        assert download["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(download.content.decode())))
        assert rows[0] == [label for _, label in columns] and rows[-1][0] == "Total", slug
        assert len(rows) == len(expected["rows"]) + 2, slug
    daily = list(csv.reader(io.StringIO(client.get(f"/admin/reports/daily/{RANGE}&store=S1&format=csv")
                                        .content.decode())))
    s1 = reports.daily_sales(reports.Period(start=DAY1, end=DAY2, store="S1"))
    assert daily[-1][-1] == str(s1["totals"]["net"]) and {row[1] for row in daily[1:-1]} == {"S1"}


def test_reports_are_for_managers(client, cashier_user):
    cashier_user.is_staff = True
    cashier_user.save(update_fields=["is_staff"])
    client.force_login(cashier_user)
    assert client.get("/admin/reports/").status_code == 403


def test_a_bad_date_says_so(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/admin/reports/daily/?from=2026-03-05&to=2026-03-01")
    assert page.status_code == 200 and "The end date (to) is before the start date (from)." in page.content.decode()
