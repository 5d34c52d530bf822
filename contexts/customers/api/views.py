"""Customers API: reads from the read model, writes through the command handlers.

Cashiers (and managers) read; only managers write. A write answers with what the command side
knows right after the command (id, stream version, state); the list and detail come from the
read model and, in full mode, may trail a write by the relay's latency.
"""

from uuid import UUID

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework.reverse import reverse

from infrastructure.access.permissions import CashierReadsManagerWrites, IsManager
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from infrastructure.http.history import StreamHistoryMixin
from infrastructure.http.openapi import problem_types

from .. import commands as c
from ..domain.customer import UNCHANGED
from ..domain.events import CUSTOMERS
from ..export import customer_export
from ..models import CustomerView
from .filters import CustomerFilter, CustomerSearchFilter
from .serializers import (
    CustomerInputSerializer, CustomerSerializer, CustomerStateSerializer, RemoveCustomerQuerySerializer,
)

UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def _problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=OpenApiTypes.OBJECT,
                           description=f"{description} (RFC 9457 problem details, application/problem+json; "
                                       "`errors` lists the fields at fault).")


READ_ERRORS = {401: _problem("Not authenticated"), 403: _problem("Not a cashier or manager")}
WRITE_ERRORS = {
    400: _problem("Malformed input (wrong types, missing keys)"),
    401: _problem("Not authenticated"),
    403: _problem("Not a manager"),
    422: _problem("A rule refused the details (blank name, invalid phone, email or address)"),
}
NOT_FOUND = {404: _problem("No such customer")}
CONFLICT = {409: _problem("The email address belongs to another customer, or the customer was removed")}


@extend_schema_view(
    list=extend_schema(summary="Customers (active by default), searchable by name, email or phone",
                       responses={200: CustomerSerializer(many=True), 400: _problem("Unknown filter value"),
                                  **READ_ERRORS}),
    retrieve=extend_schema(summary="One customer (removed ones too, with status removed)",
                           responses={200: CustomerSerializer, **READ_ERRORS, **NOT_FOUND}),
    create=extend_schema(summary="Register a customer", request=CustomerInputSerializer,
                         responses={201: CustomerStateSerializer, **WRITE_ERRORS, 409: CONFLICT[409]},
                         extensions=problem_types("email-taken", "already-registered")),
    update=extend_schema(summary="Replace a customer's details (optional fields left out are cleared)",
                         request=CustomerInputSerializer,
                         responses={200: CustomerStateSerializer, **WRITE_ERRORS, **NOT_FOUND, **CONFLICT},
                         extensions=problem_types("email-taken", "customer-removed")),
    partial_update=extend_schema(summary="Change some of a customer's details", request=CustomerInputSerializer,
                                 responses={200: CustomerStateSerializer, **WRITE_ERRORS, **NOT_FOUND,
                                            **CONFLICT}, extensions=problem_types("email-taken", "customer-removed")),
    destroy=extend_schema(summary="Remove a customer (the history stays; the read model keeps the row with "
                                  "status removed). Answers 200 with the state, not 204.",
                          parameters=[OpenApiParameter("reason", str, description="Why (kept in the event).")],
                          responses={200: CustomerStateSerializer, **WRITE_ERRORS, **NOT_FOUND, **CONFLICT},
                          extensions=problem_types("customer-removed")),
)
class CustomerViewSet(StreamHistoryMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    """Customers of the chain. Cashiers read; managers register, change and remove them."""

    permission_classes = [CashierReadsManagerWrites]
    queryset = CustomerView.objects.all()
    serializer_class = CustomerSerializer
    lookup_value_regex = UUID_PATTERN
    history_context = CUSTOMERS
    history_stream_type = "Customer"
    filter_backends = [DjangoFilterBackend, CustomerSearchFilter, OrderingFilter]
    filterset_class = CustomerFilter
    search_fields = ["name", "email", "phone_digits"]
    ordering_fields = ["name", "registered_at", "updated_at", "points_balance"]
    ordering = ["name", "id"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if "pk" in self.kwargs:  # one spelling of the id everywhere (stream ids are lower-case)
            self.kwargs["pk"] = str(UUID(self.kwargs["pk"]))

    def filter_queryset(self, queryset):
        # Filters, search and ordering shape the list; a detail finds any customer, removed too.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    # -- writes --------------------------------------------------------------------------------
    def create(self, request, *args, **kwargs):
        details = self._details(request, partial=False)
        state = execute(c.RegisterCustomer(**details), Metadata.from_request(request))
        location = reverse("customer-detail", args=[state["id"]], request=request)
        return Response(CustomerStateSerializer(state).data, status=status.HTTP_201_CREATED,
                        headers={"Location": location})

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        details = self._details(request, partial=partial)
        if not partial:  # PUT replaces: an optional field left out is cleared
            details = {"phone": None, "email": None, "address": None, **details}
        fields = {key: details.get(key, UNCHANGED) for key in ("name", "phone", "email", "address")}
        state = execute(c.UpdateCustomer(customer_id=self._customer_id(), **fields), Metadata.from_request(request))
        return Response(CustomerStateSerializer(state).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        query = RemoveCustomerQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        state = execute(c.RemoveCustomer(customer_id=self._customer_id(), reason=query.validated_data.get("reason")),
                        Metadata.from_request(request))
        return Response(CustomerStateSerializer(state).data)

    # -- personal data (docs/personal-data.md) -------------------------------------------------
    @extend_schema(summary="Forget a customer: erase their personal data (GDPR art. 17); points and sales stay. "
                           "Forgetting again changes nothing.",
                   request=None, responses={200: CustomerStateSerializer, **WRITE_ERRORS, **NOT_FOUND})
    @action(detail=True, methods=["post"], filter_backends=[])
    def forget(self, request, pk=None):
        command = c.ForgetCustomer(customer_id=self._customer_id(), requested_by=request.user.get_username())
        return Response(CustomerStateSerializer(execute(command, Metadata.from_request(request))).data)

    @extend_schema(summary="Everything held about a customer, decrypted (GDPR art. 15; managers). "
                           "404 once the customer was forgotten.",
                   responses={200: OpenApiTypes.OBJECT, 401: READ_ERRORS[401], 403: _problem("Not a manager"),
                              **NOT_FOUND})
    @action(detail=True, methods=["get"], permission_classes=[IsManager], pagination_class=None, filter_backends=[])
    def export(self, request, pk=None):
        return Response(customer_export(self._customer_id()))

    # -- helpers -------------------------------------------------------------------------------
    def _details(self, request, *, partial: bool) -> dict:
        serializer = CustomerInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        details = dict(serializer.validated_data)
        if details.get("address") is not None:
            details["address"] = dict(details["address"])
        return details

    def _customer_id(self) -> UUID:
        return UUID(self.kwargs["pk"])
