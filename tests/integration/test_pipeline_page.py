"""The back office's Pipeline page against real PostgreSQL and Kafka: a poison message shows with
its error and original headers, is replayed once its handler is fixed (and the read model is then
right), or is discarded with a reason; who decided and when is recorded, and only once."""

import os
import uuid
from decimal import Decimal

import pytest

from infrastructure.consumers.models import DeadLetterDecision, InboxEvent
from infrastructure.kafka.topics import topic_for
from infrastructure.observability import pipeline
from tests.helpers import wait_until
from tests.helpers.consumers import ConsumerThread, Producer, TallyScript, lab_envelope, tally_rows
from tests.lab.domain import LAB
from tests.lab.subscribers import TallyTotals

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lab_pipeline(settings, services_env, monkeypatch):
    base = os.environ.get("KAFKA_TOPIC_PREFIX") or "pos-test"
    settings.KAFKA_TOPIC_PREFIX = f"{base}.{uuid.uuid4().hex[:10]}"
    monkeypatch.setattr(pipeline, "served_contexts", lambda: (*settings.POS_CONTEXTS, LAB))
    with Producer(services_env["KAFKA_BOOTSTRAP_SERVERS"]) as producer:
        yield producer


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def poisoned_tally(producer) -> tuple[TallyScript, object]:
    """A tally opened, an ItemAdded whose quantity ("3 units") TallyTotals cannot parse, then a good
    ItemAdded; consumed until the poison is DEAD and the others applied."""
    tally = TallyScript()
    producer.send(topic_for(LAB), tally.opened())
    tally.version += 1  # the poison's version, built by hand (the script would count its quantity)
    poison = lab_envelope("ItemAdded", tally.tally_id, tally.version, item="pen", quantity="3 units", amount="4.50")
    producer.send(topic_for(LAB), poison)
    producer.send(topic_for(LAB), tally.added("ink", 2, "1.00"))
    with ConsumerThread(LAB, retry_backoff=0.01) as consumer:
        consumer.wait_messages(3)
    return tally, poison


def letter_row(page: str, event_id) -> str:
    marker = f'data-event-id="{event_id}"'
    assert marker in page, "the dead letter is not on the page"
    return page[page.index(marker):page.index("</tr>", page.index(marker))]


def test_a_poison_message_is_replayed_after_the_fix_and_the_read_model_is_right(admin_client, admin_user,
                                                                                lab_pipeline, monkeypatch):
    tally, poison = poisoned_tally(lab_pipeline)
    assert tally_rows()[tally.tally_id][2] == 2  # the poison's 3 are missing

    page = admin_client.get("/admin/pipeline/")
    assert page.status_code == 200
    row = letter_row(page.content.decode(), poison.event_id)
    assert "ValueError: invalid literal for int()" in row
    assert "ce_type: pos.lab.ItemAdded.v2" in row and f"ce_id: {poison.event_id}" in row  # the original headers
    assert '<td class="inbox-status">dead</td>' in row
    assert 'class="replay"' in row

    def fixed(self, envelope):  # the fix: quantities written as "3 units" are read as 3
        data = envelope.data
        self._bump(data["tally_id"], quantity=int(str(data["quantity"]).split()[0]), amount=Decimal(data["amount"]))

    monkeypatch.setattr(TallyTotals, "on_ItemAdded", fixed)
    replay_url = admin_client.get("/admin/pipeline/").content.decode()
    action = replay_url[replay_url.index('action="/admin/pipeline/dead-letters/'):].split('"')[1]
    assert admin_client.post(action).status_code == 302

    decision = DeadLetterDecision.objects.get()
    assert (decision.action, decision.decided_by, decision.event_id) == ("replayed", admin_user.username,
                                                                         poison.event_id)
    with ConsumerThread(LAB, retry_backoff=0.01):
        wait_until(lambda: InboxEvent.objects.get(consumer=LAB, event_id=poison.event_id).status == "applied",
                   timeout=30, message="the replayed event to be applied")
    assert tally_rows()[tally.tally_id][2:4] == (5, Decimal("5.50"))  # 2 + 3 items; 1.00 + 4.50

    row = letter_row(admin_client.get("/admin/pipeline/").content.decode(), poison.event_id)
    assert "replayed by test-admin" in row and '<td class="inbox-status">applied</td>' in row
    assert 'class="replay"' not in row
    admin_client.post(action)  # a second click
    assert DeadLetterDecision.objects.count() == 1


def test_a_dead_letter_is_discarded_only_with_a_reason(admin_client, lab_pipeline):
    tally, poison = poisoned_tally(lab_pipeline)
    page = admin_client.get("/admin/pipeline/").content.decode()
    row = letter_row(page, poison.event_id)
    action = row[row.index('action="/admin/pipeline/dead-letters/', row.index('class="discard"') - 200):].split('"')[1]
    assert action.endswith("/discard/")

    assert admin_client.post(action, {"reason": "  "}).status_code == 302
    assert not DeadLetterDecision.objects.exists()
    assert InboxEvent.objects.get(consumer=LAB, event_id=poison.event_id).status == "dead"

    admin_client.post(action, {"reason": "typed by a test, never a real sale"})
    decision = DeadLetterDecision.objects.get()
    assert (decision.action, decision.reason) == ("discarded", "typed by a test, never a real sale")
    assert InboxEvent.objects.get(consumer=LAB, event_id=poison.event_id).status == "skipped"
    assert pipeline.dead_events([LAB]) == {LAB: 0}
    row = letter_row(admin_client.get("/admin/pipeline/").content.decode(), poison.event_id)
    assert "discarded by test-admin" in row and "typed by a test" in row


def test_the_pipeline_page_is_for_admins_only(client, manager_user, lab_pipeline):
    client.force_login(manager_user)
    assert client.get("/admin/pipeline/").status_code in (302, 403)
    assert client.post("/admin/pipeline/dead-letters/0/0/discard/", {"reason": "x"}).status_code in (302, 403)
    assert not DeadLetterDecision.objects.exists()


@pytest.mark.e2e
def test_the_pipeline_page_in_chromium_replays_a_fixed_dead_letter(admin_user, live_server, lab_pipeline,
                                                                   monkeypatch):
    """In a real browser: from the back office's index to the Pipeline page, where the poison
    shows with its error; after the fix, Replay, and the consumer applies it. Screenshots saved."""
    from playwright.sync_api import expect

    from tests.helpers.browser import chromium_page, log_in
    from tests.helpers.processes import ARTIFACTS_DIR

    tally, poison = poisoned_tally(lab_pipeline)
    with chromium_page(viewport=(1440, 900)) as page:
        log_in(page, live_server.url, admin_user)
        page.click("#pipeline-link a")
        expect(page.locator("h1")).to_have_text("Pipeline")
        expect(page.locator('#pipeline-consumers tr[data-consumer="lab"] .lag')).to_have_text("0")
        row = page.locator(f'#pipeline-dead-letters tr[data-event-id="{poison.event_id}"]')
        expect(row.locator(".error")).to_contain_text("ValueError: invalid literal for int()")
        expect(row.locator(".inbox-status")).to_have_text("dead")
        row.locator("summary").click()  # the original headers
        expect(row).to_contain_text("ce_type: pos.lab.ItemAdded.v2")
        page.screenshot(path=str(ARTIFACTS_DIR / "pipeline-dead-letter.png"), full_page=True)

        def fixed(self, envelope):
            data = envelope.data
            self._bump(data["tally_id"], quantity=int(str(data["quantity"]).split()[0]),
                       amount=Decimal(data["amount"]))

        monkeypatch.setattr(TallyTotals, "on_ItemAdded", fixed)
        row.locator("form.replay input[type=submit]").click()
        expect(page.locator(".messagelist")).to_contain_text("Replayed ItemAdded")
    # (Outside the browser block: Playwright's sync API runs an event loop, where the ORM refuses to run.)
    with ConsumerThread(LAB, retry_backoff=0.01):
        wait_until(lambda: InboxEvent.objects.get(consumer=LAB, event_id=poison.event_id).status == "applied",
                   timeout=30, message="the replayed event to be applied")
    with chromium_page(viewport=(1440, 900)) as page:
        log_in(page, live_server.url, admin_user, next_path="/admin/pipeline/")
        row = page.locator(f'#pipeline-dead-letters tr[data-event-id="{poison.event_id}"]')
        expect(row.locator(".inbox-status")).to_have_text("applied")
        expect(row.locator(".decision")).to_contain_text(f"replayed by {admin_user.username}")
        page.screenshot(path=str(ARTIFACTS_DIR / "pipeline-replayed.png"), full_page=True)
    assert tally_rows()[tally.tally_id][2] == 5


def test_a_process_serving_one_context_shows_every_contexts_relay_and_consumers(admin_client, settings):
    # On the per-context deployment the back office is served by the sales API (POS_CONTEXTS=sales);
    # its Pipeline page still shows the whole pipeline, read from the shared database settings.
    settings.POS_CONTEXTS = ("sales",)
    page = admin_client.get("/admin/pipeline/").content.decode()
    for consumer in ("sales", "catalog", "customers", "reporting", "stores"):
        assert f'<tr data-consumer="{consumer}">' in page, consumer
    for context in ("stores", "catalog", "customers", "sales"):
        assert f'<tr data-context="{context}">' in page, context
