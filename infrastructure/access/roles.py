"""Roles are Django groups: `cashier` and `manager`; a superuser is the `admin` role.

Managers run the back office, so they get every model permission of the context apps (the
admin then shows them those pages; every change still goes through the command handlers)."""

from django.conf import settings

CASHIER = "cashier"
MANAGER = "manager"
ADMIN = "admin"
ROLE_GROUPS = (CASHIER, MANAGER)


def ensure_role_groups(app_config=None, using="default", **kwargs):
    """post_migrate hook (runs after each app's migrations): the role groups always exist, and
    managers hold the permissions of every context app migrated so far."""
    from django.contrib.auth.models import Group, Permission

    groups = {name: Group.objects.using(using).get_or_create(name=name)[0] for name in ROLE_GROUPS}
    if app_config is not None and app_config.label in settings.ALL_CONTEXTS:
        perms = Permission.objects.using(using).filter(content_type__app_label=app_config.label)
        groups[MANAGER].permissions.add(*perms)


def request_roles(request) -> set[str]:
    """`roles_of(request.user)`, looked up once per request (permission checks and views ask
    several times; each lookup is a query)."""
    if not hasattr(request, "_pos_roles"):
        request._pos_roles = roles_of(request.user)
    return request._pos_roles


def roles_of(user) -> set[str]:
    if not user or not user.is_authenticated:
        return set()
    roles = set(user.groups.values_list("name", flat=True)) & set(ROLE_GROUPS)
    if user.is_superuser:
        roles |= {ADMIN, MANAGER, CASHIER}
    if MANAGER in roles:
        roles.add(CASHIER)  # a manager can do whatever a cashier can
    return roles
