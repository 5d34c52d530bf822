"""Stores read model, written only by `projections.py`: the store directory for the API and the
back office."""

from django.db import models

from .domain.staff import STAFF_ROLES
from .domain.store import OPEN, STORE_STATUSES


class StoreView(models.Model):
    code = models.CharField(max_length=8, primary_key=True)
    name = models.CharField(max_length=100)
    address_line1 = models.CharField("address line 1", max_length=200)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True, default="")
    address_city = models.CharField("city", max_length=100)
    address_postal_code = models.CharField("postal code", max_length=20, blank=True, default="")
    address_country = models.CharField("country", max_length=2)
    tax_id = models.CharField("tax id", max_length=32)
    time_zone = models.CharField(max_length=64)
    receipt_header = models.TextField(blank=True, default="")
    receipt_footer = models.TextField(blank=True, default="")
    status = models.CharField(max_length=10, choices=STORE_STATUSES, default=OPEN, db_index=True)
    registered_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField()  # the stream version this row reflects

    class Meta:
        db_table = "stores_store_view"
        ordering = ["code"]
        verbose_name = "store"

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def address(self) -> dict:
        return {"line1": self.address_line1, "line2": self.address_line2, "city": self.address_city,
                "postal_code": self.address_postal_code, "country": self.address_country}


class StaffView(models.Model):
    """Staff members and the stores they work in, for the API and the back office."""

    username = models.CharField(max_length=150, primary_key=True)
    role = models.CharField(max_length=10, choices=STAFF_ROLES)
    stores = models.JSONField(default=list)  # store codes, sorted; [] for a head-office manager
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField()

    class Meta:
        db_table = "stores_staff_view"
        ordering = ["username"]
        verbose_name = "staff member"

    def __str__(self):
        return self.username

    @property
    def head_office(self) -> bool:
        return self.role == "manager" and not self.stores
