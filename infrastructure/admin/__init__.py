"""Shared admin building blocks (commands.py, history.py). Imported by the admin's autodiscovery,
which also registers the infrastructure app's own page: projection rebuilds."""

from infrastructure.projections import admin as _projections_admin  # noqa: F401 - registers its ModelAdmin
