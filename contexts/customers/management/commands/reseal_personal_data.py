"""Seal the customers' details events that older code recorded in plaintext (schema v1): run
once after upgrading. Safe to run again (a sealed event is never rewritten)."""

from django.core.management.base import BaseCommand

from contexts.customers import legacy


class Command(BaseCommand):
    help = "Seal plaintext (v1) customer details events in place, with their inbox copies (docs/personal-data.md)."

    def handle(self, *args, **options):
        customers = legacy.legacy_customers()
        rewritten = legacy.reseal_all()
        self.stdout.write(f"{rewritten} events of {len(customers)} customers sealed.")
