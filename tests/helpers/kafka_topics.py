"""A run's Kafka topics are deleted when it ends.

Every test names its topics under the run's KAFKA_TOPIC_PREFIX (per test: `<run prefix>.<id>`), so
one prefix finds them all. Left behind, they pile up run after run, and a broker restarted after a
SIGKILL (the fault tests) must recover every partition it holds before it answers: with thousands
that took longer than the services' start timeout.
"""

import warnings

from kafka import KafkaAdminClient
from kafka.errors import KafkaError


def delete_topics_under(bootstrap_servers: str, prefix: str) -> int:
    """Delete every topic named `prefix` or `prefix.<anything>` / `prefix-<anything>`; returns how many.
    A broker that cannot be reached leaves them (with a warning): a test run never fails on cleanup."""
    if not prefix:
        return 0
    try:
        client = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="pos-test-cleanup",
                                  request_timeout_ms=30_000)
    except KafkaError as exc:
        warnings.warn(f"topics under {prefix} were not deleted: {exc!r}", stacklevel=2)
        return 0
    try:
        names = [name for name in client.list_topics()
                 if name == prefix or name.startswith((f"{prefix}.", f"{prefix}-"))]
        for start in range(0, len(names), 100):  # a bounded request each
            client.delete_topics(names[start:start + 100], timeout_ms=30_000)
        return len(names)
    except KafkaError as exc:
        warnings.warn(f"topics under {prefix} were not all deleted: {exc!r}", stacklevel=2)
        return 0
    finally:
        client.close()
