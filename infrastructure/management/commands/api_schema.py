"""Write the API's OpenAPI schema to docs/api/openapi-v1.json (`make schema`), or with `--check`
fail when the committed copy is not the live schema.

Either way it first compares the committed copy with the live schema and refuses a breaking change
(a removal, a type change; infrastructure/http/schema_versions.py) that docs/api/CHANGELOG.md does
not record: /api/v1 only grows, and a break is a decision written down, not a side effect.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from infrastructure.http.schema_versions import breaking_changes, unrecorded

API_DOCS = Path(settings.BASE_DIR) / "docs" / "api"
COMMITTED = API_DOCS / "openapi-v1.json"
CHANGELOG = API_DOCS / "CHANGELOG.md"


def live_schema() -> dict:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))


def render(schema: dict) -> str:
    return json.dumps(schema, indent=1, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Write (or --check) docs/api/openapi-v1.json, refusing breaking changes the changelog does not record."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="fail if the committed schema is not the live one")

    def handle(self, *args, check=False, **options):
        live = live_schema()
        committed = json.loads(COMMITTED.read_text()) if COMMITTED.exists() else None
        if committed is not None:
            missing = unrecorded(breaking_changes(committed, live), CHANGELOG.read_text())
            if missing:
                raise CommandError("Breaking changes to /api/v1 not recorded in docs/api/CHANGELOG.md (record each "
                                   "line there, or make the change additive):\n" + "\n".join(missing))
        if committed == live:
            self.stdout.write("docs/api/openapi-v1.json is up to date.")
        elif check:
            raise CommandError("docs/api/openapi-v1.json is not the live schema: run `make schema` and review its diff.")
        else:
            COMMITTED.write_text(render(live))
            self.stdout.write("wrote docs/api/openapi-v1.json")
