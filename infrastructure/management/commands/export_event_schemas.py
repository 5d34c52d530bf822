"""Write each published event type's JSON Schema to `contexts/<context>/schemas/`, or with
`--check` fail when a committed schema differs from its event class (contract drift)."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kernel.events import registered_events
from infrastructure.events.schemas import event_schema, schema_filename


def schema_path(cls) -> Path:
    return Path(settings.BASE_DIR) / "contexts" / cls.context / "schemas" / schema_filename(cls)


def render(cls) -> str:
    return json.dumps(event_schema(cls), indent=2, sort_keys=False) + "\n"


class Command(BaseCommand):
    help = "Export (or --check) the JSON Schema of every published event type."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="fail if a committed schema is missing or stale")

    def handle(self, *args, check=False, **options):
        stale = []
        published = [cls for cls in registered_events() if cls.context in settings.ALL_CONTEXTS]
        for cls in published:
            path, text = schema_path(cls), render(cls)
            current = path.read_text() if path.exists() else None
            if current == text:
                continue
            if check:
                stale.append(str(path.relative_to(settings.BASE_DIR)))
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                self.stdout.write(f"wrote {path.relative_to(settings.BASE_DIR)}")
        if stale:
            raise CommandError("Event schemas out of date (run manage.py export_event_schemas): " + ", ".join(stale))
        self.stdout.write(f"{len(published)} event schemas {'checked' if check else 'up to date'}.")
