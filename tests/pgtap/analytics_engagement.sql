-- analytics_engagement.sql: refresh_user_engagement(day) with known inputs
-- and exact expected outputs, idempotence, day boundaries, and who may run it.
--
-- Formula under test (see the function's COMMENT):
--   score = 25*min(sessions,5)/5 + 25*min(page_views,25)/25 + 20*min(events,50)/50
--         + 20*min(time_seconds,3600)/3600 + 10*(sessions-bounces)/sessions
begin;
set search_path = public, extensions;
select plan(23);

insert into auth.users (id) values
  ('aaaaaaaa-0000-4000-8000-000000000001'),  -- A: a typical day
  ('bbbbbbbb-0000-4000-8000-000000000002'),  -- B: a heavy day, every term saturated
  ('cccccccc-0000-4000-8000-000000000003'),  -- C: a stale row, no activity that day
  ('eeeeeeee-0000-4000-8000-000000000005');  -- E: an open session and one event

-- The day under test is 2026-01-10 (UTC).
insert into analytics_sessions (session_id, user_id, started_at, ended_at) values
  ('a-s1', 'aaaaaaaa-0000-4000-8000-000000000001', '2026-01-10 10:05:00+00', '2026-01-10 10:15:00+00'),
  ('a-s2', 'aaaaaaaa-0000-4000-8000-000000000001', '2026-01-10 14:00:00+00', '2026-01-10 14:01:00+00'),
  ('b-s1', 'bbbbbbbb-0000-4000-8000-000000000002', '2026-01-10 08:00:00+00', '2026-01-10 10:00:00+00'),
  ('c-s1', 'cccccccc-0000-4000-8000-000000000003', '2026-01-11 00:00:00+00', '2026-01-11 00:05:00+00'),
  ('e-s1', 'eeeeeeee-0000-4000-8000-000000000005', '2026-01-10 05:00:00+00', null),
  ('anon-s1', null, '2026-01-10 09:00:00+00', '2026-01-10 09:30:00+00');

insert into analytics_page_views (user_id, session_id, page_url, page_path, viewed_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'a-s1', 'https://e.test/1', '/1', '2026-01-10 10:05:00+00'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'a-s1', 'https://e.test/2', '/2', '2026-01-10 10:07:00+00'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'a-s1', 'https://e.test/3', '/3', '2026-01-10 10:10:00+00'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'a-s2', 'https://e.test/1', '/1', '2026-01-10 14:00:10+00'),
  (null, 'anon-s1', 'https://e.test/1', '/1', '2026-01-10 09:00:00+00');
insert into analytics_page_views (user_id, session_id, page_url, page_path, viewed_at)
  select 'bbbbbbbb-0000-4000-8000-000000000002', 'b-s1', 'https://e.test/p' || g, '/p' || g,
         '2026-01-10 08:00:00+00'::timestamptz + g * interval '1 minute'
    from generate_series(0, 29) g;

insert into analytics_events (user_id, session_id, event_type, occurred_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'a-s1', 'click', '2026-01-10 10:06:00+00'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'a-s1', 'click', '2026-01-10 10:08:00+00'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'a-s1', 'click', '2026-01-10 10:09:00+00'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'a-s1', 'click', '2026-01-10 10:14:00+00'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'a-s2', 'click', '2026-01-10 14:00:30+00'),
  ('aaaaaaaa-0000-4000-8000-000000000001', null, 'server_event', '2026-01-10 23:59:59+00'),
  -- just outside the day on both sides
  ('aaaaaaaa-0000-4000-8000-000000000001', null, 'server_event', '2026-01-09 23:59:59.999+00'),
  ('aaaaaaaa-0000-4000-8000-000000000001', null, 'server_event', '2026-01-11 00:00:00+00'),
  ('eeeeeeee-0000-4000-8000-000000000005', 'e-s1', 'click', '2026-01-10 05:30:00+00'),
  (null, 'anon-s1', 'click', '2026-01-10 09:10:00+00');
insert into analytics_events (user_id, session_id, event_type, occurred_at)
  select 'bbbbbbbb-0000-4000-8000-000000000002', 'b-s1', 'scroll',
         '2026-01-10 08:00:00+00'::timestamptz + g * interval '30 seconds'
    from generate_series(0, 59) g;

-- A stale row for C (no activity on the day) must disappear; a row of another day stays.
insert into analytics_user_engagement (user_id, engagement_date, engagement_score, total_events)
  values ('cccccccc-0000-4000-8000-000000000003', '2026-01-10', 42, 7),
         ('cccccccc-0000-4000-8000-000000000003', '2026-01-09', 42, 7);

-- ---------------------------------------------------------------------------
set local role service_role;
select is(refresh_user_engagement('2026-01-10'), 3, 'three users had activity on the day (A, B, E; anonymous rows ignored)');
reset role;

select results_eq(
  $$select engagement_score, total_sessions, total_page_views, total_events, total_time_seconds, bounce_sessions,
           active_hours, first_activity_at, last_activity_at
      from analytics_user_engagement
     where user_id = 'aaaaaaaa-0000-4000-8000-000000000001' and engagement_date = '2026-01-10'$$,
  $$values (25.07::numeric(5,2), 2, 4, 6, 660, 1, '{10,14,23}'::smallint[],
            '2026-01-10 10:05:00+00'::timestamptz, '2026-01-10 23:59:59+00'::timestamptz)$$,
  'A: 2 sessions, 4 views, 6 events, 660 s, 1 bounce -> 10 + 4 + 2.4 + 3.67 + 5 = 25.07');
select results_eq(
  $$select engagement_score, total_sessions, total_page_views, total_events, total_time_seconds, bounce_sessions, active_hours
      from analytics_user_engagement
     where user_id = 'bbbbbbbb-0000-4000-8000-000000000002' and engagement_date = '2026-01-10'$$,
  $$values (80.00::numeric(5,2), 1, 30, 60, 7200, 0, '{8}'::smallint[])$$,
  'B: views, events and time saturate; 1 session of 5 -> 5 + 25 + 20 + 20 + 10 = 80.00');
select results_eq(
  $$select engagement_score, total_sessions, total_page_views, total_events, total_time_seconds, bounce_sessions, active_hours
      from analytics_user_engagement
     where user_id = 'eeeeeeee-0000-4000-8000-000000000005' and engagement_date = '2026-01-10'$$,
  $$values (5.40::numeric(5,2), 1, 0, 1, 0, 1, '{5}'::smallint[])$$,
  'E: an open session counts 0 s and is a bounce -> 5 + 0 + 0.4 + 0 + 0 = 5.40');
select is_empty(
  $$select 1 from analytics_user_engagement where user_id = 'cccccccc-0000-4000-8000-000000000003' and engagement_date = '2026-01-10'$$,
  'a user without activity that day has no row (stale row deleted)');
select isnt_empty(
  $$select 1 from analytics_user_engagement where user_id = 'cccccccc-0000-4000-8000-000000000003' and engagement_date = '2026-01-09'$$,
  'rows of other days are left alone');
select is((select count(*)::integer from analytics_user_engagement where engagement_date = '2026-01-10'), 3, 'exactly three rows for the day');

-- ---------------------------------------------------------------------------
-- Idempotence: a second run changes nothing
-- ---------------------------------------------------------------------------
create temporary table first_run on commit drop as
  select * from analytics_user_engagement where engagement_date = '2026-01-10';
set local role service_role;
select is(refresh_user_engagement('2026-01-10'), 3, 'a second run reports the same users');
reset role;
select set_eq(
  $$select * from analytics_user_engagement where engagement_date = '2026-01-10'$$,
  $$select * from first_run$$,
  'a second run leaves every row identical (ids included)');

-- A change in the inputs is picked up; unaffected users keep their figures.
delete from analytics_events where user_id = 'bbbbbbbb-0000-4000-8000-000000000002' and occurred_at >= '2026-01-10 08:15:00+00';
set local role service_role;
select is(refresh_user_engagement('2026-01-10'), 3, 'a third run after deleting events');
reset role;
select results_eq(
  $$select engagement_score, total_events from analytics_user_engagement
     where user_id = 'bbbbbbbb-0000-4000-8000-000000000002' and engagement_date = '2026-01-10'$$,
  $$values (72.00::numeric(5,2), 30)$$,
  'B now has 30 events: 5 + 25 + 20*30/50 + 20 + 10 = 72.00');
select is(
  (select id from analytics_user_engagement where user_id = 'bbbbbbbb-0000-4000-8000-000000000002' and engagement_date = '2026-01-10'),
  (select id from first_run where user_id = 'bbbbbbbb-0000-4000-8000-000000000002'),
  'recomputation updates the row in place (same id)');
select set_eq(
  $$select * from analytics_user_engagement where engagement_date = '2026-01-10' and user_id <> 'bbbbbbbb-0000-4000-8000-000000000002'$$,
  $$select * from first_run where user_id <> 'bbbbbbbb-0000-4000-8000-000000000002'$$,
  'the other users'' rows are unchanged');

-- ---------------------------------------------------------------------------
-- Day boundaries (UTC)
-- ---------------------------------------------------------------------------
set local role service_role;
select is(refresh_user_engagement('2026-01-09'), 1, 'the previous day has one active user');
select is(refresh_user_engagement('2026-01-11'), 2, 'the next day has two active users');
reset role;
select results_eq(
  $$select total_events, active_hours, engagement_score from analytics_user_engagement
     where user_id = 'aaaaaaaa-0000-4000-8000-000000000001' and engagement_date = '2026-01-09'$$,
  $$values (1, '{23}'::smallint[], 0.40::numeric(5,2))$$,
  '23:59:59.999 belongs to the previous day');
select results_eq(
  $$select total_events, active_hours from analytics_user_engagement
     where user_id = 'aaaaaaaa-0000-4000-8000-000000000001' and engagement_date = '2026-01-11'$$,
  $$values (1, '{0}'::smallint[])$$,
  'midnight belongs to the next day');
select is_empty(
  $$select 1 from analytics_user_engagement where user_id = 'cccccccc-0000-4000-8000-000000000003' and engagement_date = '2026-01-09'$$,
  'refreshing 2026-01-09 removed C''s stale row of that day too');
select results_eq(
  $$select total_sessions, total_time_seconds, engagement_score from analytics_user_engagement
     where user_id = 'cccccccc-0000-4000-8000-000000000003' and engagement_date = '2026-01-11'$$,
  $$values (1, 300, 6.67::numeric(5,2))$$,
  'C on the next day: 1 bounced session of 300 s -> 5 + 0 + 0 + 1.67 + 0 = 6.67');

-- ---------------------------------------------------------------------------
-- Refusals
-- ---------------------------------------------------------------------------
set local role service_role;
select throws_ok($$select refresh_user_engagement(null)$$, '22004', null, 'a null day is refused');
reset role;
set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"aaaaaaaa-0000-4000-8000-000000000001","role":"authenticated","app_metadata":{"role":"admin"}}', true);
select throws_ok($$select refresh_user_engagement('2026-01-10')$$, '42501', null, 'even an admin cannot run refresh_user_engagement (service_role only)');
select throws_ok($$update analytics_user_engagement set engagement_score = 100$$, '42501', null, 'an admin cannot edit engagement rows');
reset role;
set local role anon;
select throws_ok($$select refresh_user_engagement('2026-01-10')$$, '42501', null, 'anon cannot run refresh_user_engagement');
reset role;

select * from finish();
rollback;
