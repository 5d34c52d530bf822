"""The lock that keeps a live consumer and a projection rebuild from interleaving.

Consumers applying events take it *shared* (they may run side by side: different partitions);
a rebuild takes it *exclusive*, so it sees every event committed before it and every consumer
transaction after it applies on top of the rebuilt tables. PostgreSQL transaction-level
advisory locks: released at commit/rollback, never leaked. SQLite has one writer at a time
anyway, so there it is a no-op.
"""

import zlib

from django.db import connections


def _key(consumer: str) -> int:
    return zlib.crc32(f"pos.consumer.{consumer}".encode())


def lock_consumer_shared(consumer: str, using: str) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [_key(consumer)])


def lock_consumer_exclusive(consumer: str, using: str) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_key(consumer)])
