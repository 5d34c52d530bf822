"""The process's own Prometheus instruments: what it did (requests, commands, appended events).

    from infrastructure.observability import metrics
    metrics.COMMANDS.labels(command="PlaceOrder", context="sales", outcome="ok").inc()

Counters and histograms only: they add up across processes. Under gunicorn (several workers) set
PROMETHEUS_MULTIPROC_DIR to an empty directory shared by the workers of one deployment; each
worker then writes its values to files there and `/metrics` sums them (prometheus-client's
multiprocess mode), whichever worker answers the scrape. What is *state* (backlogs, lag, dead
letters) is not kept here: `collector.py` reads it from the database and Kafka at scrape time.
"""

from prometheus_client import Counter, Histogram

# Seconds. A till's sale takes tens of milliseconds; the upper buckets catch the outliers.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter("pos_http_requests", "HTTP requests answered, by route pattern, method and status",
                   ["route", "method", "status"])
REQUEST_SECONDS = Histogram("pos_http_request_duration_seconds", "Time to answer an HTTP request, by route pattern",
                            ["route", "method"], buckets=LATENCY_BUCKETS)
COMMANDS = Counter("pos_commands", "Commands executed by the command bus, by outcome (ok, refused, failed)",
                   ["command", "context", "outcome"])
COMMAND_SECONDS = Histogram("pos_command_duration_seconds", "Time a command's handler took, its transaction included",
                            ["command", "context"], buckets=LATENCY_BUCKETS)
EVENTS_APPENDED = Counter("pos_events_appended", "Events appended (and committed) to the event store",
                          ["context", "event_type"])
