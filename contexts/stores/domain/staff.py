"""The staff member aggregate: a cashier's or manager's account, the stores they work in, and
whether it is active. Stream `staff-<username>`.

Who may change whom is a rule of the aggregate, given the acting manager's stores (`by`: None
for head office): a store manager makes and manages staff only within their own stores, and never
a head-office account; only head office makes a manager who works in no store (head office).
Assigning the same stores again records nothing; deactivating twice is a 409.
"""

from __future__ import annotations

import re

from kernel.aggregate import Aggregate
from kernel.errors import Conflict, DomainError

from .events import STORES, StaffAccountCreated, StaffAccountDeactivated, StaffPasswordReset, StaffStoresAssigned
from .values import clean_code, clean_reason

CASHIER, MANAGER = "cashier", "manager"
STAFF_ROLES = ((CASHIER, "cashier"), (MANAGER, "manager"))
_USERNAME = re.compile(r"^[\w.@+-]{1,150}$")


class OutOfScope(DomainError):
    """The acting manager does not manage this store or this member of staff."""

    status = 403
    title = "Forbidden"


def stream_id_of(username: str) -> str:
    return f"staff-{username}"


def clean_username(value) -> str:
    if not isinstance(value, str) or not _USERNAME.match(value):
        raise DomainError("A username is 1 to 150 letters, digits and @ . + - _.", field="username")
    return value


def clean_stores(value) -> list[str]:
    if not isinstance(value, (list, tuple)):
        raise DomainError("The stores are a list of store codes.", field="stores")
    codes = []
    for index, code in enumerate(value):
        try:
            codes.append(clean_code(code))
        except DomainError as error:
            raise DomainError(error.message, field=f"stores.{index}") from None
    return sorted(set(codes))


def _within(stores, by: frozenset[str] | None, what: str) -> None:
    if by is not None and not set(stores) <= by:
        outside = ", ".join(sorted(set(stores) - by))
        raise OutOfScope(f"You do not manage store {outside}, so you cannot {what}.", field="stores",
                         code="StoreOutOfScope")


class StaffMember(Aggregate):
    context = STORES
    stream_type = "StaffMember"

    def __init__(self, stream_id):
        super().__init__(stream_id)
        self.username = ""
        self.role = ""
        self.stores: list[str] = []
        self.active = True

    def state(self) -> dict:
        return {"username": self.username, "role": self.role, "stores": list(self.stores), "active": self.active,
                "version": self.version}

    # -- commands ------------------------------------------------------------------------------
    def create(self, *, username, role, stores, by: frozenset[str] | None) -> None:
        username = clean_username(username)
        if self.exists:
            raise Conflict(f"There is already a staff account {username}.", field="username", code="UsernameTaken")
        if role not in (CASHIER, MANAGER):
            raise DomainError("The role is cashier or manager.", field="role")
        stores = clean_stores(stores)
        if not stores and role == CASHIER:
            raise DomainError("A cashier works in at least one store.", field="stores")
        if not stores and by is not None:
            raise OutOfScope("Only head office makes a head-office manager (a manager in no store).",
                             field="stores", code="HeadOfficeOnly")
        _within(stores, by, "give staff to it")
        self._record(StaffAccountCreated(username=username, role=role, stores=stores))

    def assign(self, stores, *, by: frozenset[str] | None) -> bool:
        self._ensure_managed_by(by)
        stores = clean_stores(stores)
        if not stores and self.role == CASHIER:
            raise DomainError("A cashier works in at least one store.", field="stores")
        if not stores and by is not None:
            raise OutOfScope("Only head office makes a manager head office (in no store).", field="stores",
                             code="HeadOfficeOnly")
        _within(set(stores) ^ set(self.stores), by, "move staff in or out of it")
        if stores == self.stores:
            return False
        self._record(StaffStoresAssigned(username=self.username, stores=stores))
        return True

    def reset_password(self, *, by: frozenset[str] | None) -> None:
        self._ensure_managed_by(by)
        self._record(StaffPasswordReset(username=self.username))

    def deactivate(self, reason=None, *, by: frozenset[str] | None) -> None:
        self._ensure_managed_by(by)
        if not self.active:
            raise Conflict(f"{self.username} is already deactivated.", code="AlreadyDeactivated")
        self._record(StaffAccountDeactivated(username=self.username, reason=clean_reason(reason)))

    def _ensure_managed_by(self, by: frozenset[str] | None) -> None:
        """A store manager manages staff who work in one of their stores; head office everyone."""
        if by is not None and not set(self.stores) & by:
            raise OutOfScope(f"{self.username} does not work in a store you manage.", code="StaffOutOfScope")

    # -- state changes -------------------------------------------------------------------------
    def when_StaffAccountCreated(self, e: StaffAccountCreated):
        self.username, self.role, self.stores = e.username, e.role, list(e.stores)

    def when_StaffStoresAssigned(self, e: StaffStoresAssigned):
        self.stores = list(e.stores)

    def when_StaffPasswordReset(self, e: StaffPasswordReset):
        pass  # nothing of the password is kept here

    def when_StaffAccountDeactivated(self, e: StaffAccountDeactivated):
        self.active = False
