from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "contexts.sales"
    label = "sales"
    verbose_name = "Sales"

    def ready(self):
        from infrastructure.consumers.registry import register

        from . import handlers  # noqa: F401  (registers the command handlers)
        from .policies import ReservationRepliesPolicy
        from .projections import register_projections

        register_projections()
        register(ReservationRepliesPolicy())
