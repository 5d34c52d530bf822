"""Sales API: tills and their sessions, orders, payments, refunds, receipts. Thin views: input
-> command -> execute; reads from the read models."""

import json
import uuid
from dataclasses import replace
from decimal import Decimal

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from infrastructure.access.permissions import IsCashier, IsManager
from infrastructure.access.roles import MANAGER, request_roles
from infrastructure.access.tills import bound_till, check_till
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from kernel.errors import NotFound
from infrastructure.http.history import StreamHistoryMixin
from infrastructure.http.openapi import idempotency_key, problem_types
from infrastructure.idempotency.requests import run_idempotent

from .. import commands as c
from .. import drawers
from ..models import OrderView, TillSessionView, TillView
from ..receipts import load_receipt, render_html, render_json, render_text
from ..till_stores import store_of_till
from . import read_serializers as r
from . import serializers as s
from .filters import OrderFilter

# Writes that would take effect twice if retried (money, cash) accept a key; sales require one.
OPTIONAL_IDEMPOTENCY_KEY = idempotency_key(required=False)
# The refusals of a write at a till, before its own: the token's till and the user's stores.
AT_TILL = ("till-token-required", "till-mismatch", "store-out-of-scope")


class PlainTextRenderer(BaseRenderer):
    media_type, format, charset = "text/plain", "text", "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Errors still arrive as problem-details dicts: keep them JSON.
        return data if isinstance(data, str) else json.dumps(data, default=str)


class ReceiptHTMLRenderer(PlainTextRenderer):
    media_type, format = "text/html", "html"


def _uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"No such resource: {value} is not an id.") from None


def _valid(serializer_cls, request) -> dict:
    serializer = serializer_cls(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _meta(request) -> Metadata:
    """Who and where: with the store of the till acted at (the token's till, or the one the body
    names), so every event of a till's work, payments and refunds included, is found by store."""
    metadata = Metadata.from_request(request)
    till = metadata.till or _body(request).get("till_id")
    store = store_of_till(str(till)) if till else None
    return replace(metadata, store=store) if store else metadata


def _body(request) -> dict:
    """The request's JSON body, or {} for a request without one (an action that takes none is not
    refused for the form content type a bare POST carries)."""
    try:
        data = request.data
    except (ParseError, UnsupportedMediaType):
        return {}
    return data if hasattr(data, "get") else {}


def _is_manager(request) -> bool:
    return MANAGER in request_roles(request)


def _till(request, named) -> uuid.UUID | None:
    """The till a payment or refund goes through: the one named, else the token's own till."""
    if named:
        return named
    bound = bound_till(request)
    return uuid.UUID(bound) if bound else None


def _approval(request) -> str:
    """A manager's single-use approval sent with this one request (`X-Manager-Approval`)."""
    return request.headers.get("X-Manager-Approval", "").strip()[:200]


APPROVAL_HEADER = OpenApiParameter(
    "X-Manager-Approval", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="A manager's approval token (POST /api/v1/sales/approvals/) for this one request above the "
                "cashier's limit; it is used up by it.")


def _limits(request) -> dict:
    """A cashier's limits (settings); a manager has none."""
    if _is_manager(request):
        return {"max_discount_percent": Decimal("100"), "max_refund": None}
    return {"max_discount_percent": settings.POS_CASHIER_MAX_DISCOUNT_PERCENT,
            "max_refund": settings.POS_CASHIER_REFUND_LIMIT}


class TillViewSet(StreamHistoryMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tills. Managers register them; cashiers open, use and close them."""

    queryset = TillView.objects.all()
    serializer_class = r.TillOut
    history_context = "sales"
    history_stream_type = "Till"
    filterset_fields = ["store_code"]
    search_fields = ["name", "store_code", "store_name"]

    def get_permissions(self):
        return [IsManager()] if self.action == "create" else [IsCashier()]

    @extend_schema(request=s.TillIn, responses={201: s.TillState},
                   summary="Register a till in a registered, open store (it takes the store's name)",
                   extensions=problem_types("unknown-store", "store-closed"))
    def create(self, request):
        data = _valid(s.TillIn, request)
        result = execute(c.RegisterTill(till_id=data.get("id") or uuid.uuid4(), name=data["name"],
                                        store_code=data["store_code"]), _meta(request))
        return Response(result, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.OpenIn, responses={201: s.SessionState}, summary="Open a session on this till",
                   extensions=problem_types(*AT_TILL, "session-already-open"))
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        check_till(request, _uuid(pk))
        data = _valid(s.OpenIn, request)
        result = execute(c.OpenTillSession(session_id=uuid.uuid4(), till_id=_uuid(pk),
                                           cashier=request.user.get_username(),
                                           opening_float=data["opening_float"]), _meta(request))
        return Response(result, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CashMovementIn, responses={200: s.SessionState}, parameters=[OPTIONAL_IDEMPOTENCY_KEY],
                   summary="Pay cash in or out", extensions=problem_types(*AT_TILL, "no-open-session", "drawer-short"))
    @action(detail=True, methods=["post"], url_path="cash-movements")
    def cash_movements(self, request, pk=None):
        check_till(request, _uuid(pk))

        def record():
            data = _valid(s.CashMovementIn, request)
            return execute(c.RecordCashMovement(till_id=_uuid(pk), amount=data["amount"], reason=data["reason"],
                                                cashier=request.user.get_username()), _meta(request))

        return run_idempotent(request, "sales", record, status.HTTP_200_OK, required=False)

    @extend_schema(request=s.CloseIn, responses={200: s.SessionState},
                   summary="Close the open session with the counted amounts; answers the Z-report (409 while the "
                           "till has sales neither completed nor voided, unless void_unfinished is true)",
                   extensions=problem_types(*AT_TILL, "no-open-session", "unfinished-sales", "session-closed",
                                            "unknown-tender"))
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        check_till(request, _uuid(pk))
        data = _valid(s.CloseIn, request)
        return Response(execute(c.CloseTillSession(till_id=_uuid(pk), cashier=request.user.get_username(),
                                                   counted=dict(data["counted"]),
                                                   void_unfinished=data["void_unfinished"]), _meta(request)))


class SessionViewSet(StreamHistoryMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Till sessions with their running figures and, once closed, their Z-report."""

    queryset = TillSessionView.objects.all().order_by("-opened_at")
    serializer_class = r.SessionOut
    permission_classes = [IsCashier]
    history_context = "sales"
    history_stream_type = "TillSession"
    filterset_fields = ["till_id", "status", "cashier", "store_code"]

    def get_serializer(self, *args, **kwargs):
        """An open session's figures are its drawer's (the command side's row), read when shown."""
        if args and self.action == "list":
            args = (drawers.with_running_figures(args[0]), *args[1:])
        return super().get_serializer(*args, **kwargs)

    def get_object(self):
        return drawers.with_running_figures([super().get_object()])[0]


class OrderViewSet(StreamHistoryMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Orders: till sales and delivery orders, their payments and refunds."""

    queryset = OrderView.objects.all().order_by("-placed_at")
    serializer_class = r.OrderOut
    permission_classes = [IsCashier]
    history_context = "sales"
    history_stream_type = "Order"
    filterset_class = OrderFilter
    search_fields = ["number", "customer_name"]
    ordering_fields = ["placed_at", "total", "number"]

    def get_serializer_class(self):
        return r.OrderDetailOut if self.action == "retrieve" else r.OrderOut

    def get_object(self):
        order = OrderView.objects.filter(order_id=_uuid(self.kwargs["pk"])).first()
        if order is None:
            raise NotFound(f"No order {self.kwargs['pk']}.")
        return order

    @extend_schema(request=s.OrderIn, responses={201: s.OrderState},
                   parameters=[idempotency_key(required=True), APPROVAL_HEADER],
                   summary="Place a till sale (priced by the server) or a delivery order",
                   extensions=problem_types(*AT_TILL, "no-open-session", "unknown-product", "discontinued-product",
                                            "unknown-customer", "unknown-store", "store-closed",
                                            "needs-manager", "overpaid",
                                            "card-overpayment", "tender-too-large", "unknown-tender", "reference-required",
                                            "tender-gives-no-change", "points-need-customer", "not-enough-points",
                                            "points-not-whole", "placed-at-in-future",
                                            "placed-at-outside-session"))
    def create(self, request):
        check_till(request, None)  # a cashier sells only with a till-bound token

        def place():
            data = _valid(s.OrderIn, request)
            check_till(request, data.get("till_id"))  # a delivery order names no till
            limits = _limits(request)
            lines = tuple(c.LineRequest(product_id=line["product_id"], quantity=line["quantity"],
                                        discount_percent=line["discount_percent"]) for line in data["lines"])
            customer = data.get("customer_id")
            if data["kind"] == "delivery":
                return execute(c.PlaceDeliveryOrder(
                    order_id=uuid.uuid4(), cashier=request.user.get_username(),
                    store_code=data["store_code"], lines=lines,
                    ship_to=c.ShipToRequest(**data["ship_to"]), customer_id=customer,
                    max_discount_percent=limits["max_discount_percent"]), _meta(request))
            return execute(c.PlaceTillSale(
                order_id=uuid.uuid4(), till_id=data["till_id"], cashier=request.user.get_username(), lines=lines,
                payments=tuple(c.PaymentRequest(**p) for p in data["payments"]),
                customer_id=customer, placed_at=data.get("placed_at"),
                max_discount_percent=limits["max_discount_percent"], approval=_approval(request)), _meta(request))

        return run_idempotent(request, "sales", place)

    @extend_schema(request=s.PayIn, responses={200: s.OrderState}, parameters=[OPTIONAL_IDEMPOTENCY_KEY],
                   summary="Pay (part of) an order at a till (the named one, else the token's)",
                   extensions=problem_types(*AT_TILL, "till-required", "no-open-session", "not-payable", "overpaid",
                                            "card-overpayment", "tender-too-large", "unknown-tender",
                                            "reference-required", "tender-gives-no-change", "points-need-customer",
                                            "not-enough-points", "points-not-whole"))
    @action(detail=True, methods=["post"])
    def payments(self, request, pk=None):
        check_till(request, None)

        def pay():
            data = _valid(s.PayIn, request)
            check_till(request, data.get("till_id"))
            return execute(c.PayOrder(order_id=_uuid(pk), till_id=_till(request, data.get("till_id")), payments=tuple(
                c.PaymentRequest(**p) for p in data["payments"])), _meta(request))

        return run_idempotent(request, "sales", pay, status.HTTP_200_OK, required=False)

    @extend_schema(request=s.VoidIn, responses={200: s.OrderState}, parameters=[OPTIONAL_IDEMPOTENCY_KEY],
                   summary="Void a till sale that is not completed (its payments go back through its till)",
                   extensions=problem_types(*AT_TILL, "not-voidable", "wrong-till", "no-open-session",
                                            "drawer-short"))
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        check_till(request, None)

        def void():
            data = _valid(s.VoidIn, request)
            bound = bound_till(request)
            return execute(c.VoidOrder(order_id=_uuid(pk), cashier=request.user.get_username(), reason=data["reason"],
                                       till_id=uuid.UUID(bound) if bound else None), _meta(request))

        return run_idempotent(request, "sales", void, status.HTTP_200_OK, required=False)

    @extend_schema(request=None, responses={200: s.OrderState}, summary="Ship a confirmed, paid delivery order",
                   extensions=problem_types("till-token-required", "not-shippable"))
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None):
        check_till(request, None)
        return Response(execute(c.ShipOrder(order_id=_uuid(pk)), _meta(request)))

    @extend_schema(request=None, responses={200: s.OrderState},
                   summary="Forget a delivery order's shipping address (managers; an order naming no customer, whose "
                           "addresses go with the customer). Forgetting again changes nothing.",
                   extensions=problem_types("address-not-forgettable"))
    @action(detail=True, methods=["post"], url_path="forget-address", permission_classes=[IsManager])
    def forget_address(self, request, pk=None):
        command = c.ForgetOrderAddress(order_id=_uuid(pk), requested_by=request.user.get_username())
        return Response(execute(command, _meta(request)))

    @extend_schema(request=s.CancelIn, responses={200: s.OrderState}, summary="Cancel an unpaid delivery order",
                   extensions=problem_types("till-token-required", "not-cancellable"))
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        check_till(request, None)
        reason = _valid(s.CancelIn, request)["reason"] or f"cancelled by {request.user.get_username()}"
        return Response(execute(c.CancelOrder(order_id=_uuid(pk), reasons=(reason,)), _meta(request)))

    @extend_schema(request=s.RefundIn, responses={201: s.OrderState}, parameters=[APPROVAL_HEADER],
                   summary="Refund lines (never more than sold minus already refunded) at a till",
                   extensions=problem_types(*AT_TILL, "till-required", "no-open-session", "not-refundable",
                                            "refund-exceeds-sale", "card-refund-exceeds-payment", "refund-exceeds-tender",
                                            "unknown-tender", "ambiguous-method",
                                            "needs-manager", "drawer-short"))
    @action(detail=True, methods=["post"])
    def refunds(self, request, pk=None):
        check_till(request, None)
        data = _valid(s.RefundIn, request)
        check_till(request, data.get("till_id"))
        result = execute(c.RefundOrder(
            order_id=_uuid(pk), refund_id=data.get("refund_id") or uuid.uuid4(),
            lines=tuple(c.RefundLineRequest(line_no=line["line_no"], quantity=line["quantity"])
                        for line in data["lines"]),
            method=data["method"], cashier=request.user.get_username(), reason=data["reason"],
            till_id=_till(request, data.get("till_id")), max_amount=_limits(request)["max_refund"],
            approval=_approval(request)), _meta(request))
        return Response(result, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["text", "html", "json"],
                                                description="text (40 columns, the default), html, or json (the "
                                                            "same content as data, for a till's own printer)")],
                   responses={(200, "text/plain"): OpenApiTypes.STR, (200, "text/html"): OpenApiTypes.STR,
                              (200, "application/json"): OpenApiTypes.OBJECT},
                   summary="A printable receipt")
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None,
            renderer_classes=[PlainTextRenderer, ReceiptHTMLRenderer, JSONRenderer])
    def receipt(self, request, pk=None):
        parts = load_receipt(self.get_object())
        renderer = {"html": render_html, "json": render_json}.get(request.accepted_renderer.format, render_text)
        return Response(renderer(**parts))
