from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "contexts.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self):
        from .archiving import register_archive

        register_archive()
