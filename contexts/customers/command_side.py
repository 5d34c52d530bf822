"""Lookup tables the command side needs for rules that span customers, written by the command
handlers in the same transaction as the events (never by projections, never read by the API):

- an email address belongs to at most one customer that is not removed. Registering (or
  changing to) an address inserts its claim; a unique index makes a concurrent claimer wait for
  the first transaction and then fail; removing a customer (or changing the address) releases it.
"""

from django.db import models


class EmailClaim(models.Model):
    email_key = models.CharField(max_length=254, primary_key=True)  # values.email_key(email)
    customer_id = models.UUIDField(unique=True)
    claimed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "customers_cmd_email_claim"

    def __str__(self):
        return f"{self.email_key} -> {self.customer_id}"
