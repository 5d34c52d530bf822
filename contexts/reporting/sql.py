"""The two statements the sales-figures projection is built on, written once (PostgreSQL and
SQLite 3.35+ both speak them):

- `insert_new(model, rows)`: `INSERT ... ON CONFLICT (pk) DO NOTHING RETURNING pk` — which of
  these facts (orders, refunds) are new. Only a new fact adds to the roll-ups, so an order
  published twice (even under another event id) counts once.
- `add_up(model, rows)`: `INSERT ... ON CONFLICT (key) DO UPDATE SET col = table.col + EXCLUDED.col`
  — one statement adds a whole batch of figures to the roll-up rows, creating the missing ones.
  Within one statement a key appears once (PostgreSQL refuses to update a row twice), so
  callers sum per key first (`Rollup`).

Values go through each field's `get_db_prep_save`, so UUIDs, dates and decimals are stored
exactly as the ORM would store them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from django.db import connections

#: bind parameters per statement: under SQLite's 32766 and PostgreSQL's 65535, with room to spare
MAX_PARAMS = 30000


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def insert_new(model, rows: Sequence[Mapping], *, using: str) -> set:
    """Insert the rows whose primary key is not there yet; the primary keys inserted."""
    if not rows:
        return set()
    connection = connections[using]
    quote = connection.ops.quote_name
    pk = model._meta.pk
    fields = [model._meta.get_field(name) for name in rows[0]]
    table = quote(model._meta.db_table)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    head = f"INSERT INTO {table} ({', '.join(quote(f.column) for f in fields)}) VALUES "
    tail = f" ON CONFLICT ({quote(pk.column)}) DO NOTHING RETURNING {quote(pk.column)}"
    new = set()
    with connection.cursor() as cursor:
        ordered = sorted(rows, key=lambda row: str(row[pk.name]))  # a stable lock order, as in add_up
        for chunk in _chunks(ordered, max(1, MAX_PARAMS // len(fields))):
            params = [f.get_db_prep_save(row[f.name], connection) for row in chunk for f in fields]
            cursor.execute(head + ", ".join([one] * len(chunk)) + tail, params)
            new.update(_python(pk, value) for (value,) in cursor.fetchall())
    return new


def _python(field, value):
    """A returned key as the ORM would give it (SQLite hands UUIDs back as hex strings)."""
    if value is not None and field.get_internal_type() == "UUIDField" and not isinstance(value, uuid.UUID):
        return uuid.UUID(str(value))
    return value


def add_up(model, rows: Mapping[tuple, Mapping[str, object]], *, using: str) -> None:
    """Add `rows` ({key tuple: {column: amount}}) to `model`'s roll-up rows (`model.KEY` names the
    key columns, `model.ADDED` the columns added to, `model.LABELS` text columns overwritten unless
    the new value is empty)."""
    if not rows:
        return
    connection = connections[using]
    quote = connection.ops.quote_name
    names = (*model.KEY, *model.ADDED, *model.LABELS)
    fields = [model._meta.get_field(name) for name in names]
    table = quote(model._meta.db_table)
    sets = [f"{quote(c)} = {table}.{quote(c)} + EXCLUDED.{quote(c)}"
            for c in (model._meta.get_field(n).column for n in model.ADDED)]
    # a label left empty (a refund names no product) keeps the one the row has
    sets += [f"{quote(c)} = COALESCE(NULLIF(EXCLUDED.{quote(c)}, ''), {table}.{quote(c)})"
             for c in (model._meta.get_field(n).column for n in model.LABELS)]
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    head = f"INSERT INTO {table} ({', '.join(quote(f.column) for f in fields)}) VALUES "
    tail = (f" ON CONFLICT ({', '.join(quote(model._meta.get_field(n).column) for n in model.KEY)}) "
            f"DO UPDATE SET {', '.join(sets)}")
    # Always in key order: two consumers adding to the same rows lock them in the same order
    # (no deadlock between them).
    items = sorted(rows.items(), key=lambda item: tuple(str(part) for part in item[0]))
    with connection.cursor() as cursor:
        for chunk in _chunks(items, max(1, MAX_PARAMS // len(fields))):
            params = []
            for key, values in chunk:
                row = dict(zip(model.KEY, key))
                row.update({name: values.get(name, 0) for name in model.ADDED})
                row.update({name: values.get(name, "") for name in model.LABELS})
                params.extend(f.get_db_prep_save(row[f.name], connection) for f in fields)
            cursor.execute(head + ", ".join([one] * len(chunk)) + tail, params)


class Rollup:
    """Figures of one batch, summed per roll-up row before they are written (`flush`)."""

    def __init__(self):
        self._rows: dict = defaultdict(dict)  # model -> key -> {column: value}

    def add(self, model, key: tuple, labels: Mapping[str, str] | None = None, **amounts) -> None:
        row = self._rows[model].setdefault(key, {})
        for name, amount in amounts.items():
            row[name] = row.get(name, 0) + amount
        if labels:
            row.update(labels)

    def flush(self, using: str) -> None:
        for model, rows in self._rows.items():
            add_up(model, rows, using=using)
        self._rows.clear()

