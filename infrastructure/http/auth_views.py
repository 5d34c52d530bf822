"""JWT endpoints for tills, throttled so a password cannot be guessed at speed.

- `POST auth/token/` {username, password, till_id?} -> access (15 min) + refresh (12 h). With
  `till_id` both tokens carry a `till` claim that binds them to that till
  (`infrastructure/access/tills.py`); refreshing keeps the claim. A login at a till of a store the
  user does not work in is a 403 (`infrastructure/access/scope.py`).
  Failed attempts are counted by django-axes per username and per client address; past the limit
  the login answers 429 (docs/security.md). Successful logins are not counted.
- `POST auth/token/refresh/` {refresh} -> a new access *and* a new refresh token; the old refresh
  token is blacklisted (ROTATE_REFRESH_TOKENS + BLACKLIST_AFTER_ROTATION), so a stolen one that
  was already used cannot be reused, and the reuse of a rotated one is refused. Refused (401) too
  when the user's password changed since the login, when the user is inactive or gone, and once
  the login is older than POS_JWT_MAX_LOGIN_HOURS (infrastructure/http/tokens.py). Throttled per
  user, not per address: the tills of a shop share one.
- `POST auth/logout/` {refresh} -> 205: the refresh token is blacklisted and the access token of
  the request (its `jti`) goes on a deny-list in the cache until it would expire anyway, so
  logging out takes effect at once (`infrastructure/http/authentication.py`).
"""

from django.contrib.auth import get_user_model
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import AuthenticationFailed, TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from infrastructure.access.roles import roles_of
from infrastructure.access.scope import check_user_at_till
from infrastructure.access.tills import TILL_CLAIM, bound_till
from infrastructure.http.authentication import deny_access_token
from infrastructure.http.openapi import problem_types
from infrastructure.http.login_lockout import LOCKED_DETAIL, retry_after_seconds
from infrastructure.http.throttling import RefreshThrottle
from infrastructure.http.tokens import PosRefreshToken


class DenyListJWTScheme(SimpleJWTScheme):
    """OpenAPI: our bearer authentication is simplejwt's (registered on import of this module)."""

    target_class = "infrastructure.http.authentication.DenyListJWTAuthentication"


class TillTokenObtainSerializer(TokenObtainPairSerializer):
    token_class = PosRefreshToken
    till_id = serializers.UUIDField(required=False, allow_null=True,
                                    help_text="Log in at this till: the tokens are bound to it.")

    def validate(self, attrs):
        till_id = attrs.pop("till_id", None)
        data = super().validate(attrs)  # checks the credentials, sets self.user
        if till_id is not None:
            check_user_at_till(self.user, till_id)  # 403 at a till of a store the user does not work in
            refresh = self.get_token(self.user)
            refresh[TILL_CLAIM] = str(till_id)  # copied into access tokens made from it (and on refresh)
            data = {"refresh": str(refresh), "access": str(refresh.access_token), "till": str(till_id)}
        return data


class LoginLocked(exceptions.Throttled):
    default_detail = LOCKED_DETAIL
    default_code = "login_locked"


class ObtainTokenView(TokenObtainPairView):
    serializer_class = TillTokenObtainSerializer
    # django-axes counts the failures (per username and per address) and refuses a locked-out login
    # before its password is hashed; a per-address rate on every attempt would also stop the
    # successful logins of a shop's tills, which share an address.
    throttle_classes = []

    @extend_schema(
        summary="Log in: access + refresh tokens (bound to a till when till_id is given)",
        request=inline_serializer("TokenLogin", {
            "username": serializers.CharField(), "password": serializers.CharField(),
            "till_id": serializers.UUIDField(required=False, help_text="Log in at this till: the tokens are bound "
                                                                        "to it.")}),
        responses=inline_serializer("TokenPair", {
            "access": serializers.CharField(), "refresh": serializers.CharField(),
            "till": serializers.UUIDField(required=False, help_text="The till the tokens are bound to.")}),
        extensions=problem_types("authentication-failed", "store-out-of-scope", "login-locked"))
    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except exceptions.AuthenticationFailed:
            # axes marks the (DRF) request when this attempt reached the limit or came while locked
            if getattr(request, "axes_locked_out", False):
                raise LoginLocked(wait=retry_after_seconds()) from None
            raise


class PosTokenRefreshSerializer(TokenRefreshSerializer):
    token_class = PosRefreshToken

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])  # signature, expiry, blacklist
        user = get_user_model().objects.filter(
            **{api_settings.USER_ID_FIELD: refresh.get(api_settings.USER_ID_CLAIM)}).first()
        if user is None:
            raise AuthenticationFailed("The user of this token no longer exists.", "user_not_found")
        if refresh.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
            raise AuthenticationFailed("The user's password has changed since this login.", "password_changed")
        if refresh.login_expired:
            raise AuthenticationFailed("This login is too old to refresh; log in again.", "login_expired")
        return super().validate(attrs)  # is_active, rotation and blacklisting


@extend_schema_view(post=extend_schema(extensions=problem_types("authentication-failed")))
class RefreshTokenView(TokenRefreshView):
    serializer_class = PosTokenRefreshSerializer
    throttle_classes = [RefreshThrottle]  # per user; fails open while the cache is down


class LogoutIn(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class LogoutView(APIView):
    """Revoke the session of a till: its refresh token (blacklisted) and the access token in use."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=LogoutIn, responses={205: None}, summary="Log out: revoke the refresh and access tokens",
                   extensions=problem_types("authentication-failed"))
    def post(self, request):
        serializer = LogoutIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            refresh = RefreshToken(serializer.validated_data["refresh"])
        except TokenError as exc:
            raise AuthenticationFailed(str(exc), code="token_not_valid") from None
        if str(refresh.get("user_id")) != str(request.user.pk):
            raise serializers.ValidationError({"refresh": ["This refresh token belongs to someone else."]})
        refresh.blacklist()
        if request.auth is not None and hasattr(request.auth, "get") and request.auth.get("jti"):
            deny_access_token(request.auth)
        return Response(status=status.HTTP_205_RESET_CONTENT)


class WhoAmIView(APIView):
    """Who the token belongs to, which roles it carries and the till it is bound to (if any)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=inline_serializer("WhoAmI", {
        "username": serializers.CharField(), "roles": serializers.ListField(child=serializers.CharField()),
        "till": serializers.UUIDField(required=False, help_text="Only for a till-bound token.")}))
    def get(self, request):
        body = {"username": request.user.get_username(), "roles": sorted(roles_of(request.user))}
        till = bound_till(request)
        if till:
            body["till"] = till
        return Response(body)
