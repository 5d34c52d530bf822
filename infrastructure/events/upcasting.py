"""Upcasters turn an event's stored data from an older schema version into the next one, so
events recorded by older code replay with the current classes. Register one function per step:

    @upcaster("catalog", "ProductCreated", from_version=1)
    def add_tax_flag(data: dict) -> dict:
        return {**data, "price_includes_tax": True}
"""

from collections.abc import Callable

_UPCASTERS: dict[tuple[str, str, int], Callable[[dict], dict]] = {}


def upcaster(context: str, event_type: str, *, from_version: int):
    def register(fn: Callable[[dict], dict]):
        _UPCASTERS[(context, event_type, from_version)] = fn
        return fn

    return register


def upcast(context: str, event_type: str, version: int, data: dict, target_version: int) -> dict:
    while version < target_version:
        step = _UPCASTERS.get((context, event_type, version))
        if step is None:
            raise LookupError(f"No upcaster for {context}.{event_type} from v{version} to v{version + 1}")
        data = step(data)
        version += 1
    return data
