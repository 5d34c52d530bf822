from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CustomersConfig(AppConfig):
    name = "contexts.customers"
    label = "customers"
    verbose_name = "Customers"

    def ready(self):
        from infrastructure.consumers.registry import register
        from infrastructure.personal_data.reseal import Resealer, register_resealer
        from infrastructure.personal_data.sealing import register_sealer

        from . import handlers, legacy  # noqa: F401  (registers the command handlers)
        from .sealing import CustomerSealer
        from .access import grant_role_permissions
        from .policies import LoyaltyPolicy
        from .projections import CustomerDirectory

        register_sealer("customers", CustomerSealer())  # before anything reads or writes an event
        register_resealer(Resealer("customers", "customers", legacy.legacy_customers, legacy.reseal_all))
        register(CustomerDirectory())
        register(LoyaltyPolicy())
        post_migrate.connect(grant_role_permissions, sender=self, dispatch_uid="customers.grant_role_permissions")
