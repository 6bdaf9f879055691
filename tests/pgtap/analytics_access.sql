-- analytics_access.sql: the access matrix and the session-ownership rule of
-- the analytics tables, exercised as anon, two users, an admin, a user whose
-- user_metadata claims admin, and service_role.
begin;
set search_path = public, extensions;
select plan(66);

-- World (as the owner) ---------------------------------------------------------
insert into auth.users (id, email) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'a@example.test'),
  ('bbbbbbbb-0000-4000-8000-000000000002', 'b@example.test'),
  ('cccccccc-0000-4000-8000-000000000003', 'admin@example.test'),
  ('dddddddd-0000-4000-8000-000000000004', 'sly@example.test');

insert into analytics_sessions (session_id, user_id) values
  ('sess-a', 'aaaaaaaa-0000-4000-8000-000000000001'),
  ('sess-b', 'bbbbbbbb-0000-4000-8000-000000000002'),
  ('sess-anon', null);
insert into analytics_events (user_id, session_id, event_type, event_data, occurred_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'sess-a', 'click', '{"plan": "pro", "n": 1}', now() - interval '1 minute'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'sess-a', 'click', '{"plan": "free"}', now() - interval '2 minutes'),
  ('aaaaaaaa-0000-4000-8000-000000000001', null, 'server_event', '{}', now() - interval '40 days'),
  ('bbbbbbbb-0000-4000-8000-000000000002', 'sess-b', 'click', '{"plan": "pro"}', now() - interval '1 minute'),
  ('bbbbbbbb-0000-4000-8000-000000000002', 'sess-b', 'click', '{}', now() - interval '1 minute'),
  (null, 'sess-anon', 'click', '{"plan": "team"}', now() - interval '1 minute');
insert into analytics_page_views (user_id, session_id, page_url, page_path) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'sess-a', 'https://e.test/1', '/1'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'sess-a', 'https://e.test/2', '/2'),
  ('bbbbbbbb-0000-4000-8000-000000000002', 'sess-b', 'https://e.test/1', '/1'),
  (null, 'sess-anon', 'https://e.test/1', '/1');
insert into analytics_user_engagement (user_id, engagement_date, engagement_score) values
  ('aaaaaaaa-0000-4000-8000-000000000001', current_date - 1, 10),
  ('bbbbbbbb-0000-4000-8000-000000000002', current_date - 1, 20);

-- ---------------------------------------------------------------------------
-- User A
-- ---------------------------------------------------------------------------
set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"aaaaaaaa-0000-4000-8000-000000000001","role":"authenticated","app_metadata":{"provider":"email"}}', true);

select results_eq('select count(*)::integer from analytics_events', array[3], 'user sees exactly their own events (across partitions)');
select results_eq('select count(*)::integer from analytics_sessions', array[1], 'user sees exactly their own sessions');
select results_eq('select count(*)::integer from analytics_page_views', array[2], 'user sees exactly their own page views');
select results_eq('select count(*)::integer from analytics_user_engagement', array[1], 'user sees exactly their own engagement rows');

select lives_ok($$insert into analytics_events (user_id, session_id, event_type) values ('aaaaaaaa-0000-4000-8000-000000000001', 'sess-a', 'own_event')$$,
  'user inserts an event into their own session');
select throws_ok($$insert into analytics_events (user_id, session_id, event_type) values ('aaaaaaaa-0000-4000-8000-000000000001', 'sess-b', 'hijack')$$,
  '23503', null, 'user cannot attach an event to another user''s session');
select throws_ok($$insert into analytics_events (user_id, session_id, event_type) values ('aaaaaaaa-0000-4000-8000-000000000001', 'sess-anon', 'hijack')$$,
  '23503', null, 'user cannot attach an event to an anonymous session');
select throws_ok($$insert into analytics_events (user_id, session_id, event_type) values ('bbbbbbbb-0000-4000-8000-000000000002', 'sess-b', 'forged')$$,
  '42501', null, 'user cannot insert an event claiming another user_id');
select throws_ok($$insert into analytics_events (user_id, session_id, event_type) values (null, 'sess-anon', 'forged')$$,
  '42501', null, 'user cannot insert an anonymous event');
select throws_ok($$insert into analytics_page_views (user_id, session_id, page_url, page_path) values ('aaaaaaaa-0000-4000-8000-000000000001', 'sess-b', 'https://e.test/x', '/x')$$,
  '23503', null, 'user cannot attach a page view to another user''s session');
select throws_ok($$insert into analytics_sessions (session_id, user_id) values ('sess-forged', 'bbbbbbbb-0000-4000-8000-000000000002')$$,
  '42501', null, 'user cannot create a session for another user');
select lives_ok($$insert into analytics_sessions (session_id, user_id) values ('sess-a-2', 'aaaaaaaa-0000-4000-8000-000000000001')$$,
  'user creates their own session');

select throws_ok($$update analytics_sessions set user_id = 'bbbbbbbb-0000-4000-8000-000000000002' where session_id = 'sess-a'$$,
  '42501', null, 'user cannot give their session to another user (WITH CHECK)');
select throws_ok($$update analytics_sessions set user_id = null where session_id = 'sess-a'$$,
  '42501', null, 'user cannot make their session anonymous (WITH CHECK)');
select results_eq($$with u as (update analytics_sessions set city = 'Oslo' where session_id = 'sess-a' returning 1) select count(*)::integer from u$$,
  array[1], 'user updates their own session');
select results_eq($$with u as (update analytics_sessions set city = 'Oslo' where session_id = 'sess-b' returning 1) select count(*)::integer from u$$,
  array[0], 'user updating another user''s session changes nothing');
select throws_ok($$update analytics_page_views set session_id = 'sess-b' where page_path = '/1'$$,
  '23503', null, 'user cannot move their page view into another user''s session');
select results_eq($$with u as (update analytics_page_views set page_title = 'Mine' where session_id = 'sess-a' returning 1) select count(*)::integer from u$$,
  array[2], 'user updates their own page views');
select results_eq($$with u as (update analytics_page_views set page_title = 'Theirs' returning user_id) select count(*)::integer from u where user_id <> 'aaaaaaaa-0000-4000-8000-000000000001'$$,
  array[0], 'an unqualified page view UPDATE touches only the user''s rows');
select throws_ok($$update analytics_events set event_name = 'x'$$,
  '42501', null, 'user has no UPDATE on events (S, I, D only)');
select results_eq($$with d as (delete from analytics_events where user_id = 'bbbbbbbb-0000-4000-8000-000000000002' returning 1) select count(*)::integer from d$$,
  array[0], 'user deleting another user''s events deletes nothing');
select results_eq($$with d as (delete from analytics_events where event_type = 'own_event' returning 1) select count(*)::integer from d$$,
  array[1], 'user deletes their own event');
select results_eq($$with d as (delete from analytics_page_views where session_id = 'sess-b' returning 1) select count(*)::integer from d$$,
  array[0], 'user deleting another user''s page views deletes nothing');
select throws_ok($$insert into analytics_user_engagement (user_id, engagement_date, engagement_score) values ('aaaaaaaa-0000-4000-8000-000000000001', current_date, 100)$$,
  '42501', null, 'user cannot write engagement rows');
select throws_ok($$select private.ensure_analytics_events_partitions(current_date, current_date)$$,
  '42501', null, 'user cannot create partitions');
select throws_ok($$select refresh_user_engagement(current_date)$$,
  '42501', null, 'user cannot run refresh_user_engagement');
select throws_ok($$select * from admin_search_analytics_events('{"plan": "pro"}')$$, '42501', null,
  'a plain user cannot use the admin containment search');
reset role;

-- ---------------------------------------------------------------------------
-- A user whose user_metadata says admin stays an ordinary user
-- ---------------------------------------------------------------------------
set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"dddddddd-0000-4000-8000-000000000004","role":"authenticated","app_metadata":{},"user_metadata":{"role":"admin"}}', true);
select results_eq('select count(*)::integer from analytics_events', array[0], 'user_metadata.role = admin sees no one else''s events');
select results_eq('select count(*)::integer from analytics_sessions', array[0], 'user_metadata.role = admin sees no one else''s sessions');
select results_eq('select count(*)::integer from analytics_user_engagement', array[0], 'user_metadata.role = admin sees no one else''s engagement');
select throws_ok($$select * from admin_search_analytics_events('{"plan": "pro"}')$$, '42501', null,
  'user_metadata.role = admin cannot use the admin containment search');
reset role;

-- ---------------------------------------------------------------------------
-- Admin: select all, no extra write rights
-- ---------------------------------------------------------------------------
-- Events for the windowed containment search (00013): matches spread from
-- one hour ahead to 400 days back, so the search must widen its window.
insert into analytics_events (event_type, event_data, occurred_at) values
  ('probe', '{"probe": "win"}', now() + interval '1 hour'),
  ('probe', '{"probe": "win"}', now() - interval '2 hours'),
  ('probe', '{"probe": "win"}', now() - interval '3 days'),
  ('probe', '{"probe": "win"}', now() - interval '40 days'),
  ('probe', '{"probe": "win"}', now() - interval '400 days'),
  -- On the edges of the search's windows for these sparse rows (1, 16, 256
  -- and 4,096 minutes back): each belongs to exactly one window.
  ('edge', '{"probe": "edge"}', now() - interval '1 minute'),
  ('edge', '{"probe": "edge"}', now() - interval '1 minute 1 second'),
  ('edge', '{"probe": "edge"}', now() - interval '16 minutes'),
  ('edge', '{"probe": "edge"}', now() - interval '256 minutes'),
  ('edge', '{"probe": "edge"}', now() - interval '256 minutes 1 second'),
  ('edge', '{"probe": "edge"}', now() - interval '4096 minutes'),
  ('edge', '{"probe": "edge"}', now() - interval '4096 minutes 1 second'),
  ('edge', '{"probe": "edge"}', now() - interval '90 days');
-- A dense filter: 30 matches an hour over the last ten hours, so the walk
-- sizes its next windows from the rate it finds.
insert into analytics_events (event_type, event_data, occurred_at)
  select 'dense', '{"probe": "dense"}', now() - i * interval '2 minutes' from generate_series(1, 300) i;
select set_config('test.events', (select count(*)::text from analytics_events), true);
select set_config('test.sessions', (select count(*)::text from analytics_sessions), true);
set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"cccccccc-0000-4000-8000-000000000003","role":"authenticated","app_metadata":{"role":"admin"}}', true);
select results_eq('select count(*)::integer from analytics_events', array[current_setting('test.events')::integer], 'admin sees every event');
select results_eq('select count(*)::integer from analytics_sessions', array[current_setting('test.sessions')::integer], 'admin sees every session');
select results_eq('select count(*)::integer from analytics_page_views', array[4], 'admin sees every page view');
select results_eq('select count(*)::integer from analytics_user_engagement', array[2], 'admin sees every engagement row');
select results_eq($$with u as (update analytics_sessions set city = 'Rome' where session_id = 'sess-b' returning 1) select count(*)::integer from u$$,
  array[0], 'admin cannot update another user''s session');
select results_eq($$with d as (delete from analytics_events where user_id = 'bbbbbbbb-0000-4000-8000-000000000002' returning 1) select count(*)::integer from d$$,
  array[0], 'admin cannot delete another user''s events');
select throws_ok($$insert into analytics_events (user_id, session_id, event_type) values ('bbbbbbbb-0000-4000-8000-000000000002', 'sess-b', 'forged')$$,
  '42501', null, 'admin cannot insert events for another user');
select results_eq($$select count(*)::integer from admin_search_analytics_events('{"plan": "pro"}')$$, array[2],
  'admin containment search finds every matching event, any owner');
select results_eq($$select count(*)::integer from admin_search_analytics_events('{"plan": "pro"}', now() - interval '90 seconds', now(), 1)$$, array[1],
  'admin containment search honours the time window and the limit');
select throws_ok($$select * from admin_search_analytics_events('[1]')$$, '22023', null, 'the filter must be a JSON object');
select results_eq($$select occurred_at from admin_search_analytics_events('{"probe": "win"}', null, null, 3)$$,
  $$select occurred_at from analytics_events where event_data @> '{"probe": "win"}' order by occurred_at desc limit 3$$,
  'the search returns the newest matches in order (including one in the future), across windows');
select results_eq($$select occurred_at from admin_search_analytics_events('{"probe": "edge"}', null, null, 100)$$,
  $$select occurred_at from analytics_events where event_data @> '{"probe": "edge"}' order by occurred_at desc$$,
  'rows on the windows'' edges are found once each, newest first');
select results_eq($$select occurred_at from admin_search_analytics_events('{"probe": "dense"}', null, null, 100)$$,
  $$select occurred_at from analytics_events where event_data @> '{"probe": "dense"}' order by occurred_at desc limit 100$$,
  'a dense filter: windows sized from the rate found return the newest 100, in order');
select results_eq($$select occurred_at from admin_search_analytics_events('{"probe": "dense"}', null, now() - interval '3 hours', 250)$$,
  $$select occurred_at from analytics_events where event_data @> '{"probe": "dense"}' and occurred_at < now() - interval '3 hours' order by occurred_at desc limit 250$$,
  'a dense filter before p_to, more than it holds: every match, in order');
select results_eq($$select occurred_at from admin_search_analytics_events('{"probe": "edge"}', null, null, 4)$$,
  $$select occurred_at from analytics_events where event_data @> '{"probe": "edge"}' order by occurred_at desc limit 4$$,
  'a limit reached inside the walk stops at the newest rows');
select results_eq($$select occurred_at from admin_search_analytics_events('{"probe": "win"}', null, null, 5)$$,
  $$select occurred_at from analytics_events where event_data @> '{"probe": "win"}' order by occurred_at desc$$,
  'a limit above the recent matches widens to every partition (400 days back)');
select results_eq($$select occurred_at from admin_search_analytics_events('{"probe": "win"}', null, now() - interval '1 day', 2)$$,
  $$select occurred_at from analytics_events where event_data @> '{"probe": "win"}' and occurred_at < now() - interval '1 day' order by occurred_at desc limit 2$$,
  'windows end at p_to');
select results_eq($$select occurred_at from admin_search_analytics_events('{"probe": "win"}', now() - interval '10 days', null, 10)$$,
  $$select occurred_at from analytics_events where event_data @> '{"probe": "win"}' and occurred_at >= now() - interval '10 days' order by occurred_at desc$$,
  'no window reaches before p_from');
reset role;

-- ---------------------------------------------------------------------------
-- Anon: insert anonymous rows only, read nothing
-- ---------------------------------------------------------------------------
set local role anon;
select set_config('request.jwt.claims', '{"role":"anon"}', true);
select lives_ok($$insert into analytics_sessions (session_id) values ('sess-anon-2')$$, 'anon creates an anonymous session');
select lives_ok($$insert into analytics_events (session_id, event_type) values ('sess-anon-2', 'anon_click')$$, 'anon inserts an anonymous event into an anonymous session');
select lives_ok($$insert into analytics_page_views (session_id, page_url, page_path) values ('sess-anon-2', 'https://e.test/', '/')$$, 'anon inserts an anonymous page view');
select throws_ok($$insert into analytics_events (session_id, event_type) values ('sess-a', 'anon_click')$$,
  '23503', null, 'anon cannot attach an anonymous event to a user''s session');
select throws_ok($$insert into analytics_page_views (session_id, page_url, page_path) values ('sess-a', 'https://e.test/', '/')$$,
  '23503', null, 'anon cannot attach a page view to a user''s session');
select throws_ok($$insert into analytics_events (user_id, session_id, event_type) values ('aaaaaaaa-0000-4000-8000-000000000001', 'sess-a', 'forged')$$,
  '42501', null, 'anon cannot insert an event with a user_id');
select throws_ok($$insert into analytics_sessions (session_id, user_id) values ('sess-forged-2', 'aaaaaaaa-0000-4000-8000-000000000001')$$,
  '42501', null, 'anon cannot create a session with a user_id');
select throws_ok('select count(*) from analytics_events', '42501', null, 'anon cannot read events');
select throws_ok('select count(*) from analytics_sessions', '42501', null, 'anon cannot read sessions');
select throws_ok('select count(*) from analytics_user_engagement', '42501', null, 'anon cannot read engagement');
select throws_ok($$update analytics_sessions set city = 'x'$$, '42501', null, 'anon cannot update sessions');
select throws_ok($$delete from analytics_page_views$$, '42501', null, 'anon cannot delete page views');
select throws_ok('select count(*) from analytics_events_default', '42501', null, 'anon cannot read a partition directly');
select throws_ok($$select * from admin_search_analytics_events('{"plan": "pro"}')$$, '42501', null, 'anon cannot call the admin containment search');
reset role;

-- ---------------------------------------------------------------------------
-- service_role: everything through the parent, nothing through partitions
-- ---------------------------------------------------------------------------
set local role service_role;
select set_config('request.jwt.claims', '{"role":"service_role"}', true);
select results_eq('select count(*)::integer from analytics_events', array[current_setting('test.events')::integer + 1], 'service_role sees every event (BYPASSRLS)');
select results_eq($$with u as (update analytics_events set event_name = 'svc' where user_id = 'bbbbbbbb-0000-4000-8000-000000000002' returning 1) select count(*)::integer from u$$,
  array[2], 'service_role updates any event');
select throws_ok('select count(*) from analytics_events_default', '42501', null, 'service_role cannot read a partition directly either');
reset role;

select * from finish();
rollback;
