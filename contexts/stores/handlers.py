"""One handler per stores command, each in one transaction; each returns the store's state."""

from infrastructure.commands.bus import UnitOfWork, handles

from . import commands as c
from .domain import values
from .domain.store import DETAIL_FIELDS, Store, stream_id_of


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
