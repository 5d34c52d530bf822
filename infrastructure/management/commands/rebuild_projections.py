"""`manage.py rebuild_projections [--context C] [--projection P] [--batch-size N] [--no-progress]`:
empty read models and replay them from their context's inbox (see
infrastructure/projections/rebuild.py for why this is safe while consumers are running)."""

from django.core.management.base import BaseCommand, CommandError

from infrastructure.projections.rebuild import DEFAULT_BATCH_SIZE, rebuild, replayable_projections


class Command(BaseCommand):
    help = "Drop and replay projections from the inbox, in batches, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("--context", default=None, help="only this consuming context's projections")
        parser.add_argument("--projection", default=None, help="only this projection (Name or context.Name)")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                            help=f"inbox rows per batch (default {DEFAULT_BATCH_SIZE})")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, context, projection, batch_size, no_progress, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be positive")
        try:
            selected = replayable_projections(context, projection)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        if not selected:
            self.stdout.write("No projections are registered.")
            return
        stream = getattr(self.stderr, "_out", self.stderr)  # the raw stream: tqdm redraws with \r
        progress = not no_progress and hasattr(stream, "isatty") and stream.isatty()
        total_events = total_seconds = 0.0
        for subscriber in selected:
            result = rebuild(subscriber, batch_size=batch_size, progress=progress, progress_file=stream)
            total_events += result.events
            total_seconds += result.seconds
            self.stdout.write(str(result))
        if len(selected) > 1:
            rate = total_events / total_seconds if total_seconds > 0 else 0.0
            self.stdout.write(f"{len(selected)} projections, {int(total_events)} events in {total_seconds:.2f}s "
                              f"({rate:,.0f} events/s)")
