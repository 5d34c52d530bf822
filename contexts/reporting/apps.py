from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "contexts.reporting"
    label = "reporting"
    verbose_name = "Reporting"
