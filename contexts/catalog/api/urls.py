from rest_framework.routers import DefaultRouter

from .views import CategoryViewSet, ProductViewSet

router = DefaultRouter()
router.register("categories", CategoryViewSet, basename="catalog-category")
router.register("products", ProductViewSet, basename="catalog-product")
urlpatterns = router.urls
