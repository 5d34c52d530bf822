"""JSON Schema (draft 2020-12) for each event class, generated from its type hints.

The generated schemas are committed under `contexts/<context>/schemas/` by
`manage.py export_event_schemas`, so the published contract is a file a consumer can read; a
test fails when a class and its committed schema drift apart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import types
import typing
import uuid
from decimal import Decimal

from kernel.events import DomainEvent
from kernel.serialization import hints

DECIMAL_PATTERN = r"^-?\d+(\.\d+)?$"


def type_schema(tp) -> dict:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        inner = [type_schema(a) for a in args if a is not type(None)]
        schema = inner[0] if len(inner) == 1 else {"anyOf": inner}
        if type(None) in args:
            schema = {"anyOf": [schema, {"type": "null"}]}
        return schema
    if origin in (list, tuple):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        return {"type": "array", "items": type_schema(args[0]) if args else {}}
    if origin is dict:
        args = typing.get_args(tp)
        return {"type": "object", "additionalProperties": type_schema(args[1]) if args else {}}
    if tp is typing.Any:
        return {}
    if dataclasses.is_dataclass(tp):
        return object_schema(tp)
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is str:
        return {"type": "string"}
    if tp is Decimal:
        return {"type": "string", "pattern": DECIMAL_PATTERN}
    if tp is uuid.UUID:
        return {"type": "string", "format": "uuid"}
    if tp is dt.datetime:
        return {"type": "string", "format": "date-time"}
    if tp is dt.date:
        return {"type": "string", "format": "date"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [m.value for m in tp]}
    raise TypeError(f"No JSON Schema mapping for {tp!r}")


def object_schema(cls) -> dict:
    known = hints(cls)
    fields = [f for f in dataclasses.fields(cls) if f.init]
    required = [f.name for f in fields
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    return {
        "type": "object",
        "properties": {f.name: type_schema(known[f.name]) for f in fields},
        "required": required,
        "additionalProperties": False,
    }


def event_schema(cls: type[DomainEvent]) -> dict:
    # An event whose personal fields travel sealed describes its wire form itself (`wire_schema`),
    # given the schema of its opened form.
    schema = object_schema(cls)
    if hasattr(cls, "wire_schema"):
        schema = cls.wire_schema(schema)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://pos.example/schemas/{cls.context}/{cls.event_type()}.v{cls.schema_version}.json",
        "title": f"{cls.context}.{cls.event_type()} v{cls.schema_version}",
        "description": (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else "",
        **schema,
    }


def schema_filename(cls: type[DomainEvent]) -> str:
    return f"{cls.event_type()}.v{cls.schema_version}.json"
