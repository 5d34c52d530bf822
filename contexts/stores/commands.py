"""Commands of the stores context: what a head-office manager asks it to do."""

from dataclasses import dataclass

from .domain.store import UNCHANGED


@dataclass(frozen=True)
class RegisterStore:
    code: str
    name: str
    address: dict
    tax_id: str
    time_zone: str
    receipt_header: str = ""
    receipt_footer: str = ""


@dataclass(frozen=True)
class UpdateStore:
    """Change some details; a field left `UNCHANGED` keeps its value."""

    code: str
    name: object = UNCHANGED
    address: object = UNCHANGED
    tax_id: object = UNCHANGED
    time_zone: object = UNCHANGED
    receipt_header: object = UNCHANGED
    receipt_footer: object = UNCHANGED


@dataclass(frozen=True)
class CloseStore:
    code: str
    reason: str | None = None


@dataclass(frozen=True)
class ReopenStore:
    code: str


# --- staff ------------------------------------------------------------------------------------
# `by` is the acting manager's stores (None: head office), from `infrastructure.access.scope`.
@dataclass(frozen=True)
class CreateStaffAccount:
    username: str
    password: str
    role: str
    stores: list
    by: frozenset | None
    first_name: str = ""
    last_name: str = ""


@dataclass(frozen=True)
class AssignStaffStores:
    username: str
    stores: list
    by: frozenset | None


@dataclass(frozen=True)
class ResetStaffPassword:
    username: str
    password: str
    by: frozenset | None


@dataclass(frozen=True)
class DeactivateStaffAccount:
    username: str
    by: frozenset | None
    reason: str | None = None
