"""JWT endpoints for tills, throttled so a password cannot be guessed at speed."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from infrastructure.access.roles import roles_of


class LoginThrottle(ScopedRateThrottle):
    scope_attr = "throttle_scope"


class ObtainTokenView(TokenObtainPairView):
    throttle_classes = [LoginThrottle]
    throttle_scope = "login"


class RefreshTokenView(TokenRefreshView):
    throttle_classes = [LoginThrottle]
    throttle_scope = "login"


class WhoAmIView(APIView):
    """Who the token belongs to and which roles it carries (a till shows this after login)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=inline_serializer("WhoAmI", {
        "username": serializers.CharField(), "roles": serializers.ListField(child=serializers.CharField())}))
    def get(self, request):
        return Response({"username": request.user.get_username(), "roles": sorted(roles_of(request.user))})
