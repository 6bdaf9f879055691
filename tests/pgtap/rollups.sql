-- rollups.sql: the rollups and maintained markers of sql/00014-rollups.sql:
-- structure, RLS and grants, the maintenance triggers (insert, update,
-- delete, late rows, amendments, erasure, retention) and the rebuild.
-- Every maintained value is compared with the aggregate of the raw rows,
-- computed here independently of the schema's functions.
begin;
set search_path = public, extensions;
select plan(79);

-- ---------------------------------------------------------------------------
-- Structure
-- ---------------------------------------------------------------------------
select has_table('public', t, 'rollup ' || t || ' exists')
  from unnest(array['analytics_daily_event_counts', 'analytics_daily_session_counts',
                    'analytics_daily_page_views', 'fec_committee_cycle_totals']) t;
select columns_are('public', 'analytics_daily_event_counts',
  array['id', 'day', 'event_type', 'events', 'created_at', 'updated_at']::name[], 'analytics_daily_event_counts columns');
select columns_are('public', 'analytics_daily_session_counts',
  array['id', 'day', 'sessions', 'bounce_sessions', 'created_at', 'updated_at']::name[], 'analytics_daily_session_counts columns');
select columns_are('public', 'analytics_daily_page_views',
  array['id', 'day', 'page_path', 'views', 'created_at', 'updated_at']::name[], 'analytics_daily_page_views columns');
select columns_are('public', 'fec_committee_cycle_totals',
  array['id', 'committee_id', 'election_cycle', 'receipts', 'latest_filings', 'created_at', 'updated_at']::name[], 'fec_committee_cycle_totals columns');
select col_type_is('public', 'fec_filings', 'is_latest', 'boolean', 'fec_filings.is_latest is boolean');
select col_not_null('public', 'fec_filings', 'is_latest', 'fec_filings.is_latest is not null');
select has_index('public', 'fec_filings', 'fec_filings_committee_id_latest_idx', 'partial index for query 23');
select is((select pg_get_expr(i.indpred, i.indrelid) from pg_index i where i.indexrelid = 'public.fec_filings_committee_id_latest_idx'::regclass),
  'is_latest', 'the query 23 index holds only latest filings');
select has_index('public', 'fec_committee_cycle_totals', 'fec_committee_cycle_totals_cycle_receipts_idx', 'index for query 24');
select is((select count(*)::integer from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey)
            where i.indrelid = ('public.' || t)::regclass and a.attname = c), 0, t || '.' || c || ' is in no index: counter updates stay HOT')
  from (values ('analytics_daily_event_counts', 'events'), ('analytics_daily_session_counts', 'sessions'),
               ('analytics_daily_page_views', 'views')) v(t, c);

select has_trigger('public', t, t || '_rollup_' || op, t || ' has its rollup trigger on ' || op)
  from unnest(array['analytics_events', 'analytics_sessions', 'analytics_page_views', 'fec_filings']) t,
       unnest(array['insert', 'update', 'delete']) op;
select is((select array_agg(g.tgname::text order by g.tgname) from pg_trigger g
            where g.tgname ~ '_rollup_(insert|update|delete)$' and g.tgtype & 1 = 1),
  array['analytics_sessions_rollup_update'], 'every rollup trigger is statement-level but the session update one');
select ok((select g.tgqual is not null from pg_trigger g where g.tgname = 'analytics_sessions_rollup_update'),
  'the row-level session update trigger has a WHEN clause (counter updates skip it)');

-- RLS forced, grants: select only, and never for anon on the analytics rollups
select is((select bool_and(c.relrowsecurity and c.relforcerowsecurity) from pg_class c
            where c.oid in ('public.analytics_daily_event_counts'::regclass, 'public.analytics_daily_session_counts'::regclass,
                            'public.analytics_daily_page_views'::regclass, 'public.fec_committee_cycle_totals'::regclass)),
  true, 'RLS enabled and forced on every rollup');
select table_privs_are('public', t, r, p, t || ': ' || r || ' privileges')
  from unnest(array['analytics_daily_event_counts', 'analytics_daily_session_counts', 'analytics_daily_page_views']) t,
       (values ('anon', '{}'::text[]), ('authenticated', array['SELECT']), ('service_role', array['SELECT'])) g(r, p);
select table_privs_are('public', 'fec_committee_cycle_totals', r, array['SELECT'], 'fec_committee_cycle_totals: ' || r || ' may only read')
  from unnest(array['anon', 'authenticated', 'service_role']) r;
select function_privs_are('private', 'rebuild_rollups', '{}'::text[], r, array[p], 'rebuild_rollups: ' || r)
  from (values ('service_role', 'EXECUTE')) g(r, p);
select is(has_function_privilege(r, 'private.rebuild_rollups()', 'execute'), false, 'rebuild_rollups not executable by ' || r)
  from unnest(array['anon', 'authenticated']) r;

-- ---------------------------------------------------------------------------
-- The aggregate of the raw rows, computed here, and what differs from it
-- ---------------------------------------------------------------------------
create temporary view rollup_drift as
  select 'events' as rollup, coalesce(r.day, x.day)::text || ' ' || coalesce(r.event_type, x.event_type) as grp
    from analytics_daily_event_counts r
    full join (select (occurred_at at time zone 'UTC')::date as day, event_type, count(*) as n
                 from analytics_events group by 1, 2) x on x.day = r.day and x.event_type = r.event_type
   where r.events is distinct from x.n
  union all
  select 'sessions', coalesce(r.day, x.day)::text
    from analytics_daily_session_counts r
    full join (select (started_at at time zone 'UTC')::date as day, count(*) as n, count(*) filter (where is_bounce) as b
                 from analytics_sessions group by 1) x on x.day = r.day
   where (r.sessions, r.bounce_sessions) is distinct from (x.n, x.b)
  union all
  select 'page_views', coalesce(r.day, x.day)::text || ' ' || coalesce(r.page_path, x.page_path)
    from analytics_daily_page_views r
    full join (select (viewed_at at time zone 'UTC')::date as day, page_path, count(*) as n
                 from analytics_page_views group by 1, 2) x on x.day = r.day and x.page_path = r.page_path
   where r.views is distinct from x.n
  union all
  select 'is_latest', f.filing_id::text
    from fec_filings f
   where f.is_latest is distinct from not exists (select 1 from fec_filings a where a.amends_filing_id = f.filing_id)
  union all
  select 'totals', coalesce(r.committee_id, x.committee_id) || ' ' || coalesce(r.election_cycle, x.election_cycle)::text
    from fec_committee_cycle_totals r
    full join (select f.committee_id, f.election_cycle, sum(f.receipts) as receipts, count(*)::integer as n
                 from fec_filings f
                where not exists (select 1 from fec_filings a where a.amends_filing_id = f.filing_id)
                group by 1, 2) x on x.committee_id = r.committee_id and x.election_cycle = r.election_cycle
   where (r.receipts, r.latest_filings) is distinct from (x.receipts, x.n);

-- ---------------------------------------------------------------------------
-- Maintenance by the triggers
-- ---------------------------------------------------------------------------
insert into auth.users (id, email) values
  ('aaaaaaaa-0000-4000-8000-00000000000a', 'roll-a@example.test'),
  ('bbbbbbbb-0000-4000-8000-00000000000b', 'roll-b@example.test');
insert into analytics_sessions (session_id, user_id, started_at) values
  ('roll-a1', 'aaaaaaaa-0000-4000-8000-00000000000a', '2026-01-10 23:30+00'),
  ('roll-b1', 'bbbbbbbb-0000-4000-8000-00000000000b', '2026-01-10 08:00+00'),
  ('roll-anon', null, '2026-01-11 00:10+00');
insert into analytics_events (user_id, session_id, event_type, event_name, occurred_at)
select 'aaaaaaaa-0000-4000-8000-00000000000a', 'roll-a1', 'click', 'x', '2026-01-10 23:40+00'::timestamptz + g * interval '10 minutes'
  from generate_series(0, 4) g;
insert into analytics_events (user_id, session_id, event_type, event_name, occurred_at) values
  ('bbbbbbbb-0000-4000-8000-00000000000b', 'roll-b1', 'click', 'x', '2026-01-10 09:00+00'),
  (null, 'roll-anon', 'signup', 'x', '2026-01-11 00:20+00');
insert into analytics_page_views (user_id, session_id, page_url, page_path, viewed_at) values
  ('aaaaaaaa-0000-4000-8000-00000000000a', 'roll-a1', 'https://e.test/a', '/a', '2026-01-10 23:31+00'),
  ('aaaaaaaa-0000-4000-8000-00000000000a', 'roll-a1', 'https://e.test/private-a', '/private-a', '2026-01-10 23:50+00'),
  ('bbbbbbbb-0000-4000-8000-00000000000b', 'roll-b1', 'https://e.test/a', '/a', '2026-01-10 08:01+00'),
  (null, 'roll-anon', 'https://e.test/a', '/a', '2026-01-11 00:11+00');

select results_eq($$select day::text, event_type, events from analytics_daily_event_counts order by 1, 2$$,
  $$values ('2026-01-10', 'click', 3::bigint), ('2026-01-11', 'click', 3::bigint), ('2026-01-11', 'signup', 1::bigint)$$,
  'events are counted per UTC day and type (a session crossing midnight splits its events)');
select results_eq($$select day::text, sessions, bounce_sessions from analytics_daily_session_counts order by 1$$,
  $$values ('2026-01-10', 2::bigint, 1::bigint), ('2026-01-11', 1::bigint, 1::bigint)$$,
  'sessions per start day; bounce follows the page view counter (2 views: not a bounce)');
select results_eq($$select day::text, page_path, views from analytics_daily_page_views order by 1, 2$$,
  $$values ('2026-01-10', '/a', 2::bigint), ('2026-01-10', '/private-a', 1::bigint), ('2026-01-11', '/a', 1::bigint)$$,
  'page views per UTC day and path');
select is_empty('select * from rollup_drift', 'after inserts every rollup equals the raw aggregate');

-- late-arriving event (an old day) and a deletion that empties a group
insert into analytics_events (user_id, session_id, event_type, event_name, occurred_at) values
  ('bbbbbbbb-0000-4000-8000-00000000000b', 'roll-b1', 'purchase', 'late', '2026-01-10 10:00+00');
select is((select events from analytics_daily_event_counts where day = '2026-01-10' and event_type = 'purchase'), 1::bigint,
  'a late event lands on its own (past) day');
delete from analytics_events where event_type = 'signup';
select is_empty($$select 1 from analytics_daily_event_counts where event_type = 'signup'$$, 'a group emptied by a delete has no row');
-- update moving rows between groups
update analytics_events set event_type = 'purchase' where event_type = 'click' and user_id = 'bbbbbbbb-0000-4000-8000-00000000000b';
select is((select events from analytics_daily_event_counts where day = '2026-01-10' and event_type = 'purchase'), 2::bigint,
  'an update moves the row to its new group');
update analytics_events set occurred_at = occurred_at + interval '1 day' where event_type = 'purchase';
select is_empty('select * from rollup_drift', 'after a late event, a delete and updates (type and day) the rollups equal the raw aggregate');
-- page view removed: session b1 keeps 0 views (bounce), a1 goes from 2 views to 1 (becomes a bounce)
delete from analytics_page_views where page_path = '/private-a';
select results_eq($$select bounce_sessions from analytics_daily_session_counts where day = '2026-01-10'$$,
  $$values (2::bigint)$$, 'a session losing a page view becomes a bounce in the day rollup');
select is_empty('select * from rollup_drift', 'after a page view delete the rollups equal the raw aggregate');

-- direct writes are refused for everyone but the maintenance
set local role service_role;
select throws_ok($$update analytics_daily_event_counts set events = 999$$, '42501', null, 'service_role cannot rewrite a rollup');
select throws_ok($$insert into fec_committee_cycle_totals (committee_id, election_cycle, latest_filings) values ('C00000001', 2024, 1)$$,
  '42501', null, 'service_role cannot insert totals');
reset role;
set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"aaaaaaaa-0000-4000-8000-00000000000a","role":"authenticated"}', true);
select is_empty('select * from analytics_daily_event_counts', 'a user sees no rollup row');
select set_config('request.jwt.claims', '{"sub":"bbbbbbbb-0000-4000-8000-00000000000b","role":"authenticated","app_metadata":{"role":"admin"}}', true);
select isnt_empty('select * from analytics_daily_event_counts', 'an admin reads the rollups');
select set_config('request.jwt.claims', '{"sub":"bbbbbbbb-0000-4000-8000-00000000000b","role":"authenticated","user_metadata":{"role":"admin"}}', true);
select is_empty('select * from analytics_daily_page_views', 'user_metadata admin is no admin');
reset role;

-- erasure: the user's contribution leaves every rollup (no personal path survives)
select lives_ok($$select public.erase_user_data('aaaaaaaa-0000-4000-8000-00000000000a')$$, 'erase a user');
select is_empty($$select 1 from analytics_daily_page_views where page_path = '/private-a'$$, 'a path only the erased user saw is gone');
select is_empty('select * from rollup_drift', 'after an erasure the rollups equal the raw aggregate');

-- ---------------------------------------------------------------------------
-- FEC: marker and totals
-- ---------------------------------------------------------------------------
insert into fec_committees (committee_id, committee_name) values ('C00000901', 'ROLLUP ONE'), ('C00000902', 'ROLLUP TWO');
insert into fec_filings (filing_id, committee_id, form_type, report_type, filing_date, election_cycle, receipts) values
  (9001, 'C00000901', 'F3', 'Q1', '2024-04-15', 2024, 100.00),
  (9002, 'C00000901', 'F3', 'Q2', '2024-07-15', 2024, 50.00),
  (9003, 'C00000902', 'F3', 'Q1', '2024-04-15', 2024, null);
select results_eq($$select committee_id, receipts, latest_filings from fec_committee_cycle_totals where committee_id like 'C0000090_' order by 1$$,
  $$values ('C00000901'::text, 150.00::numeric(14,2), 2), ('C00000902'::text, null::numeric(14,2), 1)$$,
  'totals per committee and cycle; null receipts stay null');
insert into fec_filings (filing_id, committee_id, form_type, report_type, filing_date, election_cycle, receipts, amendment_indicator, amends_filing_id)
values (9004, 'C00000901', 'F3', 'Q1', '2024-05-01', 2024, 120.00, 'A', 9001);
select is((select is_latest from fec_filings where filing_id = 9001), false, 'an amended filing is no longer the latest');
select is((select receipts from fec_committee_cycle_totals where committee_id = 'C00000901'), 170.00::numeric(14,2),
  'totals count the amendment instead of the version it replaces');
update fec_filings set is_latest = true where filing_id = 9001;
select is((select is_latest from fec_filings where filing_id = 9001), false, 'a direct write of is_latest is re-derived');
-- amendment chain loaded out of order (deferred FK): the later version arrives first
set constraints fec_filings_amends_filing_id_fkey deferred;
insert into fec_filings (filing_id, committee_id, form_type, report_type, filing_date, election_cycle, receipts, amendment_indicator, amends_filing_id)
values (9006, 'C00000902', 'F3', 'Q1', '2024-06-01', 2024, 30.00, 'A', 9005);
insert into fec_filings (filing_id, committee_id, form_type, report_type, filing_date, election_cycle, receipts, amendment_indicator, amends_filing_id)
values (9005, 'C00000902', 'F3', 'Q1', '2024-05-01', 2024, 20.00, 'A', 9003);
set constraints fec_filings_amends_filing_id_fkey immediate;
select results_eq($$select filing_id, is_latest from fec_filings where committee_id = 'C00000902' order by 1$$,
  $$values (9003::bigint, false), (9005::bigint, false), (9006::bigint, true)$$, 'a chain loaded out of order ends at its last version');
delete from fec_filings where filing_id = 9004;
select is((select is_latest from fec_filings where filing_id = 9001), true, 'deleting an amendment makes the amended version latest again');
update fec_filings set election_cycle = 2022 where filing_id = 9002;
select is_empty('select * from rollup_drift', 'after amendments, deletes and a cycle change the FEC rollups equal the raw aggregate');

-- ---------------------------------------------------------------------------
-- Retention: a dropped partition fires no trigger; the event rollup follows
-- ---------------------------------------------------------------------------
insert into analytics_sessions (session_id, user_id, started_at) values ('roll-old', null, now() - interval '15 months');
insert into analytics_events (user_id, session_id, event_type, event_name, occurred_at) values
  (null, 'roll-old', 'ancient', 'x', now() - interval '15 months'),
  (null, 'roll-old', 'ancient', 'x', now() - interval '15 months' + interval '1 minute');
select isnt_empty($$select 1 from analytics_daily_event_counts where event_type = 'ancient'$$, 'old events are rolled up');
select lives_ok($$select * from public.run_retention()$$, 'retention runs');
select is_empty($$select 1 from analytics_daily_event_counts where event_type = 'ancient'$$, 'expired days leave the event rollup');
select is_empty('select * from rollup_drift', 'after retention the rollups equal the raw aggregate');

-- ---------------------------------------------------------------------------
-- Rebuild: a load with triggers off leaves the rollups stale; the rebuild fixes them
-- ---------------------------------------------------------------------------
set local session_replication_role = replica;
insert into analytics_events (user_id, session_id, event_type, event_name, occurred_at) values
  (null, 'roll-anon', 'bulk_loaded', 'x', '2026-01-11 05:00+00');
insert into analytics_page_views (user_id, session_id, page_url, page_path, viewed_at) values
  (null, 'roll-anon', 'https://e.test/bulk', '/bulk', '2026-01-11 05:00+00');
insert into analytics_sessions (session_id, user_id, started_at) values ('roll-bulk', null, '2026-01-12 05:00+00');
insert into fec_filings (filing_id, committee_id, form_type, report_type, filing_date, election_cycle, receipts, amendment_indicator, amends_filing_id)
values (9007, 'C00000902', 'F3', 'Q1', '2024-07-01', 2024, 40.00, 'A', 9006);
set local session_replication_role = origin;
select isnt_empty('select * from rollup_drift', 'a load with triggers off leaves the rollups stale (the check can fail)');
select ok((select count(*) from private.rebuild_rollups()) = 5, 'rebuild_rollups reports every rollup');
select is_empty('select * from rollup_drift', 'after rebuild_rollups every rollup equals the raw aggregate');
select is((select is_latest from fec_filings where filing_id = 9006), false, 'the rebuild re-derives the markers');

select * from finish();
rollback;
