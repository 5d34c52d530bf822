"""What sales can sell, for tills to keep a copy of: sales' own price list (not the catalog's
product list: a product the catalog has but this projection has not yet seen cannot be sold).

`GET /api/v1/sales/price-list/` answers every row and a `version`; `?since=<version>` answers the
rows changed after it (discontinued ones included, `active: false`) and the new version. The
version is the server's clock when the read began, in microseconds; rows changed within
`OVERLAP` before `since` are sent again, because a projection transaction that began before a
read may commit after it (a till applies a row twice harmlessly; it must never miss one)."""

import datetime as dt

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from infrastructure.access.permissions import IsCashier

from ..models import PriceListCategory, PriceListEntry

OVERLAP = dt.timedelta(seconds=60)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class PriceListItemOut(serializers.ModelSerializer):
    category = serializers.CharField(allow_null=True, help_text="The category's name, if the product has one.")

    class Meta:
        model = PriceListEntry
        fields = ["product_id", "sku", "name", "category_id", "category", "barcode", "unit_price", "tax_rate",
                  "price_includes_tax", "active"]


class PriceListCategoryOut(serializers.ModelSerializer):
    class Meta:
        model = PriceListCategory
        fields = ["category_id", "name", "active"]


class PriceListOut(serializers.Serializer):
    version = serializers.CharField(help_text="Send it back as `since` to get only what changed after it.")
    full = serializers.BooleanField(help_text="True when this is the whole price list (no `since`).")
    items = PriceListItemOut(many=True)
    categories = PriceListCategoryOut(many=True)


class SinceIn(serializers.Serializer):
    since = serializers.IntegerField(required=False, min_value=0,
                                     help_text="A `version` from an earlier answer.")


def _version(moment: dt.datetime) -> str:
    return str((moment - EPOCH) // dt.timedelta(microseconds=1))


def _moment(version: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=version)


class PriceListView(APIView):
    permission_classes = [IsCashier]

    @extend_schema(parameters=[OpenApiParameter("since", OpenApiTypes.STR, required=False,
                                                description="A version from an earlier answer: only rows "
                                                            "changed after it.")],
                   responses={200: PriceListOut},
                   summary="What sales can sell (its own price list), whole or changed since a version")
    def get(self, request):
        query = SinceIn(data=request.query_params)
        query.is_valid(raise_exception=True)
        now = dt.datetime.now(dt.UTC)
        rows = PriceListEntry.objects.all()
        since = query.validated_data.get("since")
        if since is not None:
            rows = rows.filter(changed_at__gt=_moment(since) - OVERLAP)
        else:
            rows = rows.filter(active=True)  # a whole list needs no discontinued rows
        categories = list(PriceListCategory.objects.all())
        names = {c.category_id: c.name for c in categories if c.active}
        rows = list(rows.order_by("name", "product_id"))
        for row in rows:
            row.category = names.get(row.category_id)
        return Response({"version": _version(now), "full": since is None, "items": PriceListItemOut(rows, many=True).data,
                         "categories": PriceListCategoryOut(categories, many=True).data})
