"""Staff API: `/api/v1/stores/staff/`. Managers only; a store manager sees and manages the staff
of their own stores (the aggregate decides, given the manager's stores), head office everyone.
A write answers with the member as a read shows it; passwords are never shown."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from infrastructure.access.permissions import IsManager
from infrastructure.access.scope import request_stores
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from infrastructure.http.openapi import problem_types

from .. import commands as c
from ..models import StaffView
from .serializers import (
    StaffCreateSerializer, StaffDeactivateSerializer, StaffPasswordSerializer, StaffSerializer, StaffStoresSerializer,
)


def _valid(serializer_cls, request) -> dict:
    serializer = serializer_cls(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


@extend_schema_view(
    list=extend_schema(summary="Staff (a store manager sees their stores' staff)"),
    retrieve=extend_schema(summary="One member of staff"),
    create=extend_schema(summary="Make a cashier or manager account in one or more stores",
                         request=StaffCreateSerializer, responses={201: StaffSerializer},
                         extensions=problem_types("username-taken", "store-out-of-scope", "head-office-only",
                                                  "unknown-store", "store-closed")),
)
class StaffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsManager]
    queryset = StaffView.objects.all()
    serializer_class = StaffSerializer
    lookup_field = "username"
    lookup_value_regex = r"[\w.@+-]{1,150}"
    filterset_fields = ["role", "active"]
    search_fields = ["username"]
    ordering = ["username"]

    def get_queryset(self):
        rows = super().get_queryset()
        stores = request_stores(self.request)
        if stores is None:
            return rows
        # JSON containment is not on every backend (SQLite); a chain's staff list is short.
        return rows.filter(pk__in=[username for username, codes in rows.values_list("username", "stores")
                                   if set(codes) & stores])

    def _run(self, command, request, code=status.HTTP_200_OK) -> Response:
        return Response(StaffSerializer(execute(command, Metadata.from_request(request))).data, status=code)

    def create(self, request, *args, **kwargs):
        return self._run(c.CreateStaffAccount(**_valid(StaffCreateSerializer, request), by=request_stores(request)),
                         request, status.HTTP_201_CREATED)

    @extend_schema(summary="Assign the member to these stores (all of them)", request=StaffStoresSerializer,
                   responses={200: StaffSerializer},
                   extensions=problem_types("staff-out-of-scope", "store-out-of-scope", "head-office-only",
                                            "unknown-store", "store-closed"))
    @action(detail=True, methods=["post"])
    def stores(self, request, username=None):
        return self._run(c.AssignStaffStores(username=username, by=request_stores(request),
                                             **_valid(StaffStoresSerializer, request)), request)

    @extend_schema(summary="Set a new password", request=StaffPasswordSerializer, responses={200: StaffSerializer},
                   extensions=problem_types("staff-out-of-scope"))
    @action(detail=True, methods=["post"], url_path="reset-password")
    def reset_password(self, request, username=None):
        return self._run(c.ResetStaffPassword(username=username, by=request_stores(request),
                                              **_valid(StaffPasswordSerializer, request)), request)

    @extend_schema(summary="Deactivate the account (it can no longer log in)", request=StaffDeactivateSerializer,
                   responses={200: StaffSerializer}, extensions=problem_types("staff-out-of-scope", "already-deactivated"))
    @action(detail=True, methods=["post"])
    def deactivate(self, request, username=None):
        return self._run(c.DeactivateStaffAccount(username=username, by=request_stores(request),
                                                  **_valid(StaffDeactivateSerializer, request)), request)
