"""The user accounts behind staff members, written by the staff handlers in the same transaction
as the staff events (when the stores context keeps its events in the `default` database, as it
does unless DATABASE_URL_STORES is set; otherwise the account is written in a transaction of its
own right before the events commit, and a repeated command repairs a half-done one).

A staff account is a Django user in the role group of its role, with one `StoreAssignment` per
store (`infrastructure/access/scope.py` reads them); managers are `is_staff` (the back office).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from infrastructure.access.models import StoreAssignment
from infrastructure.access.roles import CASHIER, MANAGER
from kernel.errors import Conflict, DomainError

USERS_DB = "default"  # the user accounts and role groups live with authentication


def _checked_password(password: str, user) -> str:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), field="password") from None
    return password


def check_new_account(username: str, password: str, *, first_name: str = "", last_name: str = "") -> None:
    User = get_user_model()
    if User.objects.using(USERS_DB).filter(username__iexact=username).exists():
        raise Conflict(f"There is already an account {username}.", field="username", code="UsernameTaken")
    _checked_password(password, User(username=username, first_name=first_name, last_name=last_name))


def create_account(username: str, password: str, role: str, stores: list[str], *, first_name="", last_name=""):
    User = get_user_model()
    with transaction.atomic(using=USERS_DB):
        user = User(username=username, first_name=first_name, last_name=last_name, is_staff=role == MANAGER)
        user.set_password(password)
        user.save(using=USERS_DB)
        user.groups.add(Group.objects.using(USERS_DB).get(name={"cashier": CASHIER, "manager": MANAGER}[role]))
        assign_stores(username, stores)


def assign_stores(username: str, stores: list[str]) -> None:
    user = get_user_model().objects.using(USERS_DB).get(username=username)
    with transaction.atomic(using=USERS_DB):
        StoreAssignment.objects.using(USERS_DB).filter(user=user).exclude(store_code__in=stores).delete()
        have = set(StoreAssignment.objects.using(USERS_DB).filter(user=user).values_list("store_code", flat=True))
        StoreAssignment.objects.using(USERS_DB).bulk_create(
            [StoreAssignment(user=user, store_code=code) for code in stores if code not in have])


def set_password(username: str, password: str) -> None:
    user = get_user_model().objects.using(USERS_DB).get(username=username)
    user.set_password(_checked_password(password, user))
    user.save(using=USERS_DB, update_fields=["password"])


def deactivate(username: str) -> None:
    get_user_model().objects.using(USERS_DB).filter(username=username).update(is_active=False)
