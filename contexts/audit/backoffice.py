"""The back office's audit search (/admin/audit/): the API's question as a form, its answer as a
table. Managers only; the same parameters, checks and search as GET /api/v1/audit/events/."""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from rest_framework.exceptions import ValidationError

from infrastructure.access.roles import MANAGER, request_roles

from .api.params import AuditQueryIn, query_from
from .search import search

FIELDS = [name for name in AuditQueryIn().fields if name not in ("page", "page_size")]


@staff_member_required
def audit_search(request):
    if MANAGER not in request_roles(request):
        raise PermissionDenied("The audit search is for managers.")
    asked = {name: request.GET[name] for name in FIELDS if request.GET.get(name)}
    errors, result = {}, None
    if asked:
        try:
            query, page, page_size = query_from(request.GET)
            result = search(query, page=page, page_size=page_size)
        except ValidationError as exc:
            errors = {field: " ".join(str(m) for m in messages) for field, messages in exc.detail.items()}
    page = result.page if result else 1
    return render(request, "audit/search.html", {
        **admin.site.each_context(request),
        "title": "Audit search",
        "fields": [(name, asked.get(name, ""), errors.get(name, "")) for name in FIELDS],
        "errors": errors,
        "result": result,
        "next_query": _with_page(request, page + 1) if result and result.has_next else None,
        "previous_query": _with_page(request, page - 1) if result and page > 1 else None,
    })


def _with_page(request, page: int) -> str:
    params = request.GET.copy()
    params["page"] = str(page)
    return params.urlencode()


urlpatterns = [path("", audit_search, name="audit-search")]
