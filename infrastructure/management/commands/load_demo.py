"""Demo data for `make run`: role accounts, then each served context's own demo (`contexts/<name>/demo.py`).

Idempotent: running it again changes nothing that is already there.
"""

from importlib import import_module, util

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from infrastructure.access.roles import CASHIER, MANAGER, ensure_role_groups

DEMO_ACCOUNTS = (
    # username, password, role group, staff (admin site), superuser
    ("admin", "admin-demo-pass", None, True, True),
    ("manager", "manager-demo-pass", MANAGER, True, False),
    ("cashier", "cashier-demo-pass", CASHIER, False, False),
)


class Command(BaseCommand):
    help = "Load demo accounts and each context's demo data (idempotent)."

    def handle(self, *args, **options):
        ensure_role_groups()
        User = get_user_model()
        for username, password, group, staff, superuser in DEMO_ACCOUNTS:
            user, created = User.objects.get_or_create(username=username, defaults={
                "is_staff": staff, "is_superuser": superuser, "email": f"{username}@demo.pos"})
            if created:
                user.set_password(password)
                user.save()
            if group:
                user.groups.add(Group.objects.get(name=group))
        for context in settings.POS_CONTEXTS:
            module = f"contexts.{context}.demo"
            if util.find_spec(module):
                import_module(module).load(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write("Demo logins: " + ", ".join(f"{u} / {p}" for u, p, *_ in DEMO_ACCOUNTS))
