"""Customers read model, written only by `projections.py`. Shaped for the till's customer
lookup (search by name, phone or email), the back office and the API."""

from django.db import models

from .domain.customer import ACTIVE, CUSTOMER_STATUSES

# Command-side lookup tables live in their own module but belong to this app's models.
from .command_side import EmailClaim  # noqa: F401,E402
from .keyring import DataKey  # noqa: F401,E402


class CustomerView(models.Model):
    id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=16, null=True, blank=True)  # normalised: digits, optional leading +
    phone_digits = models.CharField(max_length=15, blank=True, default="", db_index=True)  # for search
    email = models.CharField(max_length=254, null=True, blank=True, db_index=True)
    address_line1 = models.CharField("address line 1", max_length=200, blank=True, default="")
    address_line2 = models.CharField("address line 2", max_length=200, blank=True, default="")
    address_city = models.CharField("city", max_length=100, blank=True, default="")
    address_postal_code = models.CharField("postal code", max_length=20, blank=True, default="")
    address_country = models.CharField("country", max_length=2, blank=True, default="")
    points_balance = models.IntegerField("loyalty points", default=0)
    status = models.CharField(max_length=10, choices=CUSTOMER_STATUSES, default=ACTIVE, db_index=True)
    registered_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField()  # the stream version this row reflects

    class Meta:
        db_table = "customers_customer_view"
        ordering = ["name", "id"]
        verbose_name = "customer"
        indexes = [models.Index(fields=["name", "id"], name="customers_view_name_idx")]

    def __str__(self):
        return self.name

    @property
    def address(self) -> dict | None:
        """The address as the API shows it, or None (line1 is required whenever there is one)."""
        if not self.address_line1:
            return None
        return {"line1": self.address_line1, "line2": self.address_line2, "city": self.address_city,
                "postal_code": self.address_postal_code, "country": self.address_country}
