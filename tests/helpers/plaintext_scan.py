"""Where a piece of personal data is written down, in plaintext: every table of every database
of this run's PostgreSQL server, every Kafka topic from its beginning, every collection of the
audit's FerretDB, and log files. Each finder returns the places as strings (empty: nowhere), so
a failing assertion names them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import psycopg
from django.db import connection
from psycopg import sql

from infrastructure.kafka import clients
from tests.helpers.kafka import read_topic


def _connect(dbname: str):
    settings = connection.settings_dict
    return psycopg.connect(host=settings["HOST"], port=settings["PORT"], user=settings["USER"],
                           password=settings["PASSWORD"], dbname=dbname, autocommit=True)


def in_postgresql(needles: Iterable[str], tables: Iterable[str] | None = None) -> list[str]:
    """"db.schema.table: needle" for each table whose rows, as text, contain a needle (any case);
    every table of every database, or only the tables named."""
    only = None if tables is None else set(tables)
    needles = list(needles)
    with _connect(connection.settings_dict["NAME"]) as conn:
        databases = [name for (name,) in conn.execute("SELECT datname FROM pg_database WHERE NOT datistemplate")]
    found = []
    for database in databases:
        with _connect(database) as conn:
            rows = conn.execute("SELECT table_schema, table_name FROM information_schema.tables "
                                  "WHERE table_type = 'BASE TABLE' "
                                  "AND table_schema NOT IN ('pg_catalog', 'information_schema')").fetchall()
            for schema, table in rows:
                if only is not None and table not in only:
                    continue
                for needle in needles:
                    query = sql.SQL("SELECT count(*) FROM {}.{} AS t WHERE t::text ILIKE %s").format(
                        sql.Identifier(schema), sql.Identifier(table))
                    (count,) = conn.execute(query, [f"%{needle}%"]).fetchone()
                    if count:
                        found.append(f"{database}.{schema}.{table}: {needle} ({count} rows)")
    return found


def in_kafka(needles: Iterable[str]) -> list[str]:
    """"topic@partition:offset: needle" for each record whose key, value or headers contain a needle."""
    needles = [needle.lower().encode() for needle in needles]
    admin = clients.admin()
    try:
        topics = sorted(t for t in admin.list_topics() if not t.startswith("__"))
    finally:
        admin.close()
    found = []
    for topic in topics:
        for record in read_topic(topic):
            text = b"\n".join([record.key or b"", record.value or b"",
                               *(name.encode() + b"=" + (value or b"") for name, value in record.headers)]).lower()
            found += [f"{topic}@{record.partition}:{record.offset}: {needle.decode()}"
                      for needle in needles if needle in text]
    return found


def in_ferretdb(needles: Iterable[str]) -> list[str]:
    """"database.collection/_id: needle" for each document that contains a needle."""
    from contexts.audit import archive

    needles = [needle.lower() for needle in needles]
    client = archive.client()
    found = []
    for database in client.list_database_names():
        for name in client[database].list_collection_names():
            for doc in client[database][name].find({}):
                text = json.dumps(doc, default=str).lower()
                found += [f"{database}.{name}/{doc.get('_id')}: {needle}" for needle in needles if needle in text]
    return found


def in_files(paths: Iterable[Path], needles: Iterable[str]) -> list[str]:
    needles = [needle.lower() for needle in needles]
    found = []
    for path in paths:
        text = Path(path).read_text(errors="replace").lower()
        found += [f"{path}: {needle}" for needle in needles if needle in text]
    return found
