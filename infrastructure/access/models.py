from django.conf import settings
from django.db import models


class StoreAssignment(models.Model):
    """A member of staff works in this store (`infrastructure/access/scope.py`). Kept with the
    user accounts and role groups (the `default` database), which every process reads to
    authenticate; written only by the stores context's staff handlers, together with the staff
    events that record the change."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="store_assignments")
    store_code = models.CharField(max_length=8)

    class Meta:
        db_table = "access_store_assignment"
        constraints = [models.UniqueConstraint(fields=["user", "store_code"], name="access_store_assignment_uniq")]

    def __str__(self):
        return f"{self.user_id} @ {self.store_code}"
