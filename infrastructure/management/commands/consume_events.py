"""`manage.py consume_events --context reporting`: the Kafka consumer process of one consuming
context (see infrastructure/consumers/runner.py). SIGTERM or SIGINT: finish the batch, commit,
leave the group, exit 0."""

import logging
import threading

from django.core.management.base import BaseCommand, CommandError

from infrastructure.consumers import registry, runner


class Command(BaseCommand):
    help = "Consume the events a context subscribes to from Kafka and apply them to its projections and policies."

    def add_arguments(self, parser):
        parser.add_argument("--context", required=True, help="the consuming context (its consumer group)")
        parser.add_argument("--max-messages", type=int, default=None,
                            help="stop after handling this many messages")
        parser.add_argument("--idle-exit", type=float, default=None, metavar="SECONDS",
                            help="stop after this many seconds without a message")
        parser.add_argument("--max-records", type=int, default=runner.MAX_RECORDS,
                            help="records per poll, and so per database transaction (default %(default)s)")

    def handle(self, *args, context, max_messages, idle_exit, max_records, verbosity, **options):
        if max_records < 1:
            raise CommandError("--max-records must be at least 1")
        if not registry.subscribers_of(context):
            raise CommandError(f"No subscribers are registered for {context!r}; known consumers: "
                               f"{', '.join(registry.consumers()) or 'none'}")
        if verbosity >= 3:
            logging.getLogger("infrastructure.consumers").setLevel(logging.DEBUG)
        stop = threading.Event()
        runner.install_signal_handlers(stop)
        stats = runner.run(context, stop, max_messages=max_messages, idle_exit=idle_exit, max_records=max_records)
        if verbosity >= 1:
            self.stdout.write(stats.summary())
