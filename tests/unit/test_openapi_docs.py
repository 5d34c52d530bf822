"""The OpenAPI document is enough to build on: every operation is grouped under its context and
resource, has a summary and a description listing its problem types, every Idempotency-Key header
states its rules, and every write shows a real request and answer that are valid against it."""

import pytest

from infrastructure.idempotency.requests import KEY_PATTERN

pytestmark = [pytest.mark.unit, pytest.mark.django_db]


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        return Client().get("/api/schema/?format=json").json()


@pytest.fixture(scope="module")
def operations(schema):
    return [(f"{method.upper()} {path}", op) for path, ops in schema["paths"].items() for method, op in ops.items()]


def test_the_schema_has_the_operations_of_every_context(operations):
    tags = {tag for _, op in operations for tag in op["tags"]}
    assert {"auth/token", "catalog/products", "customers", "sales/orders", "sales/tills", "stores", "reports"} <= tags


def test_every_operation_has_a_summary_a_description_and_a_context_tag(operations):
    for name, op in operations:
        assert op.get("summary", "").strip() and "\n" not in op["summary"], f"{name} has no one-line summary"
        assert op.get("description", "").strip(), f"{name} has no description"
        # A view without a docstring of its own would show the mixin's, which speaks to developers.
        assert not op["description"].startswith("Adds `GET {id}/history/`"), f"{name}: mixin docstring"
        assert op["tags"] and "v1" not in op["tags"], f"{name} is tagged {op['tags']}"


def test_no_two_operations_of_a_resource_share_a_description(operations):
    # A view's docstring alone would describe all of its operations alike (a tender's POST read
    # "`?active=true` leaves out retired ones"): each must say what it does itself.
    seen = {}
    for name, op in operations:
        own = (op["tags"][0], op["description"].split("**Problem types**")[0].strip())
        assert own not in seen, f"{name} and {seen.get(own)} share the description {own[1]!r}"
        seen[own] = name


def test_every_idempotency_key_header_states_its_rules(operations):
    keyed = {name: param for name, op in operations for param in op.get("parameters", [])
             if param["name"] == "Idempotency-Key"}
    assert "POST /api/v1/sales/orders/" in keyed and keyed["POST /api/v1/sales/orders/"]["required"]
    for name, param in keyed.items():
        assert param["schema"]["pattern"] == KEY_PATTERN.pattern, name
        assert "8 to 128" in param["description"] and "first answer" in param["description"], name


WRITES = ("post", "put", "patch", "delete")
# Answered by the HTTP layer or the gateway, whatever the operation: their pages exist, no view names them.
NOT_PER_OPERATION = {"bad-request", "forbidden", "method-not-allowed", "too-many-requests", "internal-server-error",
                     "database-unavailable", "service-unavailable", "gateway-timeout", "conflict", "out-of-scope",
                     "customer-removed-error", "authentication-failed"}


def _writes(schema):
    return [(f"{method.upper()} {path}", op) for path, ops in schema["paths"].items()
            for method, op in ops.items() if method in WRITES]


def _examples(content: dict) -> list:
    return list(content.get("application/json", {}).get("examples", {}).values())


def test_every_write_shows_a_real_request_and_its_answer(schema):
    writes = _writes(schema)
    assert len(writes) >= 37
    for name, op in writes:
        if "requestBody" in op:
            assert _examples(op["requestBody"]["content"]), f"{name} has no request example"
        for status, response in op["responses"].items():
            if status.startswith("2") and response.get("content"):
                assert _examples(response["content"]), f"{name} shows no {status} answer"


def test_the_examples_file_names_only_operations_the_schema_has(schema):
    from infrastructure.http.openapi import recorded_examples

    assert set(recorded_examples()) <= {name for name, _ in _writes(schema)}, "make api-examples"


def test_the_till_day_examples_show_what_a_till_needs(schema):
    by_name = dict(_writes(schema))
    sale = _examples(by_name["POST /api/v1/sales/orders/"]["requestBody"]["content"])
    assert any({p["method"] for p in e["value"].get("payments", [])} == {"cash", "card"} for e in sale)
    close = _examples(by_name["POST /api/v1/sales/tills/{till_id}/close/"]["responses"]["200"]["content"])
    assert close[0]["value"]["status"] == "closed" and close[0]["value"]["z_report"]["methods"]
    refund = _examples(by_name["POST /api/v1/sales/orders/{order_id}/refunds/"]["responses"]["201"]["content"])
    assert refund[0]["value"]["refund"]["lines"]


def _json_schema(node):
    """OpenAPI 3.0 schema objects as JSON Schema: `nullable: true` becomes "or null"."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    return {"anyOf": [converted, {"type": "null"}]} if node.get("nullable") else converted


def test_every_example_is_valid_against_its_schema(schema):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    document = _json_schema(schema)
    registry = Registry().with_resource("urn:pos", Resource(contents=document, specification=DRAFT202012))
    checked = 0
    for name, op in _writes(schema):
        places = [("request", op.get("requestBody", {}).get("content", {}))]
        places += [(status, r.get("content", {})) for status, r in op["responses"].items() if status.startswith("2")]
        for where, content in places:
            media = content.get("application/json", {})
            for example in media.get("examples", {}).values():
                ref = media["schema"]["$ref"].replace("#", "urn:pos#")
                errors = list(Draft202012Validator({"$ref": ref}, registry=registry).iter_errors(example["value"]))
                assert not errors, f"{name} {where} example {example['summary']!r}: {errors[0].message}"
                checked += 1
    assert checked >= 60


def test_every_operation_lists_its_problem_types_each_with_a_page(operations):
    import re

    from infrastructure.http.problem_types import PROBLEM_TYPES

    listed = set()
    for name, op in operations:
        assert "**Problem types**" in op["description"], f"{name} lists no problem types"
        names = re.findall(r"\(/api/problems/([\w-]+)/\)", op["description"])
        assert names and set(names) <= set(PROBLEM_TYPES), name
        listed |= set(names)
        if name.split()[0].lower() in WRITES:
            own = op.get("x-problem-types", [])
            assert set(own) <= set(names)
    unlisted = set(PROBLEM_TYPES) - listed - NOT_PER_OPERATION
    assert not unlisted, f"no operation lists {sorted(unlisted)}: add them to its extend_schema(extensions=problem_types(...))"
