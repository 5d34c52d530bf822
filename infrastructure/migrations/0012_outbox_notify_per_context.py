"""Each context's outbox commits notify a channel of its own, `pos_outbox_<context>`, instead of
one channel all relays listen on: a commit wakes only its context's relay, not every worker's
(six listeners woke for each sale). The payload still names the context."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION es_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('pos_outbox_' || c.context, c.context) FROM (SELECT DISTINCT context FROM new_rows) AS c;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
PREVIOUS = """
CREATE OR REPLACE FUNCTION es_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('pos_outbox', c.context) FROM (SELECT DISTINCT context FROM new_rows) AS c;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS)


class Migration(migrations.Migration):
    dependencies = [("infrastructure", "0011_inbox_dead_index")]
    operations = [migrations.RunPython(forwards, backwards)]
