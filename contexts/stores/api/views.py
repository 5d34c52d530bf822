"""Stores API: reads from the store directory, writes through the command handlers.

Any cashier or manager reads the directory (a till shows its store); registering, changing,
closing and reopening a store are for a head-office manager. A write answers with the command
side's state in the same shape as a read.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse

from infrastructure.access.permissions import CashierReadsHeadOfficeWrites
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from kernel.errors import NotFound
from infrastructure.http.history import EventHistoryEntrySerializer, history_entries
from infrastructure.http.openapi import problem_types

from .. import commands as c
from ..domain.events import STORES
from ..domain.store import DETAIL_FIELDS, UNCHANGED, stream_id_of
from ..models import StoreView
from .serializers import CloseStoreSerializer, StoreInputSerializer, StoreSerializer


@extend_schema_view(
    list=extend_schema(summary="The chain's stores"),
    retrieve=extend_schema(summary="One store"),
    create=extend_schema(summary="Register a store (head office)", request=StoreInputSerializer,
                         responses={201: StoreSerializer}, extensions=problem_types("store-exists")),
    partial_update=extend_schema(summary="Change a store's details (head office)", request=StoreInputSerializer,
                                 responses={200: StoreSerializer}),
)
class StoreViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [CashierReadsHeadOfficeWrites]
    queryset = StoreView.objects.all()
    serializer_class = StoreSerializer
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9]{1,8}"
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["status"]
    search_fields = ["code", "name", "address_city"]
    ordering_fields = ["code", "name"]
    ordering = ["code"]

    def get_object(self):
        self.kwargs["code"] = self.kwargs["code"].upper()
        return super().get_object()

    def create(self, request, *args, **kwargs):
        data = self._input(request, partial=False)
        state = execute(c.RegisterStore(**data), Metadata.from_request(request))
        return Response(StoreSerializer(state).data, status=status.HTTP_201_CREATED,
                        headers={"Location": reverse("store-detail", args=[state["code"]], request=request)})

    def partial_update(self, request, *args, **kwargs):
        data = self._input(request, partial=True)
        if "code" in data and data["code"].upper() != self._code():
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"code": ["A store's code never changes."]})
        changes = {name: data.get(name, UNCHANGED) for name in DETAIL_FIELDS}
        state = execute(c.UpdateStore(code=self._code(), **changes), Metadata.from_request(request))
        return Response(StoreSerializer(state).data)

    @extend_schema(summary="Close the store for business (head office)", request=CloseStoreSerializer,
                   responses={200: StoreSerializer}, extensions=problem_types("store-closed"))
    @action(detail=True, methods=["post"])
    def close(self, request, code=None):
        body = CloseStoreSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        state = execute(c.CloseStore(code=self._code(), reason=body.validated_data["reason"]),
                        Metadata.from_request(request))
        return Response(StoreSerializer(state).data)

    @extend_schema(summary="Reopen a closed store (head office)", request=None, responses={200: StoreSerializer},
                   extensions=problem_types("store-open"))
    @action(detail=True, methods=["post"])
    def reopen(self, request, code=None):
        state = execute(c.ReopenStore(code=self._code()), Metadata.from_request(request))
        return Response(StoreSerializer(state).data)

    @extend_schema(responses=EventHistoryEntrySerializer(many=True), summary="The store's events, oldest first")
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, code=None):
        entries = history_entries(STORES, stream_id_of(self._code()), "Store")
        if not entries:
            raise NotFound(f"No store {self._code()}.")
        return Response(EventHistoryEntrySerializer(entries, many=True).data)

    # -- helpers -------------------------------------------------------------------------------
    def _code(self) -> str:
        return self.kwargs["code"].upper()

    @staticmethod
    def _input(request, *, partial: bool) -> dict:
        serializer = StoreInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "address" in data:
            data["address"] = dict(data["address"])
        return data
