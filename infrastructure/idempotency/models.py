from django.db import models


class IdempotencyRecord(models.Model):
    """The first answer to a request carrying an `Idempotency-Key`, kept so a retry gets it again."""

    context = models.CharField(max_length=32)
    key = models.CharField(max_length=128)
    user = models.CharField(max_length=150)
    fingerprint = models.CharField(max_length=64)  # sha256 of method, path and canonical JSON body
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "es_idempotency"
        constraints = [models.UniqueConstraint(fields=["context", "key"], name="es_idempotency_key_uniq")]
