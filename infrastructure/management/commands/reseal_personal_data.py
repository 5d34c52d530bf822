"""Seal the personal data that older code recorded in plaintext, in every context that has some
(customers' details events v1, sales' delivery addresses in OrderPlaced v1): run once after
upgrading. Safe to run again (a sealed event is never rewritten). docs/personal-data.md."""

from django.core.management.base import BaseCommand

from infrastructure.personal_data.reseal import resealers


class Command(BaseCommand):
    help = "Seal plaintext personal data in events in place, with their inbox copies (docs/personal-data.md)."

    def handle(self, *args, **options):
        for resealer in resealers():
            subjects = resealer.subjects()
            rewritten = resealer.reseal_all()
            self.stdout.write(f"{resealer.context}: {rewritten} events of {len(subjects)} {resealer.subject_name} sealed.")
