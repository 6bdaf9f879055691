-- ingestion_behaviour.sql: run-log constraints, one running run per stream,
-- idempotency keys, the cursor compare-and-set, and admin-only access.
begin;
set search_path = public, extensions;
select plan(44);

-- ---------------------------------------------------------------------------
-- ingestion_logs
-- ---------------------------------------------------------------------------
insert into ingestion_logs (id, source, stream, ingestion_type, status, started_at, finished_at, records_processed, idempotency_key)
  values ('0190c5a6-0000-7000-8000-00000000000a', 'fec_bulk', 'cn', 'full', 'succeeded',
          '2026-01-01 00:00:00+00', '2026-01-01 00:00:01.5+00', 3937, 'fec_bulk:cn:2020:1');
select is((select duration_ms from ingestion_logs where idempotency_key = 'fec_bulk:cn:2020:1'), 1500::bigint,
  'duration_ms = finished_at - started_at in milliseconds');
select is((select substr(id::text, 15, 1) from ingestion_logs where idempotency_key = 'fec_bulk:cn:2020:1'), '7', 'the log id is a UUID v7');

insert into ingestion_logs (source, stream, ingestion_type) values ('fec_bulk', 'cm', 'full');
select is((select (status, finished_at, duration_ms)::text from ingestion_logs where stream = 'cm'), '(running,,)',
  'a new run is running, unfinished, without duration');
select throws_ok($$insert into ingestion_logs (source, stream, ingestion_type) values ('fec_bulk', 'cm', 'incremental')$$,
  '23505', null, 'a second running run of the same (source, stream) is refused');
select lives_ok($$insert into ingestion_logs (source, stream, ingestion_type) values ('fec_bulk', 'ccl', 'full')$$,
  'a running run of another stream is allowed');
update ingestion_logs set status = 'failed', finished_at = now(), error_message = 'disk full', error_details = '{"line": 7}'
 where stream = 'cm' and status = 'running';
select lives_ok($$insert into ingestion_logs (source, stream, ingestion_type) values ('fec_bulk', 'cm', 'replay')$$,
  'once the run has finished, a new run of the stream may start');
select throws_ok($$insert into ingestion_logs (source, stream, ingestion_type, status, finished_at, idempotency_key) values ('fec_bulk', 'cn', 'replay', 'succeeded', now(), 'fec_bulk:cn:2020:1')$$,
  '23505', null, 'a replayed run with the same idempotency key is recognised (refused)');

select throws_ok($$insert into ingestion_logs (source, stream, ingestion_type, status, started_at, finished_at) values ('s', 'x', 'full', 'succeeded', '2026-01-02+00', '2026-01-01+00')$$,
  '23514', 'new row for relation "ingestion_logs" violates check constraint "ingestion_logs_finished_at_check"', 'a run cannot finish before it starts');
select throws_ok($$insert into ingestion_logs (source, stream, ingestion_type, status, finished_at) values ('s', 'x', 'full', 'running', now())$$,
  '23514', 'new row for relation "ingestion_logs" violates check constraint "ingestion_logs_status_finished_at_check"', 'a running run has no finished_at');
select throws_ok($$insert into ingestion_logs (source, stream, ingestion_type, status) values ('s', 'x', 'full', 'succeeded')$$,
  '23514', 'new row for relation "ingestion_logs" violates check constraint "ingestion_logs_status_finished_at_check"', 'a finished run needs finished_at');
select throws_ok($$insert into ingestion_logs (source, stream, ingestion_type, records_failed) values ('s', 'x', 'full', -1)$$,
  '23514', 'new row for relation "ingestion_logs" violates check constraint "ingestion_logs_records_failed_check"', 'a negative record count is refused');
select throws_ok($$insert into ingestion_logs (source, stream, ingestion_type) values ('FEC Bulk', 'x', 'full')$$,
  '23514', 'new row for relation "ingestion_logs" violates check constraint "ingestion_logs_source_check"', 'a source is a lowercase slug');
select throws_ok($$insert into ingestion_logs (source, stream, ingestion_type) values ('s' || repeat('x', 64), 'x', 'full')$$,
  '23514', 'new row for relation "ingestion_logs" violates check constraint "ingestion_logs_source_check"', 'a source longer than 64 chars is refused');
select throws_ok($$insert into ingestion_logs (source, stream, ingestion_type, error_details) values ('s', 'x', 'full', '"oops"')$$,
  '23514', 'new row for relation "ingestion_logs" violates check constraint "ingestion_logs_error_details_check"', 'error_details must be a JSON object');
select throws_ok($$insert into ingestion_logs (source, stream, ingestion_type, idempotency_key) values ('s', 'x', 'full', '')$$,
  '23514', 'new row for relation "ingestion_logs" violates check constraint "ingestion_logs_idempotency_key_check"', 'an empty idempotency key is refused');
select throws_ok($$insert into ingestion_logs (source, stream, ingestion_type) values ('s', 'x', 'delta')$$,
  '22P02', null, 'an unknown ingestion type is refused');

update ingestion_logs set updated_at = '2000-01-01+00', records_processed = 1 where stream = 'ccl';
select is((select updated_at from ingestion_logs where stream = 'ccl'), now(), 'logs: UPDATE refreshes updated_at');

-- ---------------------------------------------------------------------------
-- ingestion_cursors and the compare-and-set
-- ---------------------------------------------------------------------------
insert into ingestion_cursors (source, stream, cursor_type, cursor_metadata)
  values ('openfec', 'schedule_a', 'keyset', '{"last_indexes": null}');
select is((select version from ingestion_cursors where stream = 'schedule_a'), 0::bigint, 'a new cursor is at version 0');
select throws_ok($$insert into ingestion_cursors (source, stream, cursor_type) values ('openfec', 'schedule_a', 'page')$$,
  '23505', null, 'one cursor per (source, stream)');
select throws_ok($$insert into ingestion_cursors (source, stream, cursor_type, cursor_metadata) values ('openfec', 'x', 'page', '[1]')$$,
  '23514', 'new row for relation "ingestion_cursors" violates check constraint "ingestion_cursors_cursor_metadata_check"', 'cursor_metadata must be a JSON object');
select throws_ok($$insert into ingestion_cursors (source, stream, cursor_type, version) values ('openfec', 'x', 'page', -1)$$,
  '23514', 'new row for relation "ingestion_cursors" violates check constraint "ingestion_cursors_version_check"', 'a negative version is refused');

select is(
  advance_ingestion_cursor('openfec', 'schedule_a', 0, 'idx-100', '{"last_indexes": {"sub_id": 100}}', '0190c5a6-0000-7000-8000-00000000000a'),
  1::bigint, 'advancing from the expected version 0 returns version 1');
select results_eq(
  $$select cursor_value, cursor_metadata, version, last_run_id, last_success_at from ingestion_cursors where stream = 'schedule_a'$$,
  $$values ('idx-100'::text, '{"last_indexes": {"sub_id": 100}}'::jsonb, 1::bigint, '0190c5a6-0000-7000-8000-00000000000a'::uuid, now())$$,
  'the advance stored value, metadata, run and time');
select is(advance_ingestion_cursor('openfec', 'schedule_a', 0, 'idx-999', '{}', null), null::bigint,
  'a second worker still holding version 0 is refused (NULL): it cannot advance too');
select is((select (cursor_value, version)::text from ingestion_cursors where stream = 'schedule_a'), '(idx-100,1)',
  'the refused advance changed nothing');
select is(advance_ingestion_cursor('openfec', 'schedule_a', 1, 'idx-200', null, null), 2::bigint,
  'advancing from the current version works again');
select results_eq(
  $$select cursor_value, cursor_metadata, last_run_id from ingestion_cursors where stream = 'schedule_a'$$,
  $$values ('idx-200'::text, '{"last_indexes": {"sub_id": 100}}'::jsonb, '0190c5a6-0000-7000-8000-00000000000a'::uuid)$$,
  'null metadata and run id leave those columns unchanged');
select is(advance_ingestion_cursor('openfec', 'no_such_stream', 0, 'x', null, null), null::bigint, 'an unknown cursor returns NULL');
select throws_ok($$select advance_ingestion_cursor('openfec', 'schedule_a', null, 'x', null, null)$$,
  '22004', null, 'the expected version is required');
select throws_ok($$select advance_ingestion_cursor('openfec', 'schedule_a', 2, 'x', null, '0190c5a6-0000-7000-8000-0000000000ff')$$,
  '23503', null, 'an unknown run id is refused');

delete from ingestion_logs where id = '0190c5a6-0000-7000-8000-00000000000a';
select is((select last_run_id from ingestion_cursors where stream = 'schedule_a'), null::uuid, 'deleting the run (retention) clears last_run_id');

-- ---------------------------------------------------------------------------
-- Access: admin and service only
-- ---------------------------------------------------------------------------
set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"aaaaaaaa-0000-4000-8000-000000000001","role":"authenticated","user_metadata":{"role":"admin"}}', true);
select results_eq('select count(*)::integer from ingestion_logs', array[0], 'a user sees no runs');
select results_eq('select count(*)::integer from ingestion_cursors', array[0], 'a user sees no cursors');
select throws_ok($$insert into ingestion_logs (source, stream, ingestion_type) values ('evil', 'x', 'full')$$, '42501', null, 'a user cannot log a run');
select is(advance_ingestion_cursor('openfec', 'schedule_a', 2, 'hijack', null, null), null::bigint, 'a user cannot advance a cursor (NULL, nothing visible)');
reset role;
select is((select cursor_value from ingestion_cursors where stream = 'schedule_a'), 'idx-200', 'the user''s attempt changed nothing');

set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"cccccccc-0000-4000-8000-000000000003","role":"authenticated","app_metadata":{"role":"admin"}}', true);
select results_eq('select count(*)::integer from ingestion_logs', array[3], 'an admin sees every run');
select lives_ok($$insert into ingestion_logs (source, stream, ingestion_type) values ('openfec', 'filings', 'incremental')$$, 'an admin logs a run');
select is(advance_ingestion_cursor('openfec', 'schedule_a', 2, 'idx-300', null, null), 3::bigint, 'an admin advances a cursor');
select results_eq($$with d as (delete from ingestion_logs where stream = 'ccl' returning 1) select count(*)::integer from d$$,
  array[1], 'an admin deletes a run');
reset role;

set local role service_role;
select is(advance_ingestion_cursor('openfec', 'schedule_a', 3, 'idx-400', null, null), 4::bigint, 'service_role advances a cursor');
reset role;

set local role anon;
select throws_ok($$select advance_ingestion_cursor('openfec', 'schedule_a', 4, 'x', null, null)$$, '42501', null, 'anon cannot call the cursor function');
select throws_ok('select count(*) from ingestion_cursors', '42501', null, 'anon cannot read cursors');
reset role;

-- Last, so the row it adds changes no count above.
select lives_ok($$insert into ingestion_logs (source, stream, ingestion_type) values ('s' || repeat('x', 63), 'x.y-z_1', 'full')$$,
  'a source of exactly 64 chars and a stream with . - _ are accepted');

select * from finish();
rollback;
