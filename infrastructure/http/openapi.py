"""OpenAPI: every operation documents the RFC 9457 problem-details answers it can give.

The error answers come from one place (`problems.problem_exception_handler` and the middleware),
so they are documented in one place too: `ProblemAutoSchema` adds them to each operation from what
the view is (its permissions, whether it names a resource, whether it writes), and gives every
4xx/5xx answer the `application/problem+json` media type with the `ProblemDetails` body. A view
may still declare an error status itself (`problem("why")`) to say *why* it happens.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

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
        return super().get_description() or (self.get_summary() or "") + "."

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
        for status in self._problem_statuses():
            responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
        for code, response in responses.items():
            if code.isdigit() and int(code) >= 400:
                response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": ref}}
        return dict(sorted(responses.items()))
