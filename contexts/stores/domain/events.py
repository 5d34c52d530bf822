"""The published event contracts of the stores context (JSON Schemas in `../schemas/`).

A store's events carry all of its details, not a diff: a consumer (sales keeps a store directory
for tills and receipts, reporting keeps each store's time zone) overwrites its copy without
knowing the previous state. Every store event names the store by its `code`, which never changes.
"""

from dataclasses import dataclass

from kernel.events import DomainEvent
from kernel.values import PostalAddress

STORES = "stores"


StoreAddress = PostalAddress


@dataclass(frozen=True)
class StoreDetails(DomainEvent):
    """What StoreRegistered and StoreUpdated carry (an abstract base: no context, not an event)."""

    code: str
    name: str
    address: StoreAddress
    tax_id: str
    time_zone: str
    receipt_header: str
    receipt_footer: str


@dataclass(frozen=True)
class StoreRegistered(StoreDetails, context=STORES):
    """A head-office manager registered a store. `time_zone` is an IANA name (Europe/Berlin);
    a new store is open for business."""


@dataclass(frozen=True)
class StoreUpdated(StoreDetails, context=STORES):
    """A store's details changed: all of the new details, not a diff (the code never changes)."""


@dataclass(frozen=True)
class StoreClosed(DomainEvent, context=STORES):
    """The store closed for business: no new tills or delivery orders there. Its history stays."""

    code: str
    reason: str


@dataclass(frozen=True)
class StoreReopened(DomainEvent, context=STORES):
    """A closed store is open for business again."""

    code: str


# --- staff: who works where (the accounts themselves are the project's user accounts) -----------
@dataclass(frozen=True)
class StaffAccountCreated(DomainEvent, context=STORES):
    """A staff account was made: a cashier or a manager, working in `stores` (a manager in no
    store is head office). Never carries the password."""

    username: str
    role: str
    stores: list[str]


@dataclass(frozen=True)
class StaffStoresAssigned(DomainEvent, context=STORES):
    """The stores a member of staff works in are now `stores` (all of them, not a diff)."""

    username: str
    stores: list[str]


@dataclass(frozen=True)
class StaffPasswordReset(DomainEvent, context=STORES):
    """A manager set a new password for the account (the password is never in an event)."""

    username: str


@dataclass(frozen=True)
class StaffAccountDeactivated(DomainEvent, context=STORES):
    """The account can no longer log in; its tokens stop working at their next use."""

    username: str
    reason: str
