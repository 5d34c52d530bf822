from importlib import import_module, util

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse


def api_prefix(context: str) -> str:
    """Where a context's API is mounted: /api/v1/<API_PREFIX or the context's name>/."""
    package = f"contexts.{context}.api"
    return getattr(import_module(package), "API_PREFIX", context) if util.find_spec(package) else context


@extend_schema(summary="API index: the contexts this process serves", responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request):
    return Response({
        "contexts": {name: request.build_absolute_uri(f"/api/v1/{api_prefix(name)}/") for name in settings.POS_CONTEXTS},
        "auth": {
            "token": reverse("auth-token", request=request),
            "refresh": reverse("auth-token-refresh", request=request),
        },
        "schema": reverse("schema", request=request),
        "docs": reverse("docs", request=request),
    })
