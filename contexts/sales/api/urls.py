from django.urls import path
from rest_framework.routers import DefaultRouter

from .approvals import ApprovalView
from .price_list import PriceListView
from .tenders import TenderViewSet
from .views import OrderViewSet, SessionViewSet, TillViewSet

router = DefaultRouter()
router.register("tills", TillViewSet, basename="sales-till")
router.register("sessions", SessionViewSet, basename="sales-session")
router.register("orders", OrderViewSet, basename="sales-order")
router.register("tenders", TenderViewSet, basename="sales-tender")
urlpatterns = [path("approvals/", ApprovalView.as_view(), name="sales-approval"),
               path("price-list/", PriceListView.as_view(), name="sales-price-list"), *router.urls]
