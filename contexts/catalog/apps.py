from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "contexts.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self):
        from infrastructure.consumers.registry import register

        from . import handlers  # noqa: F401  (registers the command handlers)
        from . import legacy_stock  # noqa: F401  (registers the upcasters of stock before stores)
        from .policies import StockPolicy
        from .projections import CatalogProjection, CatalogStoresProjection

        register(CatalogProjection())
        register(CatalogStoresProjection())
        register(StockPolicy())
