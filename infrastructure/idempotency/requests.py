"""Idempotent command requests (`Idempotency-Key` header).

The key is claimed by inserting its row in the same transaction as the command's events. A
concurrent request with the same key blocks on the unique index until the first transaction
ends: if it committed, the second finds the stored answer and returns it; if it rolled back
(the command was refused), the second runs the command itself. So ten parallel submissions
with one key create one order, and a retry gets the first response byte for byte.

Keys are scoped to (context, user, key); answers are kept POS_IDEMPOTENCY_DAYS (7 by default: a
till may be offline for days and retry then), then purged by Celery beat (tasks.py).
"""

import hashlib
import json
import re

from django.db import connections, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from kernel.errors import DomainError
from infrastructure.eventstore.databases import db_for
from infrastructure.idempotency.models import IdempotencyRecord

KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


class IdempotencyKeyReused(DomainError):
    status = 422
    title = "Idempotency-Key reused with a different request"


def fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def required_key(request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        raise ValidationError({"Idempotency-Key": ["This header is required: a unique id per submission "
                                                   "(e.g. a UUID), reused only to retry the same request."]})
    if not KEY_PATTERN.match(key):
        raise ValidationError({"Idempotency-Key": ["8 to 128 letters, digits or . _ : -"]})
    return key


def run_idempotent(request, context: str, run, success_status: int = 201, *, required: bool = True) -> Response:
    """Run `run()` (which executes a command and returns the answer's data) at most once per key.

    With `required=False` a request without the header simply runs (for writes whose older clients
    send none); one that sends it gets the same at-most-once guarantee.
    """
    if not required and not request.headers.get("Idempotency-Key", "").strip():
        return Response(run(), status=success_status)
    key, print_ = required_key(request), fingerprint(request)
    user = request.user.get_username()
    db = db_for(context)
    records = IdempotencyRecord.objects.using(db)
    with transaction.atomic(using=db):
        record = _claim(db, context, key, user, print_)
        if record is None:
            record = records.get(context=context, user=user, key=key)
            if record.fingerprint != print_:
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was already used for a different request; use a new key for a new "
                    "submission.", field="Idempotency-Key", code="IdempotencyKeyReused") from None
            return Response(record.response, status=record.status_code, headers={"Idempotent-Replayed": "true"})
        data = run()
        record.status_code, record.response = success_status, json.loads(json.dumps(data, default=str))
        record.save(using=db, update_fields=["status_code", "response"])
    return Response(record.response, status=success_status)


_TABLE = IdempotencyRecord._meta.db_table
# ON CONFLICT DO NOTHING instead of an INSERT in a savepoint that may fail: one round trip, not
# three. It waits for a concurrent holder of the key like the plain INSERT did, and inserts
# nothing (no row back) if that one committed.
_CLAIM_SQL = f"""
INSERT INTO {_TABLE} (context, key, "user", fingerprint, status_code, response, created_at)
VALUES (%s, %s, %s, %s, 0, '{{}}', %s)
ON CONFLICT (context, "user", key) DO NOTHING
RETURNING id
"""


def _claim(db: str, context: str, key: str, user: str, print_: str) -> IdempotencyRecord | None:
    """Insert the key's row (status 0, no answer yet); None if the key is already taken."""
    created_at = timezone.now()
    with connections[db].cursor() as cursor:
        cursor.execute(_CLAIM_SQL, [context, key, user, print_, created_at])
        row = cursor.fetchone()
    if row is None:
        return None
    record = IdempotencyRecord(id=row[0], context=context, key=key, user=user, fingerprint=print_, status_code=0,
                               response={}, created_at=created_at)
    record._state.adding, record._state.db = False, db
    return record
