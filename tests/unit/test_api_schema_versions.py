"""/api/v1 only grows: the live schema is the committed docs/api/openapi-v1.json, and a change that
breaks a client (a removal, a type change, a new required input) is refused unless
docs/api/CHANGELOG.md records it. Refresh the committed copy with `make schema`."""

import copy
import json
from pathlib import Path

import pytest

from infrastructure.http.schema_versions import breaking_changes, unrecorded

pytestmark = [pytest.mark.unit]

API_DOCS = Path(__file__).resolve().parents[2] / "docs" / "api"
SALE = "POST /api/v1/sales/orders/"


@pytest.fixture(scope="module")
def committed() -> dict:
    return json.loads((API_DOCS / "openapi-v1.json").read_text())


@pytest.fixture(scope="module")
def live(django_db_blocker) -> dict:
    from django.test import Client

    with django_db_blocker.unblock():
        return Client().get("/api/schema/?format=json").json()


@pytest.mark.django_db
def test_the_live_schema_breaks_nothing_the_changelog_does_not_record(committed, live):
    missing = unrecorded(breaking_changes(committed, live), (API_DOCS / "CHANGELOG.md").read_text())
    assert not missing, ("breaking changes to /api/v1 (record each line in docs/api/CHANGELOG.md, or make the "
                         "change additive):\n" + "\n".join(missing))


@pytest.mark.django_db
def test_the_committed_schema_is_the_live_one(committed, live):
    assert committed == live, "docs/api/openapi-v1.json is out of date: run `make schema` and review its diff"


# --- what counts as breaking (on the committed schema itself, changed in memory) -------------------
def _order_state(document):
    return document["components"]["schemas"]["OrderState"]


def test_a_removed_operation_and_path_are_breaking(committed):
    changed = copy.deepcopy(committed)
    del changed["paths"]["/api/v1/sales/orders/{order_id}/void/"]
    assert {"removed path /api/v1/sales/orders/{order_id}/void/",
            "removed operation POST /api/v1/sales/orders/{order_id}/void/"} <= set(breaking_changes(committed, changed))


def test_a_removed_answer_field_and_a_changed_type_are_breaking(committed):
    changed = copy.deepcopy(committed)
    del _order_state(changed)["properties"]["change"]
    _order_state(changed)["properties"]["version"] = {"type": "string"}
    changes = breaking_changes(committed, changed)
    assert f"removed field {SALE} 201 .change" in changes
    assert f"changed type field {SALE} 201 .version: integer -> string" in changes


def _kind(document) -> dict:  # the sale's `kind` input: an enum (till, delivery) with a default
    return document["components"]["schemas"]["OrderInRequest"]["properties"]["kind"]


def test_a_removed_enum_value_is_breaking_and_a_new_one_is_not(committed):
    changed = copy.deepcopy(committed)
    _kind(changed).update(allOf=[{"type": "string", "enum": ["till", "delivery", "gift"]}])
    assert breaking_changes(committed, changed) == []
    _kind(changed).update(allOf=[{"type": "string", "enum": ["till"]}])
    assert breaking_changes(committed, changed) == [f"removed field {SALE} request .kind=delivery"]


def test_an_input_enum_widened_to_any_string_is_not_breaking_but_an_answers_is(committed):
    changed = copy.deepcopy(committed)
    _kind(changed).update(allOf=[{"type": "string", "maxLength": 20}])
    assert breaking_changes(committed, changed) == []
    changed["components"]["schemas"]["SessionStatusEnum"] = {"type": "string"}  # sessions' answers only
    changes = breaking_changes(committed, changed)
    assert changes and all(" request " not in change and change.endswith(("=open", "=closed")) for change in changes)


def test_a_new_required_input_is_breaking_and_a_new_optional_one_is_not(committed):
    changed = copy.deepcopy(committed)
    request = changed["components"]["schemas"]["OrderInRequest"]
    request["properties"]["note"] = {"type": "string"}
    assert breaking_changes(committed, changed) == []
    request["required"].append("note")
    assert breaking_changes(committed, changed) == [f"added required field {SALE} request .note"]


def test_additions_are_not_breaking(committed):
    changed = copy.deepcopy(committed)
    _order_state(changed)["properties"]["loyalty_points"] = {"type": "integer"}
    changed["paths"]["/api/v1/sales/gift-cards/"] = {"get": {"responses": {}}}
    assert breaking_changes(committed, changed) == []


def test_a_change_recorded_in_the_changelog_passes():
    changes = ["removed field GET /api/v1/x/ 200 .y", "removed path /api/v1/z/"]
    changelog = "## 2027-01-10\n- breaking: `removed field GET /api/v1/x/ 200 .y` — nobody read it\n"
    assert unrecorded(changes, changelog) == ["removed path /api/v1/z/"]
