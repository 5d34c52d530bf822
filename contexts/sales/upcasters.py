"""Upcasters of sales events whose shape changed (`sealing.py` has `OrderPlaced`'s, which is about
sealing)."""

from infrastructure.events.upcasting import upcaster

from .domain.events import SALES


@upcaster(SALES, "TillSessionClosed", from_version=1)
def _z_report_v2(data: dict) -> dict:
    """v2's Z-report adds `refund_tax` and each method's `taken` and `given_back`. A v1 Z-report
    never published them (they were worked out by each reader from the session's `Session*Recorded`
    events): null says so, and a reader that wants them for such a session keeps its own."""
    z = data["z_report"]
    methods = [{**m, "taken": m.get("taken"), "given_back": m.get("given_back")} for m in z.get("methods") or ()]
    return {**data, "z_report": {**z, "refund_tax": z.get("refund_tax"), "methods": methods}}
