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

        from infrastructure.access.scope import register_till_store_lookup

        from .till_stores import store_of_till

        register_till_store_lookup(store_of_till)
