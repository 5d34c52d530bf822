"""The shop's tenders in the back office: a manager defines a gift voucher, changes it, retires it
(never deletes it); each write is a sales command and the page's history reads as sentences; a
refund's method can be a shop tender."""

import pytest

from contexts.sales.models import TenderView
from infrastructure.eventstore.models import StoredEvent

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("embedded_delivery")]

TENDERS = "/admin/sales/tenderview/"


def test_a_manager_defines_changes_and_retires_a_tender_in_the_back_office(client, staff_manager):
    client.force_login(staff_manager)
    refused = client.post(f"{TENDERS}add/", {"code": "cash", "name": "Cash again"})
    assert refused.status_code == 200 and "built in or reserved" in refused.content.decode()
    added = client.post(f"{TENDERS}add/", {"code": "voucher", "name": "Gift voucher", "needs_reference": "on"},
                        follow=True)
    assert added.status_code == 200 and "Gift voucher" in added.content.decode()
    voucher = TenderView.objects.get(code="voucher")
    assert (voucher.name, voucher.gives_change, voucher.needs_reference, voucher.active) == (
        "Gift voucher", False, True, True)

    changed = client.post(f"{TENDERS}voucher/change/", {"name": "Gift card", "needs_reference": "on"}, follow=True)
    assert changed.status_code == 200
    voucher.refresh_from_db()
    assert (voucher.name, voucher.active) == ("Gift card", False)  # "active" left unticked: retired
    assert [e.event_type for e in StoredEvent.objects.filter(stream_type="Tender").order_by("version")] == [
        "TenderDefined", "TenderChanged", "TenderRetired"]
    assert client.get(f"{TENDERS}voucher/delete/").status_code == 403

    history = client.get(f"{TENDERS}voucher/history/").content.decode()
    assert "“Gift voucher” (voucher): gives no change, needs a reference" in history
    assert "no payment may use it any more" in history


def test_a_refund_in_the_back_office_may_go_back_by_any_active_tender(client, staff_manager):
    from contexts.sales.admin import RefundForm
    client.force_login(staff_manager)
    client.post(f"{TENDERS}add/", {"code": "voucher", "name": "Gift voucher"})
    client.post(f"{TENDERS}add/", {"code": "cheque", "name": "Cheque"})
    client.post(f"{TENDERS}cheque/change/", {"name": "Cheque"})  # retired
    form = RefundForm.for_order("00000000-0000-4000-8000-000000000000")()
    assert [code for code, _ in form.fields["method"].choices] == ["original", "cash", "card", "points", "voucher"]
