"""Audit search API, for managers: GET /api/v1/audit/events/?till=...&since=...&until=..."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from infrastructure.access.permissions import IsManager

from ..search import search
from .params import PARAMETERS, query_from
from .serializers import AuditPageOut


class AuditIndexView(APIView):
    permission_classes = [IsManager]

    @extend_schema(summary="Audit API index", tags=["audit"], responses={200: dict})
    def get(self, request):
        return Response({"events": request.build_absolute_uri("events/")})


class AuditEventsView(APIView):
    permission_classes = [IsManager]

    @extend_schema(summary="Search the event archive", tags=["audit"], parameters=PARAMETERS,
                   responses={200: AuditPageOut},
                   description="Every event that matches all the given filters, oldest first, a page at a time.")
    def get(self, request):
        query, page, page_size = query_from(request.query_params)
        result = search(query, page=page, page_size=page_size)
        return Response(AuditPageOut({
            "count": result.count, "page": result.page, "page_size": result.page_size, "source": result.source,
            "next": _page_url(request, page + 1) if result.has_next else None,
            "previous": _page_url(request, page - 1) if page > 1 else None,
            "results": result.results,
        }).data)


def _page_url(request, page: int) -> str:
    params = request.query_params.copy()
    params["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
