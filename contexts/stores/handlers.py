"""One handler per stores command, each in one transaction; each returns the store's state."""

from infrastructure.commands.bus import UnitOfWork, handles

from kernel.errors import DomainError

from . import commands as c
from . import staff_accounts
from .domain import staff as staff_rules
from .domain import values
from .domain.staff import StaffMember
from .domain.store import CLOSED, DETAIL_FIELDS, Store, stream_id_of


def _load(uow: UnitOfWork, code) -> tuple:
    stores = uow.repository(Store)
    return stores, stores.get(stream_id_of(values.clean_code(code)), label="store")


@handles(c.RegisterStore)
def register_store(cmd: c.RegisterStore, uow: UnitOfWork) -> dict:
    stores = uow.repository(Store)
    store = stores.get_or_new(stream_id_of(values.clean_code(cmd.code)))
    store.register(code=cmd.code, name=cmd.name, address=cmd.address, tax_id=cmd.tax_id, time_zone=cmd.time_zone,
                   receipt_header=cmd.receipt_header, receipt_footer=cmd.receipt_footer)
    stores.save(store)
    return store.state()


# Re-deciding an update, a close or a reopen on fresh state is safe: they retry on a conflict.
@handles(c.UpdateStore, retry_on_conflict=True)
def update_store(cmd: c.UpdateStore, uow: UnitOfWork) -> dict:
    stores, store = _load(uow, cmd.code)
    if store.update(**{name: getattr(cmd, name) for name in DETAIL_FIELDS}):
        stores.save(store)
    return store.state()


@handles(c.CloseStore, retry_on_conflict=True)
def close_store(cmd: c.CloseStore, uow: UnitOfWork) -> dict:
    stores, store = _load(uow, cmd.code)
    store.close(cmd.reason)
    stores.save(store)
    return store.state()


@handles(c.ReopenStore, retry_on_conflict=True)
def reopen_store(cmd: c.ReopenStore, uow: UnitOfWork) -> dict:
    stores, store = _load(uow, cmd.code)
    store.reopen()
    stores.save(store)
    return store.state()


# --- staff ------------------------------------------------------------------------------------
def _check_stores_open(uow: UnitOfWork, codes: list[str]) -> None:
    """Staff work in registered stores that are open for business (the stores' own streams)."""
    stores = uow.repository(Store)
    for index, code in enumerate(codes):
        store = stores.get_or_new(stream_id_of(code))
        if not store.exists:
            raise DomainError(f"There is no store {code}.", field=f"stores.{index}", code="UnknownStore")
        if store.status == CLOSED:
            raise DomainError(f"Store {code} is closed for business.", field=f"stores.{index}", code="StoreClosed")


def _member(uow: UnitOfWork, username: str):
    members = uow.repository(StaffMember)
    return members, members.get(staff_rules.stream_id_of(staff_rules.clean_username(username)),
                                label="staff member")


@handles(c.CreateStaffAccount)
def create_staff_account(cmd: c.CreateStaffAccount, uow: UnitOfWork) -> dict:
    members = uow.repository(StaffMember)
    member = members.get_or_new(staff_rules.stream_id_of(staff_rules.clean_username(cmd.username)))
    member.create(username=cmd.username, role=cmd.role, stores=cmd.stores, by=cmd.by)
    _check_stores_open(uow, member.stores)
    staff_accounts.check_new_account(member.username, cmd.password, first_name=cmd.first_name,
                                     last_name=cmd.last_name)
    staff_accounts.create_account(member.username, cmd.password, member.role, member.stores,
                                  first_name=cmd.first_name, last_name=cmd.last_name)
    members.save(member)
    return member.state()


@handles(c.AssignStaffStores, retry_on_conflict=True)
def assign_staff_stores(cmd: c.AssignStaffStores, uow: UnitOfWork) -> dict:
    members, member = _member(uow, cmd.username)
    if member.assign(cmd.stores, by=cmd.by):
        _check_stores_open(uow, member.stores)
        staff_accounts.assign_stores(member.username, member.stores)
        members.save(member)
    return member.state()


@handles(c.ResetStaffPassword, retry_on_conflict=True)
def reset_staff_password(cmd: c.ResetStaffPassword, uow: UnitOfWork) -> dict:
    members, member = _member(uow, cmd.username)
    member.reset_password(by=cmd.by)
    staff_accounts.set_password(member.username, cmd.password)
    members.save(member)
    return member.state()


@handles(c.DeactivateStaffAccount, retry_on_conflict=True)
def deactivate_staff_account(cmd: c.DeactivateStaffAccount, uow: UnitOfWork) -> dict:
    members, member = _member(uow, cmd.username)
    member.deactivate(cmd.reason, by=cmd.by)
    staff_accounts.deactivate(member.username)
    members.save(member)
    return member.state()
