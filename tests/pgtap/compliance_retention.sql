-- run_retention(): periods as data (private.retention_policies), whole
-- expired partitions of analytics_events dropped, exactly the expired rows
-- removed, the audit chain pruned from its start with a checkpoint so
-- verify_audit_chain() keeps passing, and everything logged.
begin;
set search_path = public, extensions;
select plan(42);

create function pg_temp.as_nobody(p_role text) returns text
language sql as $$ select set_config('request.jwt.claims', json_build_object('role', p_role)::text, true) $$;
create function pg_temp.as_user(p_sub text) returns text
language sql as $$ select set_config('request.jwt.claims', json_build_object('sub', p_sub, 'role', 'authenticated')::text, true) $$;
-- p_now of this test: the transaction's now(), so every relative time below is fixed.
create function pg_temp.ago(p_interval interval) returns timestamptz
language sql stable as $$ select ((now() at time zone 'UTC') - p_interval) at time zone 'UTC' $$;
create function pg_temp.month_partition(p_ago interval) returns text
language sql stable as $$ select 'analytics_events_p' || to_char(date_trunc('month', pg_temp.ago(p_ago) at time zone 'UTC'), 'YYYYMM') $$;

-- ---------------------------------------------------------------------------
-- The configuration table
-- ---------------------------------------------------------------------------
select has_table('private', 'retention_policies', 'private.retention_policies exists');
select columns_are('private', 'retention_policies',
  array['id', 'table_name', 'retention_period', 'enabled', 'description', 'created_at', 'updated_at'],
  'retention_policies columns');
select col_is_pk('private', 'retention_policies', 'id', 'retention_policies: PK id');
select col_type_is('private', 'retention_policies', 'retention_period', 'interval', 'periods are intervals');
select col_is_unique('private', 'retention_policies', 'table_name', 'one period per table');
select trigger_is('private', 'retention_policies', 'retention_policies_set_updated_at', 'private', 'set_updated_at',
  'retention_policies updated_at trigger');
select results_eq(
  $$ select c.relrowsecurity, c.relforcerowsecurity from pg_class c where c.oid = 'private.retention_policies'::regclass $$,
  $$ values (true, true) $$, 'RLS enabled and forced on retention_policies');
select table_privs_are('private', 'retention_policies', 'service_role', '{}'::text[], 'retention_policies: owner only (service)');
select table_privs_are('private', 'retention_policies', 'authenticated', '{}'::text[], 'retention_policies: owner only (authenticated)');
select is_empty(
  $$ select a.attname from pg_attribute a
      where a.attrelid = 'private.retention_policies'::regclass and a.attnum > 0 and not a.attisdropped
        and col_description(a.attrelid, a.attnum) is null
     union all select 'table' where obj_description('private.retention_policies'::regclass, 'pg_class') is null $$,
  'retention_policies and its columns are documented');
select results_eq(
  $$ select table_name::text, retention_period, enabled from private.retention_policies order by table_name $$,
  $$ values ('analytics_events', interval '13 months', true), ('analytics_page_views', interval '13 months', true),
            ('analytics_sessions', interval '13 months', true), ('analytics_user_engagement', interval '13 months', true),
            ('ingestion_logs', interval '90 days', true), ('privacy_audit_logs', interval '6 years', true) $$,
  'default periods: analytics 13 months, ingestion logs 90 days, audit logs 6 years');
select throws_ok(
  $$ insert into private.retention_policies (table_name, retention_period, description) values ('fec_filings', '1 year', 'x') $$,
  '23514', null, 'only tables run_retention knows how to prune can be configured');
select throws_ok(
  $$ update private.retention_policies set retention_period = interval '1 hour' where table_name = 'ingestion_logs' $$,
  '23514', null, 'a period shorter than a day is refused');

select pg_temp.as_user('a3000000-0000-4000-8000-000000000001');
set local role authenticated;
select throws_ok($$ select * from run_retention() $$, '42501', null, 'users cannot run retention');
reset role;
select pg_temp.as_nobody('anon');
set local role anon;
select throws_ok($$ select * from run_retention() $$, '42501', null, 'anon cannot run retention');
reset role;
select set_config('request.jwt.claims', '', true);

-- ---------------------------------------------------------------------------
-- A history spanning the retention periods
-- ---------------------------------------------------------------------------
-- Audit rows first (the chain only moves forward in time): two older than
-- 6 years, one younger.
insert into privacy_audit_logs (id, actor_role, event_type, event_category, occurred_at)
values ('a4000000-0000-4000-8000-000000000001', 'postgres', 'legacy_import', 'data_access', pg_temp.ago('7 years 2 days')),
       ('a4000000-0000-4000-8000-000000000002', 'postgres', 'legacy_import', 'data_access', pg_temp.ago('7 years 1 day')),
       ('a4000000-0000-4000-8000-000000000003', 'postgres', 'legacy_import', 'data_access', pg_temp.ago('5 years'));

insert into auth.users (id, email) values ('a3000000-0000-4000-8000-000000000001', 'alice@example.test');

-- Monthly partitions 15 and 14 months back lie entirely before the 13-month
-- cutoff; the one 13 months back holds it. Made (if missing) with the
-- analytics area's own partition function.
create temporary table made_partitions as
  select * from private.ensure_analytics_events_partitions(
    (pg_temp.ago('15 months') at time zone 'UTC')::date, (pg_temp.ago('13 months') at time zone 'UTC')::date);
select ok(
  to_regclass('public.' || pg_temp.month_partition('15 months')) is not null
  and to_regclass('public.' || pg_temp.month_partition('14 months')) is not null
  and to_regclass('public.' || pg_temp.month_partition('13 months')) is not null,
  'monthly partitions 15, 14 and 13 months back exist for the test');
-- Expected drops, derived from the partition names (the function reads the bounds).
create temporary table expected_drops as
  select c.relname::text as relname
    from pg_inherits i join pg_class c on c.oid = i.inhrelid
   where i.inhparent = 'public.analytics_events'::regclass
     and c.relname ~ '^analytics_events_p[0-9]{6}$'
     and ((to_date(substr(c.relname, 19), 'YYYYMM') + interval '1 month')::timestamp at time zone 'UTC')
         <= pg_temp.ago('13 months');

insert into analytics_sessions (session_id, user_id, started_at) values
  ('sess-a', 'a3000000-0000-4000-8000-000000000001', pg_temp.ago('31 months')),  -- expired, all children expired
  ('sess-b', 'a3000000-0000-4000-8000-000000000001', pg_temp.ago('14 months')),  -- expired, but one event is kept
  ('sess-c', 'a3000000-0000-4000-8000-000000000001', pg_temp.ago('1 day')),      -- recent
  ('sess-d', null, pg_temp.ago('20 months'));                                    -- expired, no children
insert into analytics_events (id, user_id, session_id, event_type, occurred_at) values
  ('a5000000-0000-4000-8000-000000000001', 'a3000000-0000-4000-8000-000000000001', 'sess-a', 'old_click', pg_temp.ago('15 months')),
  ('a5000000-0000-4000-8000-000000000002', 'a3000000-0000-4000-8000-000000000001', 'sess-a', 'old_click', pg_temp.ago('14 months')),
  ('a5000000-0000-4000-8000-000000000003', 'a3000000-0000-4000-8000-000000000001', 'sess-a', 'old_click', pg_temp.ago('13 months 1 day')),
  ('a5000000-0000-4000-8000-000000000004', 'a3000000-0000-4000-8000-000000000001', 'sess-b', 'kept_click', pg_temp.ago('12 months 28 days')),
  ('a5000000-0000-4000-8000-000000000005', 'a3000000-0000-4000-8000-000000000001', 'sess-c', 'new_click', pg_temp.ago('1 hour')),
  ('a5000000-0000-4000-8000-000000000006', 'a3000000-0000-4000-8000-000000000001', 'sess-a', 'ancient_click', pg_temp.ago('30 months')),
  -- sess-b outlives this event's partition: its counter must drop with it
  ('a5000000-0000-4000-8000-000000000007', 'a3000000-0000-4000-8000-000000000001', 'sess-b', 'old_click', pg_temp.ago('14 months'));
insert into analytics_page_views (id, user_id, session_id, page_url, page_path, viewed_at) values
  ('a6000000-0000-4000-8000-000000000001', 'a3000000-0000-4000-8000-000000000001', 'sess-a', 'https://x.example/old', '/old', pg_temp.ago('20 months')),
  ('a6000000-0000-4000-8000-000000000002', 'a3000000-0000-4000-8000-000000000001', 'sess-c', 'https://x.example/new', '/new', pg_temp.ago('2 hours'));
insert into analytics_user_engagement (user_id, engagement_date, engagement_score) values
  ('a3000000-0000-4000-8000-000000000001', (pg_temp.ago('14 months') at time zone 'UTC')::date, 12),
  ('a3000000-0000-4000-8000-000000000001', (now() at time zone 'UTC')::date, 50);
insert into ingestion_logs (id, source, stream, ingestion_type, status, started_at, finished_at) values
  ('a7000000-0000-4000-8000-000000000001', 'openfec', 'filings', 'incremental', 'succeeded', pg_temp.ago('100 days'), pg_temp.ago('100 days')),
  ('a7000000-0000-4000-8000-000000000002', 'openfec', 'committees', 'full', 'running', pg_temp.ago('100 days'), null),
  ('a7000000-0000-4000-8000-000000000003', 'openfec', 'filings', 'incremental', 'succeeded', pg_temp.ago('10 days'), pg_temp.ago('10 days'));
insert into ingestion_cursors (source, stream, cursor_type, last_run_id)
values ('openfec', 'filings', 'keyset', 'a7000000-0000-4000-8000-000000000001');

create temporary table partitions_before as
  select pg_temp.month_partition('15 months') as p15, pg_temp.month_partition('14 months') as p14;
create temporary table chain_before as
  select chain_position, row_hash from privacy_audit_logs where id = 'a4000000-0000-4000-8000-000000000002';

-- ---------------------------------------------------------------------------
-- Run it
-- ---------------------------------------------------------------------------
select pg_temp.as_nobody('service_role');
set local role service_role;
create temporary table retention_result as select * from run_retention(now());
reset role;
select results_eq(
  $$ select table_name, rows_removed, partitions_dropped from retention_result $$,
  $$ values ('analytics_events', 5::bigint, (select count(*)::int from expected_drops)), ('analytics_page_views', 1::bigint, 0),
            ('analytics_user_engagement', 1::bigint, 0), ('analytics_sessions', 2::bigint, 0),
            ('ingestion_logs', 1::bigint, 0), ('privacy_audit_logs', 2::bigint, 0) $$,
  'run_retention removes exactly the expired rows and reports them per table');

select results_eq(
  $$ select to_regclass('public.' || p15) is null, to_regclass('public.' || p14) is null,
            (select count(*) from expected_drops where to_regclass('public.' || relname) is not null)
       from partitions_before $$,
  $$ values (true, true, 0::bigint) $$,
  'every wholly expired monthly partition (15 and 14 months back among them) is detached and dropped');
select isnt(to_regclass('public.' || pg_temp.month_partition('13 months')), null,
  'the partition holding the cutoff is kept (only its expired rows go)');
select results_eq(
  $$ select id from analytics_events order by id $$,
  $$ values ('a5000000-0000-4000-8000-000000000004'::uuid), ('a5000000-0000-4000-8000-000000000005'::uuid) $$,
  'events: only those younger than 13 months remain (default partition and boundary month included)');
select results_eq(
  $$ select session_id from analytics_sessions order by session_id $$,
  $$ values ('sess-b'), ('sess-c') $$,
  'sessions: expired ones go, unless one of their events or page views is still kept');
select is_empty(
  $$ select s.session_id from analytics_sessions s
      where s.event_count <> (select count(*) from analytics_events e where e.session_id = s.session_id)
         or s.page_view_count <> (select count(*) from analytics_page_views v where v.session_id = s.session_id) $$,
  'kept sessions count exactly their remaining events and page views (a dropped partition fires no delete trigger)');
select results_eq(
  $$ select id from analytics_page_views $$,
  $$ values ('a6000000-0000-4000-8000-000000000002'::uuid) $$,
  'page views: the expired one is removed');
select results_eq(
  $$ select engagement_date from analytics_user_engagement $$,
  $$ values ((now() at time zone 'UTC')::date) $$,
  'engagement: the expired day is removed');
select results_eq(
  $$ select id from ingestion_logs order by id $$,
  $$ values ('a7000000-0000-4000-8000-000000000002'::uuid), ('a7000000-0000-4000-8000-000000000003'::uuid) $$,
  'ingestion logs: the expired finished run goes; a running run is never removed');
select is(
  (select last_run_id from ingestion_cursors where source = 'openfec' and stream = 'filings'), null::uuid,
  'a cursor pointing at a removed run is released (ON DELETE SET NULL)');

-- The audit chain: pruned from its start, anchored, still verifiable.
select is_empty(
  $$ select 1 from privacy_audit_logs where id in ('a4000000-0000-4000-8000-000000000001', 'a4000000-0000-4000-8000-000000000002') $$,
  'audit rows older than 6 years are removed');
select isnt_empty(
  $$ select 1 from privacy_audit_logs where id = 'a4000000-0000-4000-8000-000000000003' $$,
  'younger audit rows are kept');
select results_eq(
  $$ select c.through_position, c.through_hash, c.rows_removed from private.audit_chain_checkpoints c $$,
  $$ select chain_position, row_hash, 2::bigint from chain_before $$,
  'a checkpoint records the position and hash of the last removed row');
select is(
  (select prev_hash from privacy_audit_logs order by chain_position limit 1),
  (select row_hash from chain_before),
  'the oldest remaining row continues from the checkpoint');
select results_eq(
  $$ select (details ->> 'through_position')::bigint, details ->> 'through_hash', event_category::text
       from privacy_audit_logs where event_type = 'audit_log_pruned' $$,
  $$ select chain_position, encode(row_hash, 'hex'), 'data_retention' from chain_before $$,
  'the pruning is itself logged in the chain (and vouches for the checkpoint)');
select results_eq(
  $$ select e ->> 'table_name', (e ->> 'rows_removed')::int
       from privacy_audit_logs l, jsonb_array_elements(l.details -> 'results') e
      where l.event_type = 'retention_run' order by 1 $$,
  $$ values ('analytics_events', 5), ('analytics_page_views', 1), ('analytics_sessions', 2),
            ('analytics_user_engagement', 1), ('ingestion_logs', 1), ('privacy_audit_logs', 2) $$,
  'the run is logged with what it removed per table');
select is_empty($$ select * from verify_audit_chain() $$, 'verify_audit_chain() passes after pruning');

-- A second run finds nothing more; the chain still verifies.
select pg_temp.as_nobody('service_role');
set local role service_role;
select is(
  (select sum(rows_removed) + sum(partitions_dropped) from run_retention(now()))::int, 0,
  'a second run removes nothing');
reset role;
select is_empty($$ select * from verify_audit_chain() $$, 'the chain verifies after the second run');

-- ---------------------------------------------------------------------------
-- Configurable without code: change a period, disable a table
-- ---------------------------------------------------------------------------
update private.retention_policies set retention_period = interval '5 days' where table_name = 'ingestion_logs';
update private.retention_policies set enabled = false where table_name = 'analytics_events';
select results_eq(
  $$ select details ->> 'table_name', details ->> 'old_retention_period', details ->> 'new_retention_period', event_category::text
       from privacy_audit_logs where event_type = 'retention_policy_changed' order by chain_position $$,
  $$ values ('ingestion_logs', '90 days', '5 days', 'policy_change'),
            ('analytics_events', '1 year 1 mon', '1 year 1 mon', 'policy_change') $$,
  'changes of the retention configuration are audited');
select pg_temp.as_nobody('service_role');
set local role service_role;
select results_eq(
  $$ select table_name, rows_removed from run_retention(now()) where table_name in ('ingestion_logs', 'analytics_events') $$,
  $$ values ('ingestion_logs', 1::bigint) $$,
  'a shorter period applies at the next run; a disabled table is skipped');
reset role;
select results_eq(
  $$ select id from ingestion_logs $$,
  $$ values ('a7000000-0000-4000-8000-000000000002'::uuid) $$,
  'the 10-day-old run went under the 5-day period');

-- ---------------------------------------------------------------------------
-- Only run_retention removes audit rows, and the chain notices any other way
-- ---------------------------------------------------------------------------
select throws_ok(
  $$ delete from privacy_audit_logs where id = 'a4000000-0000-4000-8000-000000000003' $$,
  'PV003', null, 'the owner cannot delete an audit row outside run_retention');
select throws_ok($$ delete from private.audit_chain_checkpoints $$, 'PV003', null, 'checkpoints cannot be deleted');
select throws_ok($$ update private.audit_chain_checkpoints set through_position = 1 $$, 'PV003', null, 'checkpoints cannot be changed');
alter table privacy_audit_logs disable trigger privacy_audit_logs_block_update;
delete from privacy_audit_logs where id = 'a4000000-0000-4000-8000-000000000003';
alter table privacy_audit_logs enable trigger privacy_audit_logs_block_update;
select is(
  (select chain_position || ': ' || reason from verify_audit_chain()),
  '4: first row is at position 4, expected 3: rows are missing at the start of the chain',
  'a row removed behind run_retention''s back is found (it does not continue from the checkpoint)');

select * from finish();
rollback;
