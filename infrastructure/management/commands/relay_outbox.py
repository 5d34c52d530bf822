"""Publish pending outbox events now (operations and debugging): `manage.py relay_outbox
[--context C] [--once]`. Without --context, every context with pending events.

`manage.py relay_outbox --listen [--context C]`: run until SIGTERM/SIGINT as the relay process
woken by PostgreSQL LISTEN/NOTIFY (see infrastructure/outbox/listener.py); without --context,
for every context this process serves (POS_CONTEXTS)."""

import threading

from django.conf import settings

from django.core.management.base import BaseCommand, CommandError

from infrastructure.outbox.relay import DEFAULT_BATCH_SIZE, MAX_PASSES, relay_pending
from infrastructure.outbox.pending import contexts_with_pending_events


class Command(BaseCommand):
    help = "Publish the pending outbox events of one context (or all) and print how many went out."

    def add_arguments(self, parser):
        parser.add_argument("--context", help="only this context (default: every context with pending events)")
        parser.add_argument("--once", action="store_true", help="a single pass (one batch) instead of until done")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
        parser.add_argument("--listen", action="store_true",
                            help="keep running: relay whenever PostgreSQL notifies a commit (until SIGTERM)")

    def handle(self, *args, context=None, once=False, batch_size=DEFAULT_BATCH_SIZE, listen=False, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if listen:
            from infrastructure.consumers.runner import install_signal_handlers
            from infrastructure.outbox.listener import listen_and_relay

            stop = threading.Event()
            install_signal_handlers(stop)
            total = listen_and_relay([context] if context else settings.POS_CONTEXTS, stop)
            self.stdout.write(f"relay listener stopped; published {total} event(s)")
            return
        contexts = [context] if context else contexts_with_pending_events()
        total = 0
        for name in contexts:
            count = relay_pending(name, batch_size=batch_size, max_passes=1 if once else MAX_PASSES)
            total += count
            self.stdout.write(f"{name}: published {count}")
        self.stdout.write(f"published {total} event(s)")
