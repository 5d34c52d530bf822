"""Mounted at /api/v1/audit/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.AuditIndexView.as_view(), name="audit-index"),
    path("events/", views.AuditEventsView.as_view(), name="audit-events"),
]
