"""The OpenAPI document is enough to build on: every operation is grouped under its context and
resource, has a summary and a description, and every Idempotency-Key header states its rules."""

import pytest

from infrastructure.idempotency.requests import KEY_PATTERN

pytestmark = [pytest.mark.unit, pytest.mark.django_db]


@pytest.fixture(scope="module")
def operations(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        schema = Client().get("/api/schema/?format=json").json()
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


def test_every_idempotency_key_header_states_its_rules(operations):
    keyed = {name: param for name, op in operations for param in op.get("parameters", [])
             if param["name"] == "Idempotency-Key"}
    assert "POST /api/v1/sales/orders/" in keyed and keyed["POST /api/v1/sales/orders/"]["required"]
    for name, param in keyed.items():
        assert param["schema"]["pattern"] == KEY_PATTERN.pattern, name
        assert "8 to 128" in param["description"] and "first answer" in param["description"], name


@pytest.mark.parametrize("example, serializer", [("SPLIT_PAYMENT_SALE", "OrderIn"), ("REFUND", "RefundIn"),
                                                 ("SESSION_CLOSE", "CloseIn")])
def test_the_request_examples_are_valid_requests(example, serializer):
    from contexts.sales.api import examples
    from contexts.sales.api import serializers as s

    data = getattr(s, serializer)(data=getattr(examples, example).value)
    assert data.is_valid(), data.errors


def test_the_main_writes_show_their_examples(operations):
    by_name = dict(operations)
    for name in ("POST /api/v1/sales/orders/", "POST /api/v1/sales/orders/{order_id}/refunds/",
                 "POST /api/v1/sales/tills/{till_id}/close/"):
        assert by_name[name]["requestBody"]["content"]["application/json"]["examples"], name
