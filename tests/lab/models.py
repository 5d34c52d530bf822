"""The lab's read models (written only by the projections in tests/lab/subscribers.py)."""

from decimal import Decimal

from django.db import models


class TallyTotal(models.Model):
    """One row per tally: its name and what was added to / removed from it (projection TallyTotals)."""

    tally_id = models.CharField(max_length=64, primary_key=True)
    name = models.CharField(max_length=200, blank=True, default="")
    quantity = models.IntegerField(default=0)  # added minus removed
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))  # sum of ItemAdded.amount
    events = models.IntegerField(default=0)  # events applied to this row

    class Meta:
        db_table = "lab_tally_total"

    def __str__(self):
        return f"{self.name or self.tally_id}: {self.quantity} items, {self.amount}"


class EventCount(models.Model):
    """How many lab events of each type were applied (projection EventCounts)."""

    event_type = models.CharField(max_length=100, primary_key=True)
    count = models.BigIntegerField(default=0)

    class Meta:
        db_table = "lab_event_count"

    def __str__(self):
        return f"{self.event_type}: {self.count}"
