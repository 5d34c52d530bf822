"""/metrics and /health/ready against real PostgreSQL and Kafka: the figures an operator watches
rise while the pipeline is behind and fall back once it catches up.

The lab context stands in for a shop's contexts: its events go through the same event store,
relay, topics, consumer loop and inbox. Each test has topics and a consumer group of its own.
"""

import json
import os
import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from infrastructure.commands.bus import execute
from infrastructure.eventstore.store import EventStore
from infrastructure.kafka.topics import dead_letter_topic, topic_for
from infrastructure.observability import pipeline
from infrastructure.outbox.relay import relay_pending
from tests.helpers import wait_until
from tests.helpers.consumers import ConsumerThread, Producer
from tests.lab.domain import LAB, TallyOpened
from tests.lab.subscribers import AddItem

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TOKEN = "metrics-test-token-5521"


@pytest.fixture
def pipeline_settings(settings, services_env, monkeypatch):
    """Topics of this test only; the lab context's pipeline watched here; readiness and metrics as
    configured. (The lab has no API, so it is not added to POS_CONTEXTS, which mounts URLs.)"""
    base = os.environ.get("KAFKA_TOPIC_PREFIX") or "pos-test"
    settings.KAFKA_TOPIC_PREFIX = f"{base}.{uuid.uuid4().hex[:10]}"
    monkeypatch.setattr(pipeline, "served_contexts", lambda: (*settings.POS_CONTEXTS, LAB))
    settings.POS_METRICS_TOKEN = TOKEN
    settings.POS_READY_CACHE_SECONDS = 0
    return settings


def metric_families(client) -> list:
    """The families /metrics gives, parsed by prometheus_client's own parser."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return list(text_string_to_metric_families(response.content.decode()))


def scrape(client) -> dict:
    """{(name, frozenset(labels)): value} of every sample /metrics gives."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in metric_families(client) for sample in family.samples}


def value(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def lab_lag(samples: dict) -> float:
    return sum(v for (name, labels), v in samples.items()
               if name == "pos_consumer_lag_events" and dict(labels)["consumer"] == LAB)


def open_tallies(count: int) -> list[str]:
    ids = [f"t-{uuid.uuid4().hex[:12]}" for _ in range(count)]
    for tally_id in ids:
        EventStore(LAB).append("Tally", tally_id, 0, [TallyOpened(tally_id=tally_id, name=f"tally {tally_id}")])
    return ids


def test_metrics_are_refused_without_the_token(client, pipeline_settings):
    assert client.get("/metrics").status_code == 403
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert wrong.status_code == 403
    assert wrong["Content-Type"] == "application/problem+json"


def test_requests_commands_and_appended_events_are_counted(client, pipeline_settings):
    before = scrape(client)
    assert client.get("/health/live").status_code == 200
    assert client.get("/no/such/page/").status_code == 404
    [tally_id] = open_tallies(1)
    execute(AddItem(tally_id=tally_id, item="pen", quantity=2, amount=Decimal("1.50")))
    with pytest.raises(Exception):  # noqa: B017 - any refusal; the outcome label is what is checked
        execute(AddItem(tally_id=f"t-missing-{uuid.uuid4().hex[:6]}", item="pen", quantity=1, amount=Decimal("1")))
    after = scrape(client)

    def grew(name, **labels):
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    # Route patterns, not paths: one series per endpoint; unknown paths share one.
    assert grew("pos_http_requests_total", route="health/live", method="GET", status="200") == 1
    assert grew("pos_http_requests_total", route="<unmatched>", method="GET", status="404") == 1
    assert grew("pos_http_request_duration_seconds_count", route="health/live", method="GET") == 1
    assert grew("pos_commands_total", command="AddItem", context=LAB, outcome="ok") == 1
    assert grew("pos_commands_total", command="AddItem", context=LAB, outcome="refused") == 1
    assert grew("pos_command_duration_seconds_count", command="AddItem", context=LAB) == 2
    assert grew("pos_events_appended_total", context=LAB, event_type="TallyOpened") == 1
    assert grew("pos_events_appended_total", context=LAB, event_type="ItemAdded") == 1


def test_relay_backlog_shows_until_the_relay_publishes_and_makes_readiness_degraded(client, pipeline_settings):
    pipeline_settings.POS_READY_MAX_RELAY_BACKLOG = 4
    open_tallies(5)  # nothing relays them: no worker runs in this test

    samples = scrape(client)
    assert value(samples, "pos_relay_backlog_events", context=LAB) == 5
    assert value(samples, "pos_relay_backlog_oldest_seconds", context=LAB) > 0
    body = client.get("/health/ready").json()
    assert body["status"] == "degraded" and "relay:lab" in body["pipeline"]["behind"]
    assert body["pipeline"]["relay"][LAB]["pending"] == 5

    relay_pending(LAB)

    samples = scrape(client)
    assert value(samples, "pos_relay_backlog_events", context=LAB) == 0
    assert value(samples, "pos_relay_backlog_oldest_seconds", context=LAB) == 0
    assert client.get("/health/ready").json()["status"] == "ready"


def test_lag_rises_while_the_consumer_is_stopped_and_falls_back_to_zero(client, pipeline_settings):
    pipeline_settings.POS_READY_MAX_CONSUMER_LAG = 10
    ids = open_tallies(12)
    for tally_id in ids:
        execute(AddItem(tally_id=tally_id, item="pen", quantity=1, amount=Decimal("2.00")))
    relay_pending(LAB)  # 24 events on the lab topic; the lab consumer group has read none

    samples = wait_until(lambda: (s := scrape(client)) and lab_lag(s) == 24 and s, timeout=30,
                         message="the lag of the stopped consumer")
    assert value(samples, "pos_pipeline_scrape_ok", source="kafka") == 1
    ready = client.get("/health/ready").json()
    assert ready["status"] == "degraded", ready
    assert ready["pipeline"]["consumers"][LAB] == {"lag": 24} and "consumer:lab" in ready["pipeline"]["behind"]

    with ConsumerThread(LAB) as consumer:
        consumer.wait_messages(24)
        samples = wait_until(lambda: (s := scrape(client)) and lab_lag(s) == 0 and s, timeout=30,
                             message="the lag to fall back to 0")
    assert value(samples, "pos_consumer_last_applied_age_seconds", consumer=LAB) >= 0
    assert value(samples, "pos_consumer_last_applied_timestamp_seconds", consumer=LAB) > 0
    assert client.get("/health/ready").json()["status"] == "ready"


def test_a_poison_message_shows_as_a_dead_letter(client, pipeline_settings, services_env):
    with Producer(services_env["KAFKA_BOOTSTRAP_SERVERS"]) as producer:
        producer.send_message(topic_for(LAB), b"t-poison", b"{not json", [("ce_type", b"Nonsense")])
        with ConsumerThread(LAB) as consumer:
            consumer.wait_messages(1)
    samples = wait_until(lambda: (s := scrape(client)) and value(s, "pos_dead_letters", topic=dead_letter_topic())
                         and s, timeout=30, message="the dead letter to be counted")
    assert value(samples, "pos_dead_letters", topic=dead_letter_topic()) == 1
    assert lab_lag(samples) == 0  # dead-lettered is handled: the consumer moved on


def test_every_metric_the_dashboard_and_alerts_use_is_served(client, pipeline_settings):
    """deploy/grafana and deploy/prometheus name only metrics /metrics really has (a rename breaks here)."""
    deploy = Path(__file__).resolve().parents[2] / "deploy"
    alerts = (deploy / "prometheus" / "alerts.yml").read_text()
    dashboard = json.loads((deploy / "grafana" / "pos-dashboard.json").read_text())
    exprs = alerts + "\n".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    used = set(re.findall(r"\bpos_[a-z_]+", exprs))
    execute(AddItem(tally_id=open_tallies(1)[0], item="pen", quantity=1, amount=Decimal("1.00")))
    client.get("/health/live")
    families = metric_families(client)
    served = {family.name for family in families} | {sample.name for family in families for sample in family.samples}
    assert len(used) >= 10
    assert used <= served, sorted(used - served)
