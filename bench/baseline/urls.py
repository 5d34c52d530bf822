from django.urls import path

from .views import RowCreate

urlpatterns = [path("rows/", RowCreate.as_view(), name="bench-baseline-rows")]
