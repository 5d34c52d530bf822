from django.apps import AppConfig
from django.db.models.signals import post_migrate


class InfrastructureConfig(AppConfig):
    name = "infrastructure"
    verbose_name = "Infrastructure"

    def ready(self):
        import infrastructure.http.tasks  # noqa: F401  (registers the token housekeeping task)
        import infrastructure.idempotency.tasks  # noqa: F401  (registers the purge of old answers)
        import infrastructure.projections.admin  # noqa: F401  (the back office's projection rebuilds page)
        from infrastructure.access.roles import ensure_role_groups

        # Not limited to this app: each context's permissions exist only after its own migrations.
        post_migrate.connect(ensure_role_groups, dispatch_uid="pos.ensure_role_groups")
