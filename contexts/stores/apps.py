from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "contexts.stores"
    label = "stores"
    verbose_name = "Stores"

    def ready(self):
        from infrastructure.consumers.registry import register

        from . import handlers  # noqa: F401  (registers the command handlers)
        from .projections import StaffDirectory, StoreDirectory

        register(StoreDirectory())
        register(StaffDirectory())
