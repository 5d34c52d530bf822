"""Catalog API: thin views. Writes build a command and execute it; reads use the read models."""

import uuid

from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from infrastructure.access.permissions import CashierReadsManagerWrites
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from kernel.errors import NotFound
from infrastructure.http.history import StreamHistoryMixin
from infrastructure.http.openapi import problem, problem_types

from .. import commands as c
from ..models import CategoryView, ProductView, StockMovementView, StocktakeView, StoreStockView, TransferView
from ..stock_stores import store_in_scope
from . import serializers as s

STORE_FILTER = OpenApiParameter("store_code", OpenApiTypes.STR, description="Only this store (its code).")
STOCK_PROBLEMS = ("unknown-store", "store-out-of-scope")


def _run(request, command, code=status.HTTP_200_OK) -> Response:
    return Response(execute(command, Metadata.from_request(request)), status=code)


def _valid(serializer_cls, request) -> dict:
    serializer = serializer_cls(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class CategoryViewSet(StreamHistoryMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Product categories. Cashiers read; managers create, rename and delete."""

    queryset = CategoryView.objects.all()
    serializer_class = s.CategoryOut
    permission_classes = [CashierReadsManagerWrites]
    filterset_fields = ["status"]
    search_fields = ["name"]
    ordering_fields = ["name", "active_product_count", "updated_at"]
    history_context = "catalog"
    history_stream_type = "Category"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_object(self):
        category = CategoryView.objects.filter(id=_uuid(self.kwargs["pk"])).first()
        if category is None:
            raise NotFound(f"No category with id {self.kwargs['pk']}.")
        return category

    @extend_schema(request=s.CategoryIn, responses={201: s.CategoryState}, extensions=problem_types("already-taken"))
    def create(self, request):
        data = _valid(s.CategoryIn, request)
        return _run(request, c.CreateCategory(category_id=data.get("id") or uuid.uuid4(), name=data["name"]),
                    status.HTTP_201_CREATED)

    @extend_schema(request=s.CategoryRenameIn, responses={200: s.CategoryState}, summary="Rename a category",
                   extensions=problem_types("category-deleted"))
    def partial_update(self, request, pk=None):
        data = _valid(s.CategoryRenameIn, request)
        return _run(request, c.RenameCategory(category_id=_uuid(pk), name=data["name"]))

    @extend_schema(responses={200: s.CategoryState}, summary="Delete a category (409 while it has active products)",
                   extensions=problem_types("category-in-use", "category-deleted"))
    def destroy(self, request, pk=None):
        return _run(request, c.DeleteCategory(category_id=_uuid(pk)))


def _in_store(request, queryset):
    """`queryset` narrowed to the store `?store_code=` names, if it names one."""
    store_code = request.query_params.get("store_code", "").strip().upper()
    return queryset.filter(store_code=store_code) if store_code else queryset


def _uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"No such resource: {value} is not an id.") from None


class ProductViewSet(StreamHistoryMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Products with their stock. Cashiers read and look up; managers change."""

    queryset = ProductView.objects.all()
    serializer_class = s.ProductOut
    permission_classes = [CashierReadsManagerWrites]
    filterset_fields = ["category_id", "status", "is_low_stock", "price_includes_tax"]
    search_fields = ["name", "sku", "barcode"]
    ordering_fields = ["name", "sku", "unit_price", "on_hand", "available", "updated_at"]
    history_context = "catalog"
    history_stream_type = "Product"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_object(self):
        product = ProductView.objects.filter(id=_uuid(self.kwargs["pk"])).first()
        if product is None:
            raise NotFound(f"No product with id {self.kwargs['pk']}.")
        return product

    @extend_schema(request=s.ProductIn, responses={201: s.ProductState},
                   extensions=problem_types("already-taken", "unknown-category", "category-deleted"))
    def create(self, request):
        data = _valid(s.ProductIn, request)
        return _run(request, c.CreateProduct(
            product_id=data.get("id") or uuid.uuid4(), sku=data["sku"], name=data["name"],
            barcode=data.get("barcode") or None, category_id=data.get("category_id"), unit_price=data["unit_price"],
            tax_rate=data["tax_rate"], price_includes_tax=data["price_includes_tax"],
            low_stock_threshold=data["low_stock_threshold"], cost_price=data.get("cost_price")),
            status.HTTP_201_CREATED)

    @extend_schema(request=s.ProductUpdateIn, responses={200: s.ProductState},
                   summary="Change details (and the price, if given)",
                   extensions=problem_types("already-taken", "unknown-category", "category-deleted"))
    def partial_update(self, request, pk=None):
        data = _valid(s.ProductUpdateIn, request)
        changes = {k: v for k, v in data.items()}
        if "barcode" in changes:
            changes["barcode"] = changes["barcode"] or None
        return _run(request, c.UpdateProduct(product_id=_uuid(pk), **changes))

    @extend_schema(request=s.DiscontinueIn, responses={200: s.ProductState},
                   summary="Discontinue (products are never deleted: their history stays)",
                   extensions=problem_types("already-discontinued"))
    def destroy(self, request, pk=None):
        reason = _valid(s.DiscontinueIn, request)["reason"] if request.data else ""
        return _run(request, c.DiscontinueProduct(product_id=_uuid(pk), reason=reason))

    @extend_schema(request=s.PriceIn, responses={200: s.ProductState})
    @action(detail=True, methods=["post"], url_path="change-price")
    def change_price(self, request, pk=None):
        return _run(request, c.ChangeProductPrice(product_id=_uuid(pk), unit_price=_valid(s.PriceIn, request)["unit_price"]))

    @extend_schema(request=s.DiscontinueIn, responses={200: s.ProductState},
                   extensions=problem_types("already-discontinued"))
    @action(detail=True, methods=["post"])
    def discontinue(self, request, pk=None):
        return _run(request, c.DiscontinueProduct(product_id=_uuid(pk), reason=_valid(s.DiscontinueIn, request)["reason"]))

    @extend_schema(request=None, responses={200: s.ProductState}, extensions=problem_types("not-discontinued"))
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        return _run(request, c.ReactivateProduct(product_id=_uuid(pk)))

    @extend_schema(request=s.ReceiveStockIn, responses={200: s.ProductStockState},
                   summary="Receive stock in a store (one line; goods in with many lines: POST /catalog/goods-in/)",
                   extensions=problem_types(*STOCK_PROBLEMS))
    @action(detail=True, methods=["post"], url_path="receive-stock")
    def receive_stock(self, request, pk=None):
        data = _valid(s.ReceiveStockIn, request)
        return _run(request, c.ReceiveStock(product_id=_uuid(pk), quantity=data["quantity"],
                                            supplier_reference=data.get("supplier_reference"),
                                            store_code=store_in_scope(request, data.get("store_code"))))

    @extend_schema(request=s.AdjustStockIn, responses={200: s.ProductStockState},
                   summary="Set a store's stock to what was counted", extensions=problem_types(*STOCK_PROBLEMS))
    @action(detail=True, methods=["post"], url_path="adjust-stock")
    def adjust_stock(self, request, pk=None):
        data = _valid(s.AdjustStockIn, request)
        return _run(request, c.AdjustStock(product_id=_uuid(pk), counted_quantity=data["counted_quantity"],
                                           reason=data["reason"],
                                           store_code=store_in_scope(request, data.get("store_code"))))

    @extend_schema(request=s.StoreThresholdIn, responses={200: s.ProductStockState},
                   summary="A store's own low-stock threshold for the product (null: the product's applies)",
                   extensions=problem_types(*STOCK_PROBLEMS))
    @action(detail=True, methods=["post"], url_path="store-threshold")
    def store_threshold(self, request, pk=None):
        data = _valid(s.StoreThresholdIn, request)
        return _run(request, c.SetStoreLowStockThreshold(
            product_id=_uuid(pk), store_code=store_in_scope(request, data["store_code"]),
            low_stock_threshold=data["low_stock_threshold"]))

    @extend_schema(responses={200: s.ProductStockOut}, summary="The product's stock in each store",
                   parameters=[STORE_FILTER])
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def stock(self, request, pk=None):
        product = self.get_object()
        stores = _in_store(request, StoreStockView.objects.filter(product_id=product.id).order_by("store_code"))
        return Response(s.ProductStockOut({"product_id": product.id, "on_hand": product.on_hand,
                                           "reserved": product.reserved, "available": product.available,
                                           "stores": stores}).data)

    @extend_schema(responses={200: s.StockMovementOut(many=True)}, summary="The product's stock ledger",
                   parameters=[STORE_FILTER])
    @action(detail=True, methods=["get"], url_path="stock-movements")
    def stock_movements(self, request, pk=None):
        product = self.get_object()
        page = self.paginate_queryset(_in_store(request, StockMovementView.objects.filter(product_id=product.id)
                                                .order_by("-id")))
        return self.get_paginated_response(s.StockMovementOut(page, many=True).data)

    @extend_schema(responses={200: s.ProductOut(many=True)},
                   summary="Products at or under their low-stock threshold, and any with negative stock")
    @action(detail=False, methods=["get"], url_path="low-stock")
    def low_stock(self, request):
        queryset = self.filter_queryset(self.get_queryset().filter(is_low_stock=True).order_by("available", "name"))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(parameters=[OpenApiParameter("code", OpenApiTypes.STR, required=True,
                                                description="A barcode (EAN-13 / UPC-A) or a SKU")],
                   responses={200: s.ProductOut, 404: problem("No product with this barcode or SKU")},
                   summary="Find one product by barcode or SKU (a till scans)")
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def lookup(self, request):
        code = request.query_params.get("code", "").strip()
        if not code or "\x00" in code:  # NUL: PostgreSQL refuses it in a query (was a 500)
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"code": ["Give a barcode or SKU to look up (without NUL characters)."]})
        product = ProductView.objects.filter(Q(barcode=code) | Q(sku=code.upper())).order_by("status").first()
        if product is None:
            raise NotFound(f"No product with barcode or SKU {code}.")
        return Response(s.ProductOut(product).data)


@extend_schema_view(list=extend_schema(summary="Stock per product per store"))
class StoreStockViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Stock per product per store: `?store_code=` one store, `?is_low_stock=true` the low ones.
    The products list keeps the sums over the stores."""

    queryset = StoreStockView.objects.all()
    serializer_class = s.StoreStockOut
    permission_classes = [CashierReadsManagerWrites]
    filterset_fields = ["store_code", "product_id", "is_low_stock"]
    search_fields = ["name", "sku"]
    ordering_fields = ["store_code", "sku", "name", "on_hand", "available"]
    http_method_names = ["get", "head", "options"]

    @extend_schema(responses={200: s.StoreStockOut(many=True)},
                   summary="Low stock per store: at or under the threshold that applies there, or negative")
    @action(detail=False, methods=["get"], url_path="low-stock")
    def low_stock(self, request):
        queryset = self.filter_queryset(self.get_queryset().filter(is_low_stock=True)
                                        .order_by("available", "store_code", "name"))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class GoodsInView(viewsets.ViewSet):
    """Goods in: one delivery into a store, many lines (supplier, reference, quantity and unit cost
    per line), all received or none."""

    permission_classes = [CashierReadsManagerWrites]

    @extend_schema(request=s.GoodsInIn, responses={201: s.GoodsInState}, summary="Receive a delivery into a store",
                   extensions=problem_types(*STOCK_PROBLEMS))
    def create(self, request):
        data = _valid(s.GoodsInIn, request)
        lines = tuple(c.GoodsInLine(
            product_id=line["product_id"], quantity=line["quantity"], unit_cost=line.get("unit_cost"),
            supplier=line.get("supplier") or data.get("supplier") or None,
            supplier_reference=line.get("supplier_reference") or data.get("supplier_reference") or None)
            for line in data["lines"])
        return _run(request, c.ReceiveGoods(store_code=store_in_scope(request, data.get("store_code")), lines=lines),
                    status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(summary="Transfers between stores"),
                    retrieve=extend_schema(summary="One transfer, its lines and their differences"))
class TransferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Transfers between stores: sent (the units leave the sender), in transit, received (what was
    counted in joins the receiver; the difference is recorded). The sender's managers send, the
    receiver's receive; head office both."""

    queryset = TransferView.objects.all()
    serializer_class = s.TransferOut
    permission_classes = [CashierReadsManagerWrites]
    filterset_fields = ["status", "from_store", "to_store"]
    ordering_fields = ["sent_at", "received_at"]
    http_method_names = ["get", "post", "head", "options"]

    def get_object(self):
        transfer = TransferView.objects.filter(id=_uuid(self.kwargs["pk"])).first()
        if transfer is None:
            raise NotFound(f"No transfer with id {self.kwargs['pk']}.")
        return transfer

    @extend_schema(request=s.TransferIn, responses={201: s.TransferState}, summary="Send goods to another store",
                   extensions=problem_types(*STOCK_PROBLEMS, "insufficient-stock", "transfer-already-sent"))
    def create(self, request):
        data = _valid(s.TransferIn, request)
        return _run(request, c.SendTransfer(
            transfer_id=data.get("id") or uuid.uuid4(), from_store=store_in_scope(request, data["from_store"]),
            to_store=data["to_store"].strip().upper(), reference=data["reference"],
            lines=tuple(c.TransferQuantity(line["product_id"], line["quantity"]) for line in data["lines"])),
            status.HTTP_201_CREATED)

    @extend_schema(request=s.TransferReceiveIn, responses={200: s.TransferState},
                   summary="Count a transfer in at the receiving store",
                   extensions=problem_types("store-out-of-scope", "transfer-not-in-transit"))
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        transfer = self.get_object()  # the read model says where it goes: the scope is that store's
        store_in_scope(request, transfer.to_store)
        data = _valid(s.TransferReceiveIn, request)
        return _run(request, c.ReceiveTransfer(transfer_id=transfer.id, lines=tuple(
            c.TransferQuantity(line["product_id"], line["quantity"]) for line in data["lines"])))


@extend_schema_view(list=extend_schema(summary="Stocktakes"),
                    retrieve=extend_schema(summary="One stocktake: its count sheet and what was counted"))
class StocktakeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Stocktakes: a count sheet for a store (or a category in it), then the counted quantities,
    each turned into an adjustment with the stocktake's reason. A store's managers, or head office."""

    queryset = StocktakeView.objects.all()
    serializer_class = s.StocktakeOut
    permission_classes = [CashierReadsManagerWrites]
    filterset_fields = ["status", "store_code"]
    http_method_names = ["get", "post", "head", "options"]

    def get_object(self):
        stocktake = StocktakeView.objects.filter(id=_uuid(self.kwargs["pk"])).first()
        if stocktake is None:
            raise NotFound(f"No stocktake with id {self.kwargs['pk']}.")
        return stocktake

    @extend_schema(request=s.StocktakeIn, responses={201: s.StocktakeState}, summary="Start a count sheet",
                   extensions=problem_types(*STOCK_PROBLEMS, "stocktake-already-started"))
    def create(self, request):
        data = _valid(s.StocktakeIn, request)
        return _run(request, c.StartStocktake(stocktake_id=data.get("id") or uuid.uuid4(),
                                              store_code=store_in_scope(request, data["store_code"]),
                                              category_id=data.get("category_id")), status.HTTP_201_CREATED)

    @extend_schema(request=s.StocktakeCountIn, responses={200: s.StocktakeState},
                   summary="Count the sheet: each counted line adjusts the store's stock",
                   extensions=problem_types("store-out-of-scope", "stocktake-not-open"))
    @action(detail=True, methods=["post"])
    def count(self, request, pk=None):
        stocktake = self.get_object()  # the read model says which store: the scope is that store's
        store_in_scope(request, stocktake.store_code)
        data = _valid(s.StocktakeCountIn, request)
        return _run(request, c.CountStocktake(stocktake_id=stocktake.id, reason=data["reason"], lines=tuple(
            c.CountedQuantity(line["product_id"], line["counted_quantity"]) for line in data["lines"])))
