"""An event as it travels and is stored: the domain data plus everything around it."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from kernel.events import event_class
from kernel.serialization import event_from_data
from infrastructure.events.upcasting import upcast
from infrastructure.personal_data.sealing import opened_data


@dataclass(frozen=True)
class Envelope:
    event_id: uuid.UUID
    source_context: str
    stream_type: str
    stream_id: str
    version: int
    event_type: str
    schema_version: int
    data: dict
    metadata: dict
    recorded_at: dt.datetime
    position: int | None = None  # in the publishing context's event table

    def upcasted(self) -> "Envelope":
        """This envelope with its data in the current schema version of its event class (if the
        class is known in this process)."""
        cls = event_class(self.source_context, self.event_type)
        if cls is None or self.schema_version >= cls.schema_version:
            return self
        data = upcast(self.source_context, self.event_type, self.schema_version, self.data, cls.schema_version)
        return Envelope(**{**self.__dict__, "data": data, "schema_version": cls.schema_version})

    def opened(self) -> "Envelope":
        """This envelope upcasted, with its personal data opened (erased when the subject's key
        was destroyed): what projections read. See infrastructure/personal_data/sealing.py."""
        upcasted = self.upcasted()
        return Envelope(**{**upcasted.__dict__, "data": opened_data(upcasted)})

    def to_event(self):
        """The typed event object (for the publishing context's own code)."""
        env = self.opened()
        cls = event_class(env.source_context, env.event_type)
        if cls is None:
            raise LookupError(f"Unknown event type {env.source_context}.{env.event_type}")
        return event_from_data(cls, env.data)

    @classmethod
    def from_stored(cls, row) -> "Envelope":
        return cls(event_id=row.event_id, source_context=row.context, stream_type=row.stream_type,
                   stream_id=row.stream_id, version=row.version, event_type=row.event_type,
                   schema_version=row.schema_version, data=row.data, metadata=row.metadata,
                   recorded_at=row.recorded_at, position=row.position)
