"""POST /bench/baseline/rows/: validate a small body, insert one row, answer 201 with it. Same
authentication (JWT), permission (authenticated), throttling and middleware as the sales API."""

from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import BaselineRow


class RowIn(serializers.ModelSerializer):
    class Meta:
        model = BaselineRow
        fields = ["id", "till_id", "note", "total", "created_at"]
        read_only_fields = ["id", "created_at"]


class RowCreate(APIView):
    def post(self, request):
        serializer = RowIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data, status=status.HTTP_201_CREATED)
