"""The pipeline's state as Prometheus gauges, computed at each scrape (`pipeline.py`).

State read from the database and Kafka is the same whichever process answers, so it needs no
multiprocess bookkeeping, and it cannot drift from the truth the way a gauge kept by hand would.
A source that cannot be read (Kafka down) is reported by `pos_pipeline_scrape_ok{source}` = 0
and its figures are left out, never reported as 0.
"""

from __future__ import annotations

import logging

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from infrastructure.observability import pipeline

logger = logging.getLogger(__name__)


class PipelineCollector(Collector):
    def collect(self):
        ok = GaugeMetricFamily("pos_pipeline_scrape_ok", "1 if the source could be read for this scrape",
                               labels=["source"])
        yield from self._guarded(ok, "database", self._database)
        yield from self._guarded(ok, "kafka", self._kafka)
        yield ok

    @staticmethod
    def _guarded(ok, source, collect):
        try:
            families = list(collect())
        except Exception as exc:  # noqa: BLE001 - a scrape reports what it can
            logger.warning("metrics: could not read the pipeline's %s figures: %s: %s", source,
                           type(exc).__name__, exc)
            ok.add_metric([source], 0)
            return
        ok.add_metric([source], 1)
        yield from families

    @staticmethod
    def _database():
        pending = GaugeMetricFamily("pos_relay_backlog_events", "Outbox rows not yet published, per context",
                                    labels=["context"])
        oldest = GaugeMetricFamily("pos_relay_backlog_oldest_seconds",
                                   "Age of the oldest unpublished outbox row, per context (0 when none)",
                                   labels=["context"])
        for context, backlog in pipeline.relay_backlog().items():
            pending.add_metric([context], backlog.pending)
            oldest.add_metric([context], backlog.oldest_seconds)
        yield pending
        yield oldest

        now = timezone.now()
        applied_age = GaugeMetricFamily("pos_consumer_last_applied_age_seconds",
                                        "Seconds since each consumer applied its newest event", labels=["consumer"])
        applied_at = GaugeMetricFamily("pos_consumer_last_applied_timestamp_seconds",
                                       "When each consumer applied its newest event (Unix time)", labels=["consumer"])
        for consumer, last in pipeline.last_applied().items():
            if last is not None:
                applied_age.add_metric([consumer], max(0.0, (now - last.received_at).total_seconds()))
                applied_at.add_metric([consumer], last.received_at.timestamp())
        yield applied_age
        yield applied_at

        dead = GaugeMetricFamily("pos_consumer_dead_events", "Events a consumer recorded DEAD (not applied)",
                                 labels=["consumer"])
        for consumer, count in pipeline.dead_events().items():
            dead.add_metric([consumer], count)
        yield dead
        yield GaugeMetricFamily("pos_projection_rebuilds_running", "Projection rebuilds running now",
                                value=pipeline.rebuilds_running())

    @staticmethod
    def _kafka():
        lag = GaugeMetricFamily("pos_consumer_lag_events",
                                "Records not yet consumed: end offset - committed offset, per group and partition",
                                labels=["consumer", "group", "topic", "partition"])
        for row in pipeline.consumer_lags():
            lag.add_metric([row.consumer, row.group, row.topic, str(row.partition)], row.lag)
        yield lag
        letters = GaugeMetricFamily("pos_dead_letters", "Messages in the dead-letter topic", labels=["topic"])
        for topic, count in pipeline.dead_letter_topic_sizes().items():
            letters.add_metric([topic], count)
        yield letters
