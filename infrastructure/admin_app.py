"""Django's admin app with the back office's site as its default (`infrastructure/admin/site.py`)."""

from django.contrib.admin.apps import AdminConfig


class BackOfficeAdminConfig(AdminConfig):
    default_site = "infrastructure.admin.site.BackOfficeSite"
