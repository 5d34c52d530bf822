"""Managers' approvals: a manager, standing at a till where a cashier is logged in, types their
credentials; the till gets a short-lived token to send once, as `X-Manager-Approval`, with the one
request above the cashier's limit (a discount, a refund). The cashier stays logged in; the event
of that request records who approved it (`approved_by`)."""

import secrets

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from infrastructure.access.permissions import IsCashier
from infrastructure.access.roles import MANAGER, roles_of
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from infrastructure.http.openapi import problem_types
from kernel.errors import DomainError

from .. import commands as c
from . import serializers as s


class ApprovalThrottle(UserRateThrottle):
    """Per logged-in till user: a manager's password is not guessed at speed from a till."""

    scope = "sales-approval"
    rate = "10/min"


class ApprovalView(APIView):
    permission_classes = [IsCashier]
    throttle_classes = [ApprovalThrottle]

    @extend_schema(request=s.ApprovalIn, responses={201: s.ApprovalOut},
                   summary="A manager's single-use approval for one request above a cashier's limit",
                   extensions=problem_types("not-a-manager"))
    def post(self, request):
        serializer = s.ApprovalIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        manager = authenticate(request, username=data["username"], password=data["password"])
        if manager is None or not manager.is_active or MANAGER not in roles_of(manager):
            raise DomainError("These are not a manager's credentials.", field="username", code="NotAManager")
        result = execute(c.GrantApproval(token=secrets.token_urlsafe(24), manager=manager.get_username()),
                         Metadata.from_request(request))
        return Response(s.ApprovalOut(result).data, status=status.HTTP_201_CREATED)
