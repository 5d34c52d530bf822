from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "contexts.reporting"
    label = "reporting"
    verbose_name = "Reporting"

    def ready(self):
        from .projections import register_projections

        register_projections()
