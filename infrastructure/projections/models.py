"""A projection rebuild asked for in the back office: who asked, for what, and how it went."""

from django.conf import settings
from django.db import models


class ProjectionRebuild(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    projection = models.CharField(max_length=200, help_text="consumer.Projection, e.g. reporting.DailySales")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    events = models.PositiveBigIntegerField(default=0, help_text="events replayed, when done")
    seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "pos_projection_rebuild"
        ordering = ["-requested_at"]
        verbose_name = "projection rebuild"

    def __str__(self) -> str:
        return f"{self.projection} ({self.get_status_display()})"
