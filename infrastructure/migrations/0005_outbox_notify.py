"""On PostgreSQL every statement that inserts outbox rows sends `NOTIFY pos_outbox, '<context>'`
(once per context and statement; PostgreSQL delivers it at commit, and folds duplicates within
a transaction). `manage.py relay_outbox --listen` waits on it, so a commit reaches the relay
without a Celery message. Nothing listening: a notification costs next to nothing."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION es_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('pos_outbox', c.context) FROM (SELECT DISTINCT context FROM new_rows) AS c;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER es_outbox_notify AFTER INSERT ON es_outbox REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION es_outbox_notify();
"""
DROP = """
DROP TRIGGER IF EXISTS es_outbox_notify ON es_outbox;
DROP FUNCTION IF EXISTS es_outbox_notify();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("infrastructure", "0004_inbox_replay_index")]
    operations = [migrations.RunPython(forwards, backwards)]
