"""DRF permission classes for the roles. Default deny: a view must name who may use it."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from infrastructure.access.roles import ADMIN, CASHIER, MANAGER
from infrastructure.access.roles import request_roles as _cached_roles


class IsCashier(BasePermission):
    message = "This needs the cashier role (or manager)."

    def has_permission(self, request, view):
        return CASHIER in _cached_roles(request)


class IsManager(BasePermission):
    message = "This needs the manager role."

    def has_permission(self, request, view):
        return MANAGER in _cached_roles(request)


class IsAdmin(BasePermission):
    message = "This needs the admin role."

    def has_permission(self, request, view):
        return ADMIN in _cached_roles(request)


class CashierReadsManagerWrites(BasePermission):
    """Cashiers (and managers) may read; only managers may change."""

    message = "Only a manager may change this; cashiers may read it."

    def has_permission(self, request, view):
        roles = _cached_roles(request)
        return MANAGER in roles if request.method not in SAFE_METHODS else CASHIER in roles


class CashierReadsHeadOfficeWrites(BasePermission):
    """Cashiers (and managers) may read; only a head-office manager (a manager in no store, or an
    admin: `infrastructure/access/scope.py`) may change."""

    message = "Only a head-office manager may change this; cashiers and store managers may read it."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return CASHIER in _cached_roles(request)
        from infrastructure.access.scope import is_head_office

        return is_head_office(request)
