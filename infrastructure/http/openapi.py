"""OpenAPI: every operation documents the RFC 9457 problem-details answers it can give, and shows
a real request and answer.

The error answers come from one place (`problems.problem_exception_handler` and the middleware),
so they are documented in one place too: `ProblemAutoSchema` adds them to each operation from what
the view is (its permissions, whether it names a resource, whether it writes), and gives every
4xx/5xx answer the `application/problem+json` media type with the `ProblemDetails` body. A view
may still declare an error status itself (`problem("why")`) to say *why* it happens, and names the
problem types particular to it with `extend_schema(extensions=problem_types("no-open-session", ...))`;
the operation's description and each error answer then list their types, generic ones included.

Examples: docs/api/examples.json holds a request and the server's answer for every write,
recorded from a real run by `make api-examples` (scripts/api_examples.py); `get_examples` shows
them with the operation they were sent to.
"""

import json
from functools import cache
from pathlib import Path

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_doc
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from infrastructure.http.problem_types import PROBLEM_TYPES, PROBLEMS_PATH
from infrastructure.http.problems import PROBLEM_CONTENT_TYPE
from infrastructure.idempotency.requests import KEY_PATTERN

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

DESCRIPTIONS = {
    400: "Malformed request: not JSON, wrong types, out-of-range values, or an unknown filter value",
    401: "Not authenticated, or the credentials or token are not valid",
    403: "The role (or the till the token is bound to) does not allow this",
    404: "No such resource (for a list: no such page)",
    409: "Conflicts with the resource's current state, or with a concurrent change (retry)",
    406: "Cannot answer in the format asked for (`Accept` header or `?format=`)",
    413: "The request body is too large",
    415: "The request body is not JSON",
    422: "A business rule refused the request",
    429: "Too many requests; retry after the Retry-After header's seconds",
}


class ProblemError(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="Dotted path of the field at fault, e.g. lines.0.quantity")
    message = serializers.CharField()


class ProblemDetails(serializers.Serializer):
    """RFC 9457 problem details, as every error answer of the API is shaped."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    request_id = serializers.CharField(allow_null=True)
    instance = serializers.CharField(required=False)
    errors = ProblemError(many=True, required=False)


IDEMPOTENCY_RULES = (
    "One key per submission: 8 to 128 of letters, digits and `. _ : -` (a UUID will do). A retry with the "
    "same key and the same body returns the first answer (same status and body) and applies nothing again, "
    "so a till that lost an answer retries safely; the same key with a different body is refused "
    "(422 `idempotency-key-reused`). Keys are per user, kept POS_IDEMPOTENCY_DAYS (7 by default).")


def idempotency_key(*, required: bool) -> OpenApiParameter:
    """The `Idempotency-Key` header of a write, with its rules: one definition for every operation."""
    ask = "Required." if required else "Optional, recommended: without it a retry may apply twice."
    return OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=required,
                            pattern=KEY_PATTERN.pattern, description=f"{ask} {IDEMPOTENCY_RULES}")


PROBLEM_TYPES_EXTENSION = "x-problem-types"
EXAMPLES_FILE = Path(__file__).resolve().parents[2] / "docs" / "api" / "examples.json"

# The problem types any operation may answer, by status; writes and keyed writes add theirs.
GENERIC_PROBLEMS = {400: ["validation-error", "parse-error"], 401: ["not-authenticated", "token-not-valid"],
                    403: ["permission-denied"], 404: ["not-found"], 406: ["not-acceptable"],
                    409: ["concurrency-conflict"], 413: ["body-too-large"], 415: ["unsupported-media-type"],
                    422: ["domain-error"], 429: ["throttled"]}


def problem_types(*names: str) -> dict:
    """`extend_schema(extensions=problem_types(...))`: the problem types particular to an operation
    (the refusals its command can give). A name without a page in the registry fails at import."""
    unknown = [name for name in names if name not in PROBLEM_TYPES]
    if unknown:
        raise ValueError(f"Not in infrastructure/http/problem_types.py: {unknown}")
    return {PROBLEM_TYPES_EXTENSION: list(names)}


@cache
def recorded_examples() -> dict:
    """docs/api/examples.json by "METHOD /path/{param}/" (empty if the file is missing)."""
    return json.loads(EXAMPLES_FILE.read_text()) if EXAMPLES_FILE.exists() else {}


def problem(description: str) -> OpenApiResponse:
    """An error answer declared by a view (to say why); its body is always `ProblemDetails`."""
    return OpenApiResponse(response=ProblemDetails, description=description)


# Summaries of the operations whose view does not set one itself (DRF's generic actions), by
# operationId; tests/unit/test_openapi_docs.py fails on an operation with none.
SUMMARIES = {
    "v1_auth_me_retrieve": "Who the token belongs to",
    "v1_auth_token_refresh_create": "Refresh: a new access token for a refresh token (which rotates)",
    "v1_catalog_categories_list": "List product categories",
    "v1_catalog_categories_create": "Create a product category",
    "v1_catalog_categories_retrieve": "One product category",
    "v1_catalog_products_list": "List products with their stock",
    "v1_catalog_products_create": "Create a product",
    "v1_catalog_products_retrieve": "One product with its stock",
    "v1_catalog_products_adjust_stock_create": "Adjust a product's stock",
    "v1_catalog_products_change_price_create": "Change a product's price",
    "v1_catalog_products_discontinue_create": "Discontinue a product",
    "v1_catalog_products_reactivate_create": "Reinstate a discontinued product",
    "v1_catalog_products_receive_stock_create": "Receive stock of a product",
    "v1_sales_orders_list": "List orders",
    "v1_sales_orders_retrieve": "One order",
    "v1_sales_sessions_list": "List till sessions with their running figures",
    "v1_sales_sessions_retrieve": "One till session with its running figures",
    "v1_sales_tills_list": "List tills",
    "v1_sales_tills_create": "Register a till",
    "v1_sales_tills_retrieve": "One till",
}


class ProblemAutoSchema(AutoSchema):
    def _context_and_resource(self) -> tuple[str, str]:
        """`/api/v1/sales/orders/{id}/void/` -> ("sales", "orders"); a context's own resource
        (`/api/v1/customers/{id}/`) -> ("customers", "customers")."""
        parts = [part for part in self.path.split("/") if part][2:]  # after "api", "v1"
        context = parts[0] if parts else "index"
        resource = parts[1] if len(parts) > 1 and not parts[1].startswith("{") else context
        return context, resource

    def get_tags(self) -> list[str]:
        # One tag per resource, named after its context, so Swagger UI groups operations by
        # context and resource rather than under one "v1" heading.
        context, resource = self._context_and_resource()
        return [context if resource == context else f"{context}/{resource}"]

    def get_summary(self) -> str | None:
        return super().get_summary() or SUMMARIES.get(self.get_operation_id())

    def get_description(self) -> str:
        own, summary = super().get_description(), self.get_summary() or ""
        # The view's docstring (or its base's, cleaned as drf-spectacular cleans it), not the
        # operation's: every operation of a view would say the same, so it starts with its summary.
        if not own or own == get_doc(self.view.__class__):
            own = f"{summary}.\n\n{own}".strip()
        return own

    def get_operation(self, *args, **kwargs):
        # Here rather than in get_description, which an extend_schema(description=...) replaces.
        operation = super().get_operation(*args, **kwargs)
        if operation is not None:
            listed = "\n".join(f"- {status} " + ", ".join(f"[`{name}`]({PROBLEMS_PATH}{name}/)" for name in names)
                               for status, names in self._problem_types().items())
            operation["description"] = (f"{operation.get('description', '')}\n\n**Problem types** (the `type` of an "
                                        f"error answer; each links to a page saying what to do):\n\n{listed}").strip()
        return operation

    def get_examples(self) -> list[OpenApiExample]:
        examples = list(super().get_examples())
        for recorded in recorded_examples().get(f"{self.method} {self.path}", []):
            common = {"summary": recorded["summary"], "description": recorded.get("description", "")}
            if "request" in recorded:
                examples.append(OpenApiExample(recorded["summary"], value=recorded["request"], request_only=True,
                                               **common))
            if "response" in recorded:
                examples.append(OpenApiExample(recorded["summary"], value=recorded["response"], response_only=True,
                                               status_codes=[str(recorded["status"])], **common))
        return examples

    def _problem_types(self) -> dict[int, list[str]]:
        """The problem types of this operation by status: the generic ones of its statuses, then its own."""
        statuses = set(self._problem_statuses())
        by_status = {status: list(GENERIC_PROBLEMS.get(status, [])) for status in sorted(statuses)}
        if self.method in WRITE_METHODS and "Idempotency-Key" in self._parameter_names():
            by_status.setdefault(422, []).append("idempotency-key-reused")
        for name in self.get_extensions().get(PROBLEM_TYPES_EXTENSION, []):
            by_status.setdefault(PROBLEM_TYPES[name].status, []).append(name)
        if self.method not in WRITE_METHODS:
            by_status.pop(409, None), by_status.pop(422, None)
        return dict(sorted(by_status.items()))

    def _parameter_names(self) -> set[str]:
        return {getattr(p, "name", None) for p in self.get_override_parameters()}

    def _problem_statuses(self) -> list[int]:
        statuses = [400, 401, 406, 429]
        permissions = self.view.get_permissions() if hasattr(self.view, "get_permissions") else []
        if any(not isinstance(p, AllowAny) for p in permissions):
            statuses.append(403)
        paginated = self._is_list_view() and getattr(self.view, "pagination_class", None) is not None
        if "{" in self.path or paginated:
            statuses.append(404)
        if self.method in WRITE_METHODS:
            statuses += [409, 413, 415, 422]
        return statuses

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        ref = self.resolve_serializer(ProblemDetails, "response").ref
        types = self._problem_types()
        for status in types:
            responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
        for code, response in responses.items():
            if code.isdigit() and int(code) >= 400:
                response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": ref}}
                if types.get(int(code)):
                    response["description"] += ". Problem types: " + ", ".join(f"`{n}`" for n in types[int(code)])
        return dict(sorted(responses.items()))


# The limits of the database's integer columns, which a model serializer's fields inherit: 64-bit on
# SQLite (embedded), 32-bit on PostgreSQL. They say how the row is stored, not what the API answers,
# and would make the schema differ by backend (and the committed copy match only one of them).
STORAGE_BOUNDS = {-(2**31), 2**31 - 1, -(2**63), 2**63 - 1}


def drop_storage_integer_bounds(result, generator, request, public):
    """SPECTACULAR_SETTINGS postprocessing hook: the answers' integers without storage limits.

    Only answer components: request bodies keep their bounds, so that input past them is refused
    with a 400 before it reaches the database."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            continue
        for field in component.get("properties", {}).values():
            if field.get("type") == "integer":
                for key in ("minimum", "maximum"):
                    if field.get(key) in STORAGE_BOUNDS:
                        del field[key]
                if field.get("format") in ("int32", "int64"):
                    del field["format"]
    return result
