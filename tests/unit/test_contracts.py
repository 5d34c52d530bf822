"""Published contracts stay in step with the code: the committed JSON Schema of every event type,
and the OpenAPI document (generated without a single warning)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from jsonschema import Draft202012Validator

from kernel.events import registered_events
from infrastructure.management.commands.export_event_schemas import schema_path

pytestmark = pytest.mark.unit


def test_committed_event_schemas_match_the_event_classes():
    out = StringIO()
    call_command("export_event_schemas", "--check", stdout=out)  # raises CommandError when stale or missing
    assert "event schemas checked" in out.getvalue()


@pytest.mark.parametrize("cls", [c for c in registered_events() if c.context in ("catalog", "customers", "sales")],
                         ids=lambda c: f"{c.context}.{c.__name__}")
def test_each_committed_schema_is_a_valid_json_schema(cls):
    schema = json.loads(schema_path(cls).read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["title"] == f"{cls.context}.{cls.__name__} v{cls.schema_version}"


def test_openapi_schema_generates_without_warnings(tmp_path):
    target = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert text.startswith("openapi: 3") and "/api/v1/sales/orders/" in text and "/api/v1/catalog/products/" in text
