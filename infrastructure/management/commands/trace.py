"""`manage.py trace <id>`: an order's (any stream's) or an event's causal chain across contexts,
with the time each step took (infrastructure/observability/trace.py)."""

from django.core.management.base import BaseCommand, CommandError

from infrastructure.observability.trace import format_trace, trace


class Command(BaseCommand):
    help = "Print the causal chain of an order (any stream id) or an event id across contexts."

    def add_arguments(self, parser):
        parser.add_argument("id", help="an order id (any stream id) or an event id")

    def handle(self, *args, id, **options):
        result = trace(id)
        for line in format_trace(result):
            self.stdout.write(line)
        if not result.steps:
            raise CommandError(f"nothing to trace for {id}")
