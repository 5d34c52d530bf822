from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "contexts.sales"
    label = "sales"
    verbose_name = "Sales"

    def ready(self):
        from infrastructure.consumers.registry import register
        from infrastructure.personal_data.holdings import register_holding
        from infrastructure.personal_data.reseal import Resealer, register_resealer
        from infrastructure.personal_data.sealing import register_sealer

        from . import handlers, legacy, upcasters  # noqa: F401  (registers the command handlers, the upcasters)
        from .export import held_about_customer
        from .policies import ForgottenCustomersPolicy, ReservationRepliesPolicy
        from .projections import register_projections
        from .sealing import SalesSealer

        register_sealer("sales", SalesSealer())  # before anything reads or writes an event
        register_resealer(Resealer("sales", "address holders (customers or orders)",
                                   legacy.legacy_subjects, legacy.reseal_all))
        register_holding("sales", held_about_customer)  # in the customer's export
        register(ForgottenCustomersPolicy())  # before the orders projection (see the policy)
        register_projections()
        register(ReservationRepliesPolicy())

        from infrastructure.access.scope import register_till_store_lookup

        from .till_stores import store_of_till

        register_till_store_lookup(store_of_till)
