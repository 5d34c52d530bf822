"""Liveness and readiness. Readiness checks only the dependencies this mode actually uses.

With every dependency up, readiness also looks at the pipeline (observability/pipeline.py): a
consumer lagging more than POS_READY_MAX_CONSUMER_LAG records, or a relay with more than
POS_READY_MAX_RELAY_BACKLOG unpublished events or one older than POS_READY_MAX_RELAY_AGE_SECONDS,
makes the answer `"status": "degraded"` with the figures, still 200: the API answers, its read
models trail (an orchestrator must not take it out of service for that; an alert should fire).

Readiness says which dependency is down, never why (the exception's text names hosts, ports and
users; it goes to the log), and its answer is kept POS_READY_CACHE_SECONDS per process, so a
flood of probes opens a handful of connections, not one per request. The gateway serves it to
the private network only (deploy/nginx/gateway.conf).
"""

import logging
import socket
import struct
import threading
import time

from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

CHECK_TIMEOUT_S = 2.0
logger = logging.getLogger(__name__)


def check_database() -> None:
    for alias in connections:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")


def check_redis() -> None:
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=CHECK_TIMEOUT_S,
                                  socket_timeout=CHECK_TIMEOUT_S)
    try:
        client.ping()
    finally:
        client.close()


def check_kafka() -> None:
    """A Kafka ApiVersions (v0) request on a plain socket to each bootstrap server until one
    answers with no error. Deliberately not a kafka-python client: those start background
    threads that outlive a failed connection, and a probe runs every few seconds."""
    errors = []
    for server in settings.KAFKA_BOOTSTRAP_SERVERS.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            _kafka_api_versions(host or "localhost", int(port))
            return
        except (OSError, ValueError) as exc:
            errors.append(f"{server.strip()}: {exc}")
    raise ConnectionError("; ".join(errors) or "no KAFKA_BOOTSTRAP_SERVERS")


def _kafka_api_versions(host: str, port: int) -> None:
    client_id = b"pos-health"
    correlation_id = 7
    # request header: api_key 18 (ApiVersions), api_version 0, correlation id, client id
    body = struct.pack(">hhih", 18, 0, correlation_id, len(client_id)) + client_id
    with socket.create_connection((host, port), timeout=CHECK_TIMEOUT_S) as sock:
        sock.settimeout(CHECK_TIMEOUT_S)
        sock.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", _read_exactly(sock, 4))[0]
        answer = _read_exactly(sock, min(size, 64))
    got_id, error_code = struct.unpack(">ih", answer[:6])
    if got_id != correlation_id or error_code != 0:
        raise ValueError(f"unexpected ApiVersions answer (correlation {got_id}, error {error_code})")


def _read_exactly(sock, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("connection closed by the broker")
        data += chunk
    return data


def dependency_checks() -> dict:
    checks = {"database": check_database}
    if not settings.CELERY_TASK_ALWAYS_EAGER and settings.CELERY_BROKER_URL.startswith("redis"):
        checks["redis"] = check_redis
    if settings.KAFKA_ENABLED:
        checks["kafka"] = check_kafka
    return checks


@never_cache
@require_GET
def live(request):
    return JsonResponse({"status": "ok"})


def run_checks() -> tuple[dict, int]:
    results, healthy = {}, True
    for name, check in dependency_checks().items():
        started = time.monotonic()
        try:
            check()
            results[name] = {"status": "up", "ms": round((time.monotonic() - started) * 1000, 1)}
        except Exception as exc:  # any failure means "not ready": which one is said, why is logged
            healthy = False
            results[name] = {"status": "down"}
            logger.warning("readiness: %s is down: %s: %s", name, type(exc).__name__, exc)
    body = {"status": "ready" if healthy else "unavailable", "mode": settings.POS_MODE, "checks": results}
    if healthy:
        body["pipeline"] = pipeline_figures()
        if body["pipeline"]["behind"]:
            body["status"] = "degraded"
    return body, 200 if healthy else 503


def pipeline_figures() -> dict:
    """The relay backlog and consumer lag of the contexts this process serves, and which of them
    passed their thresholds (`behind`: "relay:<context>" / "consumer:<context>")."""
    from infrastructure.observability import pipeline

    behind = []
    relay: dict | str = {}
    try:
        backlogs = pipeline.relay_backlog()
    except Exception as exc:  # noqa: BLE001 - e.g. a database not migrated yet: the probe answers, says "unknown"
        logger.warning("readiness: relay backlog unknown: %s: %s", type(exc).__name__, exc)
        backlogs, relay = {}, "unknown"
    for context, backlog in backlogs.items():
        relay[context] = {"pending": backlog.pending, "oldest_seconds": round(backlog.oldest_seconds, 1)}
        if (backlog.pending > settings.POS_READY_MAX_RELAY_BACKLOG
                or backlog.oldest_seconds > settings.POS_READY_MAX_RELAY_AGE_SECONDS):
            behind.append(f"relay:{context}")
    consumers: dict[str, dict] = {}
    try:
        lags = pipeline.consumer_lags()
    except Exception as exc:  # noqa: BLE001 - Kafka answered the probe but not this: say so, do not guess 0
        logger.warning("readiness: consumer lag unknown: %s: %s", type(exc).__name__, exc)
        lags = None
    if lags is not None:
        for row in lags:
            consumers.setdefault(row.consumer, {"lag": 0})["lag"] += row.lag
        behind += [f"consumer:{name}" for name, figures in consumers.items()
                   if figures["lag"] > settings.POS_READY_MAX_CONSUMER_LAG]
    return {"relay": relay, "consumers": consumers if lags is not None else "unknown", "behind": behind}


_last = {"at": float("-inf"), "answer": None}
_lock = threading.Lock()  # concurrent probes wait for one run of the checks instead of each running them


@never_cache
@require_GET
def ready(request):
    with _lock:
        now = time.monotonic()
        if _last["answer"] is None or now - _last["at"] >= settings.POS_READY_CACHE_SECONDS:
            _last["answer"], _last["at"] = run_checks(), now
        body, status = _last["answer"]
    return JsonResponse(body, status=status)
