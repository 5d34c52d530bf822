from rest_framework.routers import SimpleRouter

from .staff_views import StaffViewSet
from .views import StoreViewSet

router = SimpleRouter()
router.register("staff", StaffViewSet, basename="staff")  # before the stores: "staff" is not a store code
router.register("", StoreViewSet, basename="store")

urlpatterns = router.urls
