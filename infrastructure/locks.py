"""Named transaction-level locks, for work that must serialise on something that is not a single
stream: a relay per context, a projection rebuild against its live consumer, "no product joins a
category while it is being deleted".

    with transaction.atomic(using=db):
        lock(db, "catalog.category", category_id)                 # wait for it
        lock(db, "consumer", "reporting", shared=True)            # many holders at once
        if not lock(db, "relay", "sales", wait="15s"):            # give up after 15 s
            return

PostgreSQL advisory locks at transaction level: released by COMMIT or ROLLBACK, so a crashed
holder can never leave one behind. SQLite has one writer at a time anyway (transactions there
begin IMMEDIATE), so on it every lock is granted at once.
"""

from __future__ import annotations

import hashlib

from django.db import OperationalError, connections, transaction


def lock_key(*parts) -> int:
    """The 64-bit key of the lock named by `parts` (what PostgreSQL's pg_locks shows)."""
    digest = hashlib.blake2b(":".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock(using: str, *parts, shared: bool = False, wait: str | None = None) -> bool:
    """Take the lock named by `parts` for the rest of the current transaction on `using`.

    Waits as long as it takes, or at most `wait` (a PostgreSQL interval such as "15s"), in which
    case it returns False when the time ran out and leaves the transaction usable."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return True
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        if wait is None:
            cursor.execute(f"SELECT {function}(%s)", [lock_key(*parts)])
            return True
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [wait])
        try:
            with transaction.atomic(using=using):  # a savepoint: a timeout leaves the transaction usable
                cursor.execute(f"SELECT {function}(%s)", [lock_key(*parts)])
        except OperationalError:
            return False
        finally:
            cursor.execute("SELECT set_config('lock_timeout', '0', true)")
        return True
