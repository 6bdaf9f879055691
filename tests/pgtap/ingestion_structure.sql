-- ingestion_structure.sql: types, tables, keys, indexes, triggers, RLS,
-- policies, grants and the cursor function's attributes
-- (sql/00005-ingestion.sql, policies/ingestion.sql).
begin;
set search_path = public, extensions;
select plan(123);

select has_enum('public', e, 'enum ' || e || ' exists')
  from unnest(array['ingestion_type', 'ingestion_status', 'ingestion_cursor_type']) e;
select enum_has_labels('public', 'ingestion_type', array['full', 'incremental', 'backfill', 'replay'], 'ingestion_type labels');
select enum_has_labels('public', 'ingestion_status', array['running', 'succeeded', 'partial', 'failed', 'cancelled'], 'ingestion_status labels');
select enum_has_labels('public', 'ingestion_cursor_type', array['page', 'offset', 'keyset', 'timestamp', 'token', 'sequence'], 'ingestion_cursor_type labels');

select has_table('public', t, 'table ' || t || ' exists') from unnest(array['ingestion_logs', 'ingestion_cursors']) t;
select columns_are('public', 'ingestion_logs', array[
  'id', 'source', 'stream', 'ingestion_type', 'status', 'started_at', 'finished_at', 'duration_ms',
  'records_processed', 'records_inserted', 'records_updated', 'records_skipped', 'records_failed',
  'error_message', 'error_details', 'idempotency_key', 'cursor_before', 'cursor_after', 'created_at', 'updated_at'
]::name[], 'ingestion_logs columns');
select columns_are('public', 'ingestion_cursors', array[
  'id', 'source', 'stream', 'cursor_type', 'cursor_value', 'cursor_metadata', 'version', 'last_run_id',
  'last_success_at', 'created_at', 'updated_at'
]::name[], 'ingestion_cursors columns');

select col_type_is('public', 'ingestion_logs', c, t, 'ingestion_logs.' || c || ' is ' || t)
  from (values
    ('id', 'uuid'), ('source', 'text'), ('stream', 'text'), ('ingestion_type', 'ingestion_type'),
    ('status', 'ingestion_status'), ('started_at', 'timestamp with time zone'), ('finished_at', 'timestamp with time zone'),
    ('duration_ms', 'bigint'), ('records_processed', 'bigint'), ('records_inserted', 'bigint'), ('records_updated', 'bigint'),
    ('records_skipped', 'bigint'), ('records_failed', 'bigint'), ('error_message', 'text'), ('error_details', 'jsonb'),
    ('idempotency_key', 'text'), ('cursor_before', 'text'), ('cursor_after', 'text'),
    ('created_at', 'timestamp with time zone'), ('updated_at', 'timestamp with time zone')
  ) v(c, t);
select col_type_is('public', 'ingestion_cursors', c, t, 'ingestion_cursors.' || c || ' is ' || t)
  from (values
    ('id', 'uuid'), ('source', 'text'), ('stream', 'text'), ('cursor_type', 'ingestion_cursor_type'),
    ('cursor_value', 'text'), ('cursor_metadata', 'jsonb'), ('version', 'bigint'), ('last_run_id', 'uuid'),
    ('last_success_at', 'timestamp with time zone'), ('created_at', 'timestamp with time zone'),
    ('updated_at', 'timestamp with time zone')
  ) v(c, t);
select col_not_null('public', t, c, t || '.' || c || ' is not null')
  from (values
    ('ingestion_logs', 'source'), ('ingestion_logs', 'stream'), ('ingestion_logs', 'ingestion_type'), ('ingestion_logs', 'status'),
    ('ingestion_logs', 'started_at'), ('ingestion_logs', 'records_processed'), ('ingestion_logs', 'records_failed'),
    ('ingestion_cursors', 'source'), ('ingestion_cursors', 'stream'), ('ingestion_cursors', 'cursor_type'),
    ('ingestion_cursors', 'cursor_metadata'), ('ingestion_cursors', 'version')
  ) v(t, c);
select col_default_is('public', 'ingestion_logs', 'id', 'private.uuid_v7()', 'log ids are UUID v7 (append-heavy)');
select col_default_is('public', 'ingestion_cursors', 'id', 'gen_random_uuid()', 'cursor ids are random UUIDs');
select col_default_is('public', 'ingestion_logs', 'status', 'running'::ingestion_status, 'a run starts as running');
select col_default_is('public', 'ingestion_cursors', 'version', 0::bigint, 'a cursor starts at version 0');
select col_default_is('public', t, c, 'now()', t || '.' || c || ' defaults to now()')
  from unnest(array['ingestion_logs', 'ingestion_cursors']) t, unnest(array['created_at', 'updated_at']) c;
select is((select attgenerated::text from pg_attribute where attrelid = 'public.ingestion_logs'::regclass and attname = 'duration_ms'),
  's', 'duration_ms is a stored generated column');

select has_pk('public', t, t || ' has a primary key') from unnest(array['ingestion_logs', 'ingestion_cursors']) t;
select col_is_pk('public', t, array['id']::name[], t || ' pk is id') from unnest(array['ingestion_logs', 'ingestion_cursors']) t;
select col_is_unique('public', 'ingestion_logs', array['idempotency_key']::name[], 'idempotency_key is unique');
select col_is_unique('public', 'ingestion_cursors', array['source', 'stream']::name[], 'one cursor per (source, stream)');
select fk_ok('public', 'ingestion_cursors', array['last_run_id']::name[], 'public', 'ingestion_logs', array['id']::name[], 'last_run_id references ingestion_logs');
select is((select confdeltype::text from pg_constraint where conname = 'ingestion_cursors_last_run_id_fkey'), 'n',
  'an expired log sets last_run_id to null');

select has_index('public', t, i, cols::name[], t || ' has index ' || i)
  from (values
    ('ingestion_logs', 'ingestion_logs_idempotency_key_key', array['idempotency_key']),
    ('ingestion_logs', 'ingestion_logs_source_stream_running_idx', array['source', 'stream']),
    ('ingestion_logs', 'ingestion_logs_source_stream_started_at_idx', array['source', 'stream', 'started_at']),
    ('ingestion_logs', 'ingestion_logs_started_at_idx', array['started_at', 'status']),
    ('ingestion_cursors', 'ingestion_cursors_source_stream_key', array['source', 'stream']),
    ('ingestion_cursors', 'ingestion_cursors_last_run_id_idx', array['last_run_id'])
  ) v(t, i, cols);
select index_is_unique('public', 'ingestion_logs', 'ingestion_logs_source_stream_running_idx', 'the running-run index is unique');
select is(
  (select pg_get_expr(indpred, indrelid) from pg_index where indexrelid = 'public.ingestion_logs_source_stream_running_idx'::regclass),
  '(status = ''running''::ingestion_status)', 'the running-run index is partial on status = running');
select is(
  (select coalesce(array_agg(c.conname::text order by c.conname::text), '{}') from pg_constraint c
    where c.contype = 'f' and c.conrelid in ('public.ingestion_logs'::regclass, 'public.ingestion_cursors'::regclass)
      and not exists (select 1 from pg_index x where x.indrelid = c.conrelid
                         and (x.indkey::int2[])[0:cardinality(c.conkey) - 1] = c.conkey)),
  '{}'::text[], 'every ingestion foreign key has an index led by its columns');

select col_has_check('public', t, c::name[], t || '.' || array_to_string(c, ', ') || ' has a CHECK')
  from (values
    ('ingestion_logs', array['source']), ('ingestion_logs', array['stream']), ('ingestion_logs', array['finished_at', 'started_at']),
    ('ingestion_logs', array['status', 'finished_at']), ('ingestion_logs', array['records_processed']),
    ('ingestion_logs', array['records_inserted']), ('ingestion_logs', array['records_updated']),
    ('ingestion_logs', array['records_skipped']), ('ingestion_logs', array['records_failed']),
    ('ingestion_logs', array['error_details']), ('ingestion_logs', array['idempotency_key']),
    ('ingestion_cursors', array['cursor_metadata']), ('ingestion_cursors', array['version']),
    ('ingestion_cursors', array['cursor_value'])
  ) v(t, c);
select is(
  (select coalesce(array_agg(a.attrelid::regclass::text || '.' || a.attname order by a.attrelid::regclass::text || '.' || a.attname), '{}')
     from pg_attribute a
    where a.attrelid in ('public.ingestion_logs'::regclass, 'public.ingestion_cursors'::regclass)
      and a.atttypid = 'text'::regtype and a.attnum > 0 and not a.attisdropped
      and not exists (select 1 from pg_constraint k where k.conrelid = a.attrelid and k.contype = 'c' and a.attnum = any (k.conkey))),
  '{}'::text[], 'every ingestion text column has a CHECK');

select has_trigger('public', t, t || '_set_updated_at', t || ' has its updated_at trigger') from unnest(array['ingestion_logs', 'ingestion_cursors']) t;
select trigger_is('public', t, t || '_set_updated_at', 'private', 'set_updated_at', t || '_set_updated_at runs private.set_updated_at()')
  from unnest(array['ingestion_logs', 'ingestion_cursors']) t;

select ok((select relrowsecurity and relforcerowsecurity from pg_class where oid = ('public.' || t)::regclass), t || ': RLS enabled and forced')
  from unnest(array['ingestion_logs', 'ingestion_cursors']) t;
select policies_are('public', t, array[t || '_select_admin', t || '_insert_admin', t || '_update_admin', t || '_delete_admin']::name[], t || ' policies')
  from unnest(array['ingestion_logs', 'ingestion_cursors']) t;
select is(
  (select count(*)::integer from pg_policies
    where tablename in ('ingestion_logs', 'ingestion_cursors')
      and (roles <> '{authenticated}'::name[] or coalesce(qual, with_check) <> '( SELECT private.is_admin() AS is_admin)'
           or (cmd = 'UPDATE' and with_check is distinct from qual))),
  0, 'every ingestion policy is for authenticated and requires (select private.is_admin())');
select table_privs_are('public', t, 'anon', '{}'::text[], 'anon: no privileges on ' || t) from unnest(array['ingestion_logs', 'ingestion_cursors']) t;
select table_privs_are('public', t, 'authenticated', array['SELECT', 'INSERT', 'UPDATE', 'DELETE'], 'authenticated: ' || t || ' S, I, U, D (admins only, by policy)')
  from unnest(array['ingestion_logs', 'ingestion_cursors']) t;
select table_privs_are('public', t, 'service_role', array['SELECT', 'INSERT', 'UPDATE', 'DELETE'], 'service_role: ' || t || ' S, I, U, D')
  from unnest(array['ingestion_logs', 'ingestion_cursors']) t;
select table_privs_are('public', t, 'public', '{}'::text[], 'PUBLIC: no privileges on ' || t) from unnest(array['ingestion_logs', 'ingestion_cursors']) t;

select has_function('public', 'advance_ingestion_cursor', array['text', 'text', 'bigint', 'text', 'jsonb', 'uuid'], 'advance_ingestion_cursor exists');
select isnt_definer('public', 'advance_ingestion_cursor', array['text', 'text', 'bigint', 'text', 'jsonb', 'uuid'],
  'advance_ingestion_cursor is SECURITY INVOKER (RLS applies)');
select ok((select 'search_path=""' = any (proconfig) from pg_proc where oid = 'public.advance_ingestion_cursor(text, text, bigint, text, jsonb, uuid)'::regprocedure),
  'advance_ingestion_cursor pins an empty search_path');
select function_privs_are('public', 'advance_ingestion_cursor', array['text', 'text', 'bigint', 'text', 'jsonb', 'uuid'], r, privs,
  'advance_ingestion_cursor EXECUTE for ' || r)
  from (values ('anon', '{}'::text[]), ('authenticated', array['EXECUTE']), ('service_role', array['EXECUTE']), ('public', '{}'::text[])) v(r, privs);

select is(
  (select coalesce(array_agg(c.relname::text || '.' || a.attname order by c.relname::text || '.' || a.attname), '{}')
     from pg_class c join pg_attribute a on a.attrelid = c.oid
    where c.oid in ('public.ingestion_logs'::regclass, 'public.ingestion_cursors'::regclass)
      and a.attnum > 0 and not a.attisdropped and col_description(c.oid, a.attnum) is null),
  '{}'::text[], 'every ingestion column has a comment');
select is(
  (select count(*)::integer from (values ('public.ingestion_logs'::regclass), ('public.ingestion_cursors'::regclass)) v(t)
    where obj_description(t, 'pg_class') is null),
  0, 'both ingestion tables have a comment');
select is(
  (select count(*)::integer from pg_type t where t.typname in ('ingestion_type', 'ingestion_status', 'ingestion_cursor_type')
      and t.typnamespace = 'public'::regnamespace and obj_description(t.oid, 'pg_type') is null),
  0, 'every ingestion enum has a comment');
select isnt(obj_description('public.advance_ingestion_cursor(text, text, bigint, text, jsonb, uuid)'::regprocedure, 'pg_proc'), null,
  'advance_ingestion_cursor has a comment');

-- A violation is caught: anon has no access at all.
set local role anon;
select throws_ok('select count(*) from ingestion_logs', '42501', null, 'anon cannot read ingestion logs');
reset role;

select * from finish();
rollback;
