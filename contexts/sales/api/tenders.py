"""Tenders: cash and card are built in; a manager defines the shop's others (voucher, mobile,
cheque...), changes, retires (DELETE) or reinstates them. Everyone at a till reads the list."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.response import Response

from infrastructure.access.permissions import IsCashier, IsManager
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from infrastructure.http.openapi import problem_types
from kernel.errors import NotFound

from .. import commands as c
from ..domain.tender import BUILT_IN, POINTS
from ..models import TenderView
from . import serializers as s
from .views import _valid


def _built_in(code: str) -> dict:
    rule = BUILT_IN[code]
    entry = {"code": rule.code, "name": rule.name, "gives_change": rule.gives_change,
             "needs_reference": rule.needs_reference, "active": True, "built_in": True}
    if code == POINTS.code:  # what one point pays, so a till shows a customer's points as money
        entry["point_value"] = f"{settings.POS_LOYALTY_POINT_VALUE:.2f}"
    return entry


def _row(row: TenderView) -> dict:
    return {"code": row.code, "name": row.name, "gives_change": row.gives_change,
            "needs_reference": row.needs_reference, "active": row.active, "built_in": False}


class TenderViewSet(viewsets.ViewSet):
    """The ways a customer can pay: cash and card, then the shop's own, by name. `?active=true`
    leaves out retired ones."""

    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def get_permissions(self):
        return [IsCashier()] if self.action in ("list", "retrieve") else [IsManager()]

    @extend_schema(responses={200: s.TenderState(many=True)}, summary="The tenders: cash, card, then the shop's own",
                   parameters=[OpenApiParameter("active", OpenApiTypes.BOOL, description="true: leave out retired ones")])
    def list(self, request):
        rows = TenderView.objects.all()
        if request.query_params.get("active", "").lower() in ("true", "1"):
            rows = rows.filter(active=True)
        return Response([*map(_built_in, BUILT_IN), *map(_row, rows)])

    @extend_schema(responses={200: s.TenderState}, summary="One tender, by its code")
    def retrieve(self, request, code=None):
        if code in BUILT_IN:
            return Response(_built_in(code))
        row = TenderView.objects.filter(code=code).first()
        if row is None:
            raise NotFound(f"There is no tender {code!r}.")
        return Response(_row(row))

    @extend_schema(request=s.TenderIn, responses={201: s.TenderState}, summary="Define a tender (manager)",
                   extensions=problem_types("reserved-tender", "tender-exists"))
    def create(self, request):
        data = _valid(s.TenderIn, request)
        result = execute(c.DefineTender(**data), Metadata.from_request(request))
        return Response(result, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TenderChangeIn, responses={200: s.TenderState},
                   summary="Change, retire or reinstate a tender (manager)", extensions=problem_types("reserved-tender"))
    def partial_update(self, request, code=None):
        data = _valid(s.TenderChangeIn, request)
        return Response(execute(c.ChangeTender(code=code, **data), Metadata.from_request(request)))

    @extend_schema(request=None, responses={200: s.TenderState}, summary="Retire a tender (PATCH active=true "
                                                                          "reinstates it)",
                   extensions=problem_types("reserved-tender"))
    def destroy(self, request, code=None):
        return Response(execute(c.ChangeTender(code=code, active=False), Metadata.from_request(request)))

