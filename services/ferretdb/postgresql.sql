-- FerretDB 1.24 on PostgreSQL: indexes its own filter pushdown can use.
--
-- FerretDB pushes a top-level equality down as `_jsonb -> 'field' @> value`, but the index it
-- makes for `createIndexes` is a B-tree on `(_jsonb -> 'field')`, which can serve `=`, `<`, `>`
-- and never `@>`: every pushed-down query is a sequential scan of the collection's table. This
-- gives each such index a GIN twin on the same expression (jsonb_path_ops, which serves `@>`),
-- named after it with `_gin`, now for the indexes that exist and, through an event trigger, for
-- every index FerretDB makes later. Only the index's first key is twinned (the equality key);
-- FerretDB's own metadata tables are left alone.
--
-- Apply it as a superuser (event triggers need one) to the database FerretDB keeps its data in;
-- it is idempotent. scripts/services applies it whenever it starts FerretDB on PostgreSQL;
-- docker-compose runs it from the postgres service's initdb directory. A dropped FerretDB index
-- leaves its twin (drop it by hand); a dropped collection takes both with its table.
-- FerretDB must also plan each query with its values (services/ferretdb/main.go sets
-- plan_cache_mode=force_custom_plan): a generic plan sees `_jsonb -> $1` and matches no index.

CREATE OR REPLACE FUNCTION public.ferretdb_gin_twin(index_oid oid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    idx record;
    field text;
BEGIN
    SELECT n.nspname AS schema_name, t.relname AS table_name, c.relname AS index_name, am.amname AS method,
           pg_get_indexdef(i.indexrelid, 1, false) AS first_key
      INTO idx
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid
      JOIN pg_class t ON t.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
      JOIN pg_am am ON am.oid = c.relam
     WHERE i.indexrelid = index_oid;
    IF NOT FOUND OR idx.method <> 'btree' OR idx.table_name LIKE '\_ferretdb\_%' THEN
        RETURN;
    END IF;
    field := substring(idx.first_key FROM '^\(\(_jsonb -> ''([^'']+)''::text\)\)$');
    IF field IS NULL THEN
        RETURN;
    END IF;
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin ((_jsonb -> %L) jsonb_path_ops)',
                   left(idx.index_name, 59) || '_gin', idx.schema_name, idx.table_name, field);
END
$$;

CREATE OR REPLACE FUNCTION public.ferretdb_gin_twins_of_new_indexes() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    command record;
BEGIN
    FOR command IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'index' LOOP
        PERFORM public.ferretdb_gin_twin(command.objid);
    END LOOP;
END
$$;

DROP EVENT TRIGGER IF EXISTS ferretdb_gin_twins;
CREATE EVENT TRIGGER ferretdb_gin_twins ON ddl_command_end WHEN TAG IN ('CREATE INDEX')
    EXECUTE FUNCTION public.ferretdb_gin_twins_of_new_indexes();

-- The indexes FerretDB made before this was applied.
SELECT public.ferretdb_gin_twin(i.indexrelid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
 WHERE am.amname = 'btree' AND pg_get_indexdef(i.indexrelid, 1, false) LIKE '((_jsonb -> %';
