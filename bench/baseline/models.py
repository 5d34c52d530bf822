from django.db import models


class BaselineRow(models.Model):
    """One ordinary row per request: what a plain CRUD endpoint writes."""

    till_id = models.UUIDField()
    note = models.CharField(max_length=200)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "bench_baseline_row"
