"""Where a piece of personal data is written down, in plaintext: every table of every database
the system uses, every Kafka topic from its beginning, every collection of the audit database
in FerretDB, and log files. Each finder returns the places as strings (empty: nowhere), so
a failing assertion names them.

Other runs' databases and topics on the same servers (pytest-xdist workers) are left alone."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connections
from psycopg import sql

from infrastructure.kafka import clients
from tests.helpers.kafka import read_topic


def _connect(alias: str):
    db = connections[alias].settings_dict
    return psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"],
                           dbname=db["NAME"], autocommit=True)


def in_postgresql(needles: Iterable[str], tables: Iterable[str] | None = None) -> list[str]:
    """"db.schema.table: needle" for each table whose rows, as text, contain a needle (any case);
    every table of every database the system uses (each context's, where one has its own), or
    only the tables named. Other runs' databases on the same server are left alone: a
    connection of ours would make their DROP DATABASE fail."""
    only = None if tables is None else set(tables)
    needles = list(needles)
    found = []
    for alias in connections:
        database = connections[alias].settings_dict["NAME"]
        with _connect(alias) as conn:
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
    """"topic@partition:offset: needle" for each record whose key, value or headers contain a
    needle, in every topic of the system (those under `KAFKA_TOPIC_PREFIX`: the contexts' event
    topics and the dead-letter topic), each read from its beginning."""
    needles = [needle.lower().encode() for needle in needles]
    admin = clients.admin()
    try:
        topics = sorted(t for t in admin.list_topics() if t.startswith(settings.KAFKA_TOPIC_PREFIX + "."))
    finally:
        admin.close()
    assert topics, f"no topics under {settings.KAFKA_TOPIC_PREFIX}"
    found = []
    for topic in topics:
        for record in read_topic(topic):
            text = b"\n".join([record.key or b"", record.value or b"",
                               *(name.encode() + b"=" + (value or b"") for name, value in record.headers)]).lower()
            found += [f"{topic}@{record.partition}:{record.offset}: {needle.decode()}"
                      for needle in needles if needle in text]
    return found


def in_ferretdb(needles: Iterable[str]) -> list[str]:
    """"database.collection/_id: needle" for each document of the audit database (every
    collection) that contains a needle."""
    from contexts.audit import archive

    needles = [needle.lower() for needle in needles]
    database = archive.client()[archive.database_name()]
    found = []
    for name in database.list_collection_names():
        for doc in database[name].find({}):
            text = json.dumps(doc, default=str).lower()
            found += [f"{database.name}.{name}/{doc.get('_id')}: {needle}" for needle in needles if needle in text]
    return found


def in_files(paths: Iterable[Path], needles: Iterable[str]) -> list[str]:
    needles = [needle.lower() for needle in needles]
    found = []
    for path in paths:
        text = Path(path).read_text(errors="replace").lower()
        found += [f"{path}: {needle}" for needle in needles if needle in text]
    return found
