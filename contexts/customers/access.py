"""Who may see customers in the back office (the Django admin), mirroring the API: cashiers
read, managers write.

Managers get every model permission of the context apps from `infrastructure.access.roles`
(post_migrate). This context adds what is particular to it: a cashier may *view* customers
(looking a customer up is part of the till's job), never change them. Granted on every migrate,
so a fresh database needs no manual step; either role still needs `is_staff` to enter the admin.
"""

from django.db import router

from infrastructure.access.roles import CASHIER

CASHIER_ACTIONS = ("view",)


def grant_role_permissions(app_config, using="default", verbosity=1, **kwargs):
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    if not router.allow_migrate_model(using, Permission):
        return
    create_permissions(app_config, verbosity=0, using=using)  # idempotent; not relying on receiver order
    model = app_config.get_model("CustomerView")
    content_type = ContentType.objects.db_manager(using).get_for_model(model, for_concrete_model=True)
    group, _ = Group.objects.using(using).get_or_create(name=CASHIER)
    codenames = [f"{action}_{model._meta.model_name}" for action in CASHIER_ACTIONS]
    group.permissions.add(*Permission.objects.using(using).filter(content_type=content_type, codename__in=codenames))
