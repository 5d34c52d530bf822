"""On PostgreSQL the database itself refuses UPDATE and DELETE on the event table, so no code
path (nor a hand-typed SQL statement) can rewrite history. TRUNCATE (test teardown) is unaffected."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION es_event_append_only() RETURNS trigger AS $$
BEGIN
    -- (no percent signs in this SQL: it goes through the driver's placeholder parsing)
    RAISE EXCEPTION USING MESSAGE = 'es_event is append-only: ' || TG_OP || ' is not allowed',
        ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER es_event_no_update_delete BEFORE UPDATE OR DELETE ON es_event
    FOR EACH ROW EXECUTE FUNCTION es_event_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS es_event_no_update_delete ON es_event;
DROP FUNCTION IF EXISTS es_event_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("infrastructure", "0001_event_store")]
    operations = [migrations.RunPython(forwards, backwards)]
