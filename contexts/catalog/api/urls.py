from rest_framework.routers import DefaultRouter

from .views import (
    CategoryViewSet, GoodsInView, ProductViewSet, StocktakeViewSet, StoreStockViewSet, TransferViewSet,
)

router = DefaultRouter()
router.register("categories", CategoryViewSet, basename="catalog-category")
router.register("products", ProductViewSet, basename="catalog-product")
router.register("stock", StoreStockViewSet, basename="catalog-stock")
router.register("goods-in", GoodsInView, basename="catalog-goods-in")
router.register("transfers", TransferViewSet, basename="catalog-transfer")
router.register("stocktakes", StocktakeViewSet, basename="catalog-stocktake")
urlpatterns = router.urls
