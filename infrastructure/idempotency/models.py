from django.db import models


class IdempotencyRecord(models.Model):
    """The first answer to a request carrying an `Idempotency-Key`, kept so a retry gets it again.

    A key is one user's: two users who pick the same key do not meet (one could otherwise take a
    key first and have the other's sale refused). Kept POS_IDEMPOTENCY_DAYS, then purged
    (infrastructure/idempotency/tasks.py)."""

    context = models.CharField(max_length=32)
    key = models.CharField(max_length=128)
    user = models.CharField(max_length=150)
    fingerprint = models.CharField(max_length=64)  # sha256 of method, path and canonical JSON body
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "es_idempotency"
        constraints = [models.UniqueConstraint(fields=["context", "user", "key"], name="es_idempotency_user_key_uniq")]
        indexes = [models.Index(fields=["created_at"], name="es_idempotency_created_idx")]
