"""RFC 9457 problem details: flattening DRF's nested validation errors and the body's shape."""

import pytest
from django.db import InterfaceError, OperationalError
from rest_framework import exceptions, serializers

from infrastructure.http.problems import (DATABASE_RETRY_AFTER_S, PROBLEM_CONTENT_TYPE, _flatten,
                                          problem_body, problem_exception_handler)
from infrastructure.http.request_id import current_request_id

pytestmark = pytest.mark.unit


class LineInput(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField(min_value=1)


class OrderInput(serializers.Serializer):
    till = serializers.CharField()
    lines = LineInput(many=True)

    def validate(self, attrs):
        if attrs["till"] == "closed":
            raise serializers.ValidationError("The till is closed.")
        return attrs


def errors_of(data) -> dict:
    serializer = OrderInput(data=data)
    assert not serializer.is_valid()
    return serializer.errors


# --- _flatten -------------------------------------------------------------------------------
def test_flatten_names_nested_list_fields_with_dotted_paths():
    detail = errors_of({"till": "T1", "lines": [{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 0}, {}]})

    flat = _flatten(detail)

    assert flat == [
        {"field": "lines.1.quantity", "message": "Ensure this value is greater than or equal to 1."},
        {"field": "lines.2.sku", "message": "This field is required."},
        {"field": "lines.2.quantity", "message": "This field is required."},
    ]


def test_flatten_puts_non_field_errors_on_the_enclosing_object():
    assert _flatten(errors_of({"till": "closed", "lines": []})) == [{"field": None, "message": "The till is closed."}]
    nested = {"lines": [{"non_field_errors": ["Line is empty."]}]}
    assert _flatten(nested) == [{"field": "lines.0", "message": "Line is empty."}]


def test_flatten_keeps_every_message_of_a_field_and_plain_strings():
    assert _flatten({"price": ["Too many digits.", "Must be positive."]}) == [
        {"field": "price", "message": "Too many digits."},
        {"field": "price", "message": "Must be positive."},
    ]
    assert _flatten("Just wrong.") == [{"field": None, "message": "Just wrong."}]
    assert _flatten(["One.", "Two."]) == [{"field": None, "message": "One."}, {"field": None, "message": "Two."}]
    assert _flatten({}) == []


def test_flatten_indexes_nested_lists_of_lists():
    assert _flatten({"grid": [["a"], [{"x": ["b"]}]]}) == [
        {"field": "grid.0", "message": "a"},
        {"field": "grid.1.0.x", "message": "b"},
    ]


# --- problem_body ---------------------------------------------------------------------------
def test_problem_body_has_the_rfc_9457_members_derived_from_the_status():
    body = problem_body(404, "No product with that SKU.")

    assert body == {
        "type": "/api/problems/not-found/",
        "title": "Not Found",
        "status": 404,
        "detail": "No product with that SKU.",
        "request_id": "-",
    }


def test_problem_body_takes_code_title_instance_errors_and_the_current_request_id():
    token = current_request_id.set("req-123")
    try:
        body = problem_body(422, "Stock would go below zero.", title="Business rule", code="insufficient-stock",
                            errors=[{"field": "quantity", "message": "Too many."}], instance="/api/v1/x/")
    finally:
        current_request_id.reset(token)

    assert body["type"] == "/api/problems/insufficient-stock/"
    assert body["title"] == "Business rule"
    assert body["status"] == 422
    assert body["instance"] == "/api/v1/x/"
    assert body["errors"] == [{"field": "quantity", "message": "Too many."}]
    assert body["request_id"] == "req-123"


def test_problem_body_omits_empty_errors_and_instance():
    body = problem_body(429, "Slow down.", errors=[])

    assert "errors" not in body and "instance" not in body
    assert body["type"] == "/api/problems/too-many-requests/"
    assert body["title"] == "Too Many Requests"


# --- the DRF exception handler on a validation error ----------------------------------------
def test_validation_error_becomes_a_400_problem_with_field_errors():
    exc = exceptions.ValidationError(errors_of({"till": "T1", "lines": [{"sku": "A", "quantity": -1}]}))

    response = problem_exception_handler(exc, {})

    assert response.status_code == 400
    assert response.content_type == PROBLEM_CONTENT_TYPE
    assert response.data["type"] == "/api/problems/validation-error/"
    assert response.data["title"] == "Invalid input"
    assert response.data["errors"] == [
        {"field": "lines.0.quantity", "message": "Ensure this value is greater than or equal to 1."}]
    assert response.data["detail"] == "lines.0.quantity: Ensure this value is greater than or equal to 1."


# --- the database unavailable ---------------------------------------------------------------
@pytest.mark.parametrize("error", [OperationalError("server closed the connection unexpectedly"),
                                   InterfaceError("connection already closed")])
def test_a_database_that_went_away_is_a_503_problem_with_retry_after(error):
    response = problem_exception_handler(error, {})

    assert response.status_code == 503
    assert response.content_type == PROBLEM_CONTENT_TYPE
    assert response["Retry-After"] == str(DATABASE_RETRY_AFTER_S)
    assert response.data["type"] == "/api/problems/database-unavailable/"
    assert "Idempotency-Key" in response.data["detail"]
    assert "connection" not in response.data["detail"]  # the driver's message stays in the log


def test_a_problem_answered_to_a_request_has_an_absolute_type_built_from_it(rf):
    request = rf.get("/api/v1/sales/orders/", secure=True, HTTP_HOST="localhost:8443")
    body = problem_body(409, "Order 7 is voided.", code="not-payable", request=request)
    assert body["type"] == "https://localhost:8443/api/problems/not-payable/"

    # A Host Django refuses is never echoed: the type falls back to the relative reference.
    refused_host = rf.get("/api/v1/sales/orders/", HTTP_HOST="evil.example")
    assert problem_body(409, "x", code="not-payable", request=refused_host)["type"] == "/api/problems/not-payable/"
