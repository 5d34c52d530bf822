"""Named transaction-level locks for command handlers that must serialise on something that is
not a single stream (e.g. "no product may join a category while it is being deleted").
PostgreSQL advisory locks, released at commit or rollback; SQLite serialises writers anyway."""

import hashlib

from django.db import connections


def lock_key(*parts) -> int:
    digest = hashlib.blake2b(":".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_name(using: str, *parts) -> None:
    """Block until this transaction holds the lock named by `parts`."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(*parts)])
