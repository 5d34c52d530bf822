"""A projection: a subscriber that owns read tables and can be rebuilt from the inbox."""

from __future__ import annotations

from typing import ClassVar

from django.db import connections

from infrastructure.consumers.registry import Subscriber
from infrastructure.eventstore.databases import db_for


class Projection(Subscriber):
    replayable = True
    tables: ClassVar[tuple]  # the Django models whose rows this projection owns, and only it writes

    @property
    def db(self) -> str:
        return db_for(self.consumer)

    def reset(self) -> None:
        """Empty the owned tables, inside the rebuild's transaction. DELETE rather than TRUNCATE:
        readers keep seeing the old rows (MVCC) until the rebuild commits, instead of blocking."""
        connection = connections[self.db]
        with connection.cursor() as cursor:
            for model in self.tables:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
