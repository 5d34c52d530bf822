"""The event table stays append-only, with one sanctioned exception: sealing personal data that
older code wrote in plaintext (contexts/customers/legacy.py). A transaction that sets
`pos.reseal_personal_data` may UPDATE an event's `data` and `schema_version` and nothing else;
DELETE is still refused, and so is any UPDATE outside such a transaction."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION es_event_append_only() RETURNS trigger AS $$
BEGIN
    -- (no percent signs in this SQL: it goes through the driver's placeholder parsing)
    IF TG_OP = 'UPDATE' AND current_setting('pos.reseal_personal_data', true) = 'on'
       AND NEW.position = OLD.position AND NEW.event_id = OLD.event_id AND NEW.context = OLD.context
       AND NEW.stream_type = OLD.stream_type AND NEW.stream_id = OLD.stream_id AND NEW.version = OLD.version
       AND NEW.event_type = OLD.event_type AND NEW.metadata = OLD.metadata AND NEW.recorded_at = OLD.recorded_at
       AND NEW.schema_version > OLD.schema_version THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING MESSAGE = 'es_event is append-only: ' || TG_OP || ' is not allowed',
        ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""
# Back to migration 0002's function: no exception at all.
RESTORE = """
CREATE OR REPLACE FUNCTION es_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'es_event is append-only: ' || TG_OP || ' is not allowed',
        ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(RESTORE)


class Migration(migrations.Migration):
    dependencies = [("infrastructure", "0008_projection_rebuild")]
    operations = [migrations.RunPython(forwards, backwards)]
