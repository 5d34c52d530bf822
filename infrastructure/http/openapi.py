"""OpenAPI: every operation documents the RFC 9457 problem-details answers it can give.

The error answers come from one place (`problems.problem_exception_handler` and the middleware),
so they are documented in one place too: `ProblemAutoSchema` adds them to each operation from what
the view is (its permissions, whether it names a resource, whether it writes), and gives every
4xx/5xx answer the `application/problem+json` media type with the `ProblemDetails` body. A view
may still declare an error status itself (`problem("why")`) to say *why* it happens.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from infrastructure.http.problems import PROBLEM_CONTENT_TYPE

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


def problem(description: str) -> OpenApiResponse:
    """An error answer declared by a view (to say why); its body is always `ProblemDetails`."""
    return OpenApiResponse(response=ProblemDetails, description=description)


class ProblemAutoSchema(AutoSchema):
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
