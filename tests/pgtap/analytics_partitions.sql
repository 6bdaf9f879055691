-- analytics_partitions.sql: monthly partitioning of analytics_events, the
-- partition-creating function and the hardening of every partition.
begin;
set search_path = public, extensions;
select plan(34);

create function pg_temp.plan_of(query text) returns setof text language plpgsql as $$
begin
  return query execute 'explain (costs off) ' || query;
end;
$$;

-- ---------------------------------------------------------------------------
-- Creating future partitions (as service_role, the only role allowed)
-- ---------------------------------------------------------------------------
set local role service_role;
select results_eq(
  $$select * from private.ensure_analytics_events_partitions('2031-01-20', '2031-03-01')$$,
  array['analytics_events_p203101', 'analytics_events_p203102', 'analytics_events_p203103'],
  'service_role creates one partition per month from from_month to to_month inclusive');
select is_empty(
  $$select * from private.ensure_analytics_events_partitions('2031-01-01', '2031-03-31')$$,
  'a second call creates nothing (idempotent)');
select throws_ok($$select private.ensure_analytics_events_partitions('2031-05-01', '2031-04-01')$$,
  '22023', null, 'a reversed range is refused');
select throws_ok($$select private.ensure_analytics_events_partitions(null, '2031-04-01')$$,
  '22023', null, 'a null bound is refused');
select throws_ok($$select private.ensure_analytics_events_partitions('2031-01-01', '2045-01-01')$$,
  '22023', null, 'a range of more than 10 years is refused');
select throws_ok($$insert into public.analytics_events_p203102 (event_type, occurred_at, created_at) values ('x', '2031-02-01+00', '2031-02-01+00')$$,
  '42501', null, 'service_role cannot write to a partition directly');
reset role;

select is(
  (select pg_get_expr(c.relpartbound, c.oid) from pg_class c where c.oid = 'public.analytics_events_p203102'::regclass),
  $$FOR VALUES FROM ('2031-02-01 00:00:00+00') TO ('2031-03-01 00:00:00+00')$$,
  'partition bounds are UTC calendar months');
select ok(
  (select relrowsecurity and relforcerowsecurity from pg_class where oid = 'public.analytics_events_p203102'::regclass),
  'a new partition has RLS enabled and forced');
select table_privs_are('public', 'analytics_events_p203102', r, '{}'::text[], 'a new partition grants nothing to ' || r)
  from unnest(array['anon', 'authenticated', 'service_role', 'public']) r;
select is(
  (select count(*)::integer from pg_index where indrelid = 'public.analytics_events_p203102'::regclass),
  6, 'a new partition carries the primary key and the five partitioned indexes');
select has_trigger('public', 'analytics_events_p203102', 'analytics_events_set_updated_at', 'a new partition carries the updated_at trigger');
select isnt(obj_description('public.analytics_events_p203102'::regclass, 'pg_class'), null, 'a new partition is commented');
select is(
  col_description('public.analytics_events_p203102'::regclass,
                  (select attnum from pg_attribute where attrelid = 'public.analytics_events_p203102'::regclass and attname = 'event_type')),
  col_description('public.analytics_events'::regclass,
                  (select attnum from pg_attribute where attrelid = 'public.analytics_events'::regclass and attname = 'event_type')),
  'a new partition carries the parent''s column comments');

-- ---------------------------------------------------------------------------
-- Routing
-- ---------------------------------------------------------------------------
insert into auth.users (id) values ('aaaaaaaa-0000-4000-8000-000000000001');
insert into analytics_sessions (session_id, user_id) values ('sess-a', 'aaaaaaaa-0000-4000-8000-000000000001'), ('sess-anon', null);
insert into analytics_events (user_id, session_id, event_type, occurred_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'sess-a', 'now_event', now()),
  (null, 'sess-anon', 'ancient_event', '2001-01-01 00:00:00+00'),
  (null, 'sess-anon', 'late_event', '2019-06-15 12:00:00+00'),
  (null, 'sess-anon', 'late_event', '2019-06-30 23:59:59.999+00');
insert into analytics_events (event_type, occurred_at, created_at) values
  ('future_event', '2031-02-28 23:59:59+00', '2031-02-28 23:59:59+00'),
  ('boundary_event', '2031-03-01 00:00:00+00', '2031-03-01 00:00:00+00');

select is((select tableoid::regclass::text from analytics_events where event_type = 'now_event'),
  'analytics_events_p' || to_char(now() at time zone 'UTC', 'YYYYMM'), 'an event of now lands in the current month''s partition');
select is((select tableoid::regclass::text from analytics_events where event_type = 'future_event'),
  'analytics_events_p203102', 'the last second of February lands in the February partition');
select is((select tableoid::regclass::text from analytics_events where event_type = 'boundary_event'),
  'analytics_events_p203103', 'midnight UTC on the 1st lands in the new month (upper bound exclusive)');
select is((select tableoid::regclass::text from analytics_events where event_type = 'ancient_event'),
  'analytics_events_default', 'an event older than every partition lands in the default partition');
select is((select count(*)::integer from analytics_events_default where event_type = 'late_event'),
  2, 'late events of a month without a partition wait in the default partition');

-- Creating the missing month moves its rows out of the default partition.
set local role service_role;
select results_eq($$select * from private.ensure_analytics_events_partitions('2019-06-01', '2019-06-01')$$,
  array['analytics_events_p201906'], 'the missing month is created although the default partition holds its rows');
reset role;
select is((select array_agg(distinct tableoid::regclass::text) from analytics_events where event_type = 'late_event'),
  array['analytics_events_p201906'], 'the parked rows now live in their month''s partition');
select is((select count(*)::integer from analytics_events_default where occurred_at >= '2019-06-01+00' and occurred_at < '2019-07-01+00'),
  0, 'the default partition no longer holds rows of that month');
select is((select event_count from analytics_sessions where session_id = 'sess-anon'), 3,
  'moving rows between partitions keeps the session counters exact');
select ok((select relrowsecurity and relforcerowsecurity from pg_class where oid = 'public.analytics_events_p201906'::regclass),
  'the back-filled partition is hardened too');

-- ---------------------------------------------------------------------------
-- Pruning: a month-bounded query reads one partition
-- ---------------------------------------------------------------------------
select is(
  (select count(*)::integer from pg_temp.plan_of(
     $$select count(*) from public.analytics_events where occurred_at >= '2031-02-01+00' and occurred_at < '2031-03-01+00'$$) p
    where p ~ 'analytics_events_(p[0-9]{6}|default)'),
  1, 'a query on one month scans exactly one partition');

-- ---------------------------------------------------------------------------
-- Hardening is re-applicable and refuses non-partitions
-- ---------------------------------------------------------------------------
create table public.analytics_events_p203501 partition of public.analytics_events
  for values from ('2035-01-01 00:00:00+00') to ('2035-02-01 00:00:00+00');
grant select, insert on public.analytics_events_p203501 to anon, authenticated;
select ok(
  (select not relforcerowsecurity from pg_class where oid = 'public.analytics_events_p203501'::regclass),
  'a partition created by hand starts unhardened (the case policies/analytics.sql repairs)');
select lives_ok($$select private.analytics_events_harden_partition('public.analytics_events_p203501'::regclass)$$, 'the owner re-hardens a partition');
select ok(
  (select relrowsecurity and relforcerowsecurity and not exists (
     select 1 from aclexplode(relacl) a where a.grantee in ('anon'::regrole, 'authenticated'::regrole))
     from pg_class where oid = 'public.analytics_events_p203501'::regclass),
  'hardening revokes stray grants and forces RLS');
select throws_ok($$select private.analytics_events_harden_partition('public.analytics_sessions'::regclass)$$,
  '22023', null, 'hardening refuses a table that is not a partition of analytics_events');

-- ---------------------------------------------------------------------------
-- Only service_role may create partitions
-- ---------------------------------------------------------------------------
set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"aaaaaaaa-0000-4000-8000-000000000001","role":"authenticated","app_metadata":{"role":"admin"}}', true);
select throws_ok($$select private.ensure_analytics_events_partitions('2032-01-01', '2032-01-01')$$,
  '42501', null, 'an admin cannot create partitions (service_role only)');
select throws_ok($$select private.analytics_events_harden_partition('public.analytics_events_default'::regclass)$$,
  '42501', null, 'an admin cannot call the hardening function');
reset role;
set local role anon;
select throws_ok($$select private.ensure_analytics_events_partitions('2032-01-01', '2032-01-01')$$,
  '42501', null, 'anon cannot create partitions');
reset role;

select * from finish();
rollback;
