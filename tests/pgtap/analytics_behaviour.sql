-- analytics_behaviour.sql: CHECK constraints, generated columns, the session
-- counters and updated_at of the analytics tables (run as the owner; access
-- rules are in analytics_access.sql).
begin;
set search_path = public, extensions;
select plan(73);

insert into auth.users (id, email) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'a@example.test'),
  ('bbbbbbbb-0000-4000-8000-000000000002', 'b@example.test');

insert into analytics_sessions (session_id, user_id, started_at, ended_at) values
  ('sess-a1', 'aaaaaaaa-0000-4000-8000-000000000001', '2026-01-10 10:00:00+00', '2026-01-10 10:10:30+00'),
  ('sess-a2', 'aaaaaaaa-0000-4000-8000-000000000001', '2026-01-10 11:00:00+00', null),
  ('sess-b1', 'bbbbbbbb-0000-4000-8000-000000000002', '2026-01-10 12:00:00+00', '2026-01-10 12:00:00+00'),
  ('sess-anon', null, '2026-01-10 13:00:00+00', null);

-- ---------------------------------------------------------------------------
-- CHECK constraints on analytics_sessions
-- ---------------------------------------------------------------------------
select throws_ok($$insert into analytics_sessions (session_id) values ('has spaces')$$,
  '23514', 'new row for relation "analytics_sessions" violates check constraint "analytics_sessions_session_id_check"',
  'session_id must be a 1-128 char key of [A-Za-z0-9_.:-]');
select throws_ok($$insert into analytics_sessions (session_id) values (repeat('k', 129))$$,
  '23514', 'new row for relation "analytics_sessions" violates check constraint "analytics_sessions_session_id_check"',
  'session_id longer than 128 chars is refused');
select throws_ok($$insert into analytics_sessions (session_id, started_at, ended_at) values ('s-x', '2026-01-01 10:00+00', '2026-01-01 09:59+00')$$,
  '23514', 'new row for relation "analytics_sessions" violates check constraint "analytics_sessions_ended_at_check"',
  'ended_at before started_at is refused');
select throws_ok($$insert into analytics_sessions (session_id, started_at, ended_at) values ('s-x', '2026-01-01 10:00+00', '2026-01-08 10:00:01+00')$$,
  '23514', 'new row for relation "analytics_sessions" violates check constraint "analytics_sessions_ended_at_check"',
  'a session longer than 7 days is refused');
select throws_ok($$insert into analytics_sessions (session_id, device_fingerprint_hash) values ('s-x', 'raw-fingerprint-value')$$,
  '23514', 'new row for relation "analytics_sessions" violates check constraint "analytics_sessions_device_fingerprint_hash_check"',
  'a raw (non-hash) fingerprint is refused');
select throws_ok($$insert into analytics_sessions (session_id, device_fingerprint_hash) values ('s-x', upper(encode(sha256('x'), 'hex')))$$,
  '23514', 'new row for relation "analytics_sessions" violates check constraint "analytics_sessions_device_fingerprint_hash_check"',
  'an upper-case hex hash is refused (canonical lower case only)');
select lives_ok($$insert into analytics_sessions (session_id, device_fingerprint_hash) values ('s-hash', encode(sha256('x'), 'hex'))$$,
  'a lowercase hex SHA-256 fingerprint hash is accepted');
-- Boundaries of the format checks (00010 rewrote them without bounded
-- regex quantifiers; the accepted set must not have moved).
select throws_ok($$insert into analytics_sessions (session_id) values ('')$$,
  '23514', 'new row for relation "analytics_sessions" violates check constraint "analytics_sessions_session_id_check"',
  'an empty session_id is refused');
select lives_ok($$insert into analytics_sessions (session_id) values (repeat('k', 127) || ':')$$,
  'a session_id of exactly 128 allowed chars is accepted');
select throws_ok($$insert into analytics_sessions (session_id, device_fingerprint_hash) values ('s-x', left(encode(sha256('x'), 'hex'), 63))$$,
  '23514', 'new row for relation "analytics_sessions" violates check constraint "analytics_sessions_device_fingerprint_hash_check"',
  'a 63-char fingerprint hash is refused');
select throws_ok($$insert into analytics_sessions (session_id, device_fingerprint_hash) values ('s-x', encode(sha256('x'), 'hex') || 'a')$$,
  '23514', 'new row for relation "analytics_sessions" violates check constraint "analytics_sessions_device_fingerprint_hash_check"',
  'a 65-char fingerprint hash is refused');
select throws_ok($$insert into analytics_sessions (session_id, ip_truncated) values ('s-x', '203.0.113.7')$$,
  '23514', 'new row for relation "analytics_sessions" violates check constraint "analytics_sessions_ip_truncated_check"',
  'a full IPv4 address is refused');
select throws_ok($$insert into analytics_sessions (session_id, ip_truncated) values ('s-x', '203.0.113.7/24')$$,
  '23514', 'new row for relation "analytics_sessions" violates check constraint "analytics_sessions_ip_truncated_check"',
  'an IPv4 /24 with host bits set is refused');
select throws_ok($$insert into analytics_sessions (session_id, ip_truncated) values ('s-x', '203.0.0.0/16')$$,
  '23514', 'new row for relation "analytics_sessions" violates check constraint "analytics_sessions_ip_truncated_check"',
  'an IPv4 prefix other than /24 is refused');
select throws_ok($$insert into analytics_sessions (session_id, ip_truncated) values ('s-x', '2001:db8:abcd:12::/64')$$,
  '23514', 'new row for relation "analytics_sessions" violates check constraint "analytics_sessions_ip_truncated_check"',
  'an IPv6 /64 is refused');
select throws_ok($$insert into analytics_sessions (session_id, ip_truncated) values ('s-x', '2001:db8:abcd::1/48')$$,
  '23514', 'new row for relation "analytics_sessions" violates check constraint "analytics_sessions_ip_truncated_check"',
  'an IPv6 /48 with host bits set is refused');
select lives_ok($$insert into analytics_sessions (session_id, ip_truncated) values ('s-ip4', '203.0.113.0/24'), ('s-ip6', '2001:db8:abcd::/48')$$,
  'an IPv4 /24 and an IPv6 /48 network are accepted');
select throws_ok($$insert into analytics_sessions (session_id, country) values ('s-x', 'us')$$,
  '23514', 'new row for relation "analytics_sessions" violates check constraint "analytics_sessions_country_check"',
  'a lower-case country code is refused');
select throws_ok($$insert into analytics_sessions (session_id, country) values ('s-x', 'USA')$$,
  '23514', 'new row for relation "analytics_sessions" violates check constraint "analytics_sessions_country_check"',
  'a 3-letter country code is refused');
select throws_ok($$insert into analytics_sessions (session_id, utm_source) values ('s-x', repeat('u', 257))$$,
  '23514', 'new row for relation "analytics_sessions" violates check constraint "analytics_sessions_utm_source_check"',
  'utm_source longer than 256 chars is refused');
select throws_ok($$insert into analytics_sessions (session_id, referrer) values ('s-x', '')$$,
  '23514', 'new row for relation "analytics_sessions" violates check constraint "analytics_sessions_referrer_check"',
  'an empty referrer is refused (use null)');
select throws_ok($$insert into analytics_sessions (session_id, device_type) values ('s-x', 'phone')$$,
  '22P02', null, 'a device type outside the enum is refused');
select throws_ok($$insert into analytics_sessions (session_id) values ('sess-a1')$$,
  '23505', null, 'session_id is unique');

-- ---------------------------------------------------------------------------
-- CHECK constraints on analytics_events (rows dated 2001 route to the default partition)
-- ---------------------------------------------------------------------------
select throws_ok($$insert into analytics_events (event_type, occurred_at) values ('Button-Click', '2001-01-01+00')$$,
  '23514', 'new row for relation "analytics_events_default" violates check constraint "analytics_events_event_type_check"',
  'event_type must be lowercase snake_case');
select throws_ok($$insert into analytics_events (event_type, occurred_at) values ('e' || repeat('x', 64), '2001-01-01+00')$$,
  '23514', 'new row for relation "analytics_events_default" violates check constraint "analytics_events_event_type_check"',
  'event_type longer than 64 chars is refused');
select throws_ok($$insert into analytics_events (event_type, occurred_at) values ('1st_event', '2001-01-01+00')$$,
  '23514', 'new row for relation "analytics_events_default" violates check constraint "analytics_events_event_type_check"',
  'event_type must start with a letter');
select lives_ok($$insert into analytics_events (event_type, occurred_at) values ('e' || repeat('x', 62) || '_', '2001-01-01+00')$$,
  'an event_type of exactly 64 chars is accepted');
select throws_ok($$insert into analytics_events (event_type, occurred_at) values ('', '2001-01-01+00')$$,
  '23514', 'new row for relation "analytics_events_default" violates check constraint "analytics_events_event_type_check"',
  'an empty event_type is refused');
select throws_ok($$insert into analytics_events (session_id, event_type, occurred_at) values ('bad key', 'click', '2001-01-01+00')$$,
  '23514', 'new row for relation "analytics_events_default" violates check constraint "analytics_events_session_id_check"',
  'an event''s session_id has the session key format');
select throws_ok($$insert into analytics_events (event_type, event_data, occurred_at) values ('click', '[1, 2]', '2001-01-01+00')$$,
  '23514', 'new row for relation "analytics_events_default" violates check constraint "analytics_events_event_data_check"',
  'event_data must be a JSON object');
select throws_ok($$insert into analytics_events (event_type, event_data, occurred_at)
                   values ('click', jsonb_build_object('blob', (select string_agg(md5(g::text), '') from generate_series(1, 2000) g)), '2001-01-01+00')$$,
  '23514', 'new row for relation "analytics_events_default" violates check constraint "analytics_events_event_data_check"',
  'event_data larger than 32 KiB is refused');
select throws_ok($$insert into analytics_events (event_type, occurred_at) values ('click', now() + interval '2 days')$$,
  '23514', null, 'an occurred_at more than a day after receipt is refused');
select throws_ok($$insert into analytics_events (event_type, event_category, occurred_at) values ('click', '', '2001-01-01+00')$$,
  '23514', 'new row for relation "analytics_events_default" violates check constraint "analytics_events_event_category_check"',
  'an empty event_category is refused');
select lives_ok($$insert into analytics_events (event_type, event_data, occurred_at) values ('page_scroll', '{"depth": 50}', now() + interval '1 hour')$$,
  'a small clock skew (1 hour ahead) is accepted');

-- ---------------------------------------------------------------------------
-- CHECK constraints on analytics_page_views and analytics_user_engagement
-- ---------------------------------------------------------------------------
select throws_ok($$insert into analytics_page_views (session_id, page_url, page_path, scroll_depth_percent) values ('sess-anon', 'https://e.test/', '/', 101)$$,
  '23514', 'new row for relation "analytics_page_views" violates check constraint "analytics_page_views_scroll_depth_percent_check"',
  'scroll depth above 100 is refused');
select throws_ok($$insert into analytics_page_views (session_id, page_url, page_path, time_on_page_seconds) values ('sess-anon', 'https://e.test/', '/', -1)$$,
  '23514', 'new row for relation "analytics_page_views" violates check constraint "analytics_page_views_time_on_page_seconds_check"',
  'negative time on page is refused');
select throws_ok($$insert into analytics_page_views (session_id, page_url, page_path) values ('sess-anon', 'https://e.test/', '/' || repeat('é', 600))$$,
  '23514', 'new row for relation "analytics_page_views" violates check constraint "analytics_page_views_page_path_check"',
  'a page_path over 1024 bytes is refused (B-tree key bound)');
select throws_ok($$insert into analytics_user_engagement (user_id, engagement_date, engagement_score) values ('aaaaaaaa-0000-4000-8000-000000000001', '2026-01-01', 100.01)$$,
  '23514', 'new row for relation "analytics_user_engagement" violates check constraint "analytics_user_engagement_engagement_score_check"',
  'engagement_score above 100 is refused');
select throws_ok($$insert into analytics_user_engagement (user_id, engagement_date, engagement_score, active_hours) values ('aaaaaaaa-0000-4000-8000-000000000001', '2026-01-01', 1, '{3,24}')$$,
  '23514', 'new row for relation "analytics_user_engagement" violates check constraint "analytics_user_engagement_active_hours_check"',
  'an active hour of 24 is refused');
select throws_ok($$insert into analytics_user_engagement (user_id, engagement_date, engagement_score, active_hours) values ('aaaaaaaa-0000-4000-8000-000000000001', '2026-01-01', 1, '{3,null}')$$,
  '23514', 'new row for relation "analytics_user_engagement" violates check constraint "analytics_user_engagement_active_hours_check"',
  'a null active hour is refused');
select throws_ok($$insert into analytics_user_engagement (user_id, engagement_date, engagement_score, total_sessions, bounce_sessions) values ('aaaaaaaa-0000-4000-8000-000000000001', '2026-01-01', 1, 1, 2)$$,
  '23514', 'new row for relation "analytics_user_engagement" violates check constraint "analytics_user_engagement_bounce_sessions_check"',
  'more bounces than sessions is refused');
select throws_ok($$insert into analytics_user_engagement (user_id, engagement_date, engagement_score, total_events) values ('aaaaaaaa-0000-4000-8000-000000000001', '2026-01-01', 1, -1)$$,
  '23514', 'new row for relation "analytics_user_engagement" violates check constraint "analytics_user_engagement_total_events_check"',
  'a negative total is refused');
select throws_ok($$insert into analytics_user_engagement (user_id, engagement_date, engagement_score) values (null, '2026-01-01', 1)$$,
  '23502', null, 'an engagement row needs a user');

-- ---------------------------------------------------------------------------
-- Generated columns
-- ---------------------------------------------------------------------------
select is((select duration_seconds from analytics_sessions where session_id = 'sess-a1'), 630, 'duration_seconds = ended_at - started_at in seconds');
select is((select duration_seconds from analytics_sessions where session_id = 'sess-a2'), null::integer, 'duration_seconds is null while the session is open');
select is((select duration_seconds from analytics_sessions where session_id = 'sess-b1'), 0, 'a zero-length session lasts 0 seconds');
select is((select owner_key from analytics_sessions where session_id = 'sess-a1'), 'aaaaaaaa-0000-4000-8000-000000000001'::uuid, 'owner_key of a user session is the user id');
select is((select owner_key from analytics_sessions where session_id = 'sess-anon'), '00000000-0000-0000-0000-000000000000'::uuid, 'owner_key of an anonymous session is the nil uuid');
select throws_ok($$insert into analytics_sessions (session_id, is_bounce) values ('s-x', false)$$,
  '428C9', null, 'a generated column cannot be written');

-- ---------------------------------------------------------------------------
-- Session counters (maintained only by private.analytics_sessions_maintain_counts)
-- ---------------------------------------------------------------------------
insert into analytics_sessions (session_id, user_id, page_view_count, event_count)
  values ('sess-forged', 'aaaaaaaa-0000-4000-8000-000000000001', 99, 99);
select is((select (page_view_count, event_count)::text from analytics_sessions where session_id = 'sess-forged'), '(0,0)',
  'counters supplied on INSERT are ignored (a new session has no children)');
select is((select is_bounce from analytics_sessions where session_id = 'sess-a1'), true, 'a session without page views is a bounce');

insert into analytics_page_views (user_id, session_id, page_url, page_path, viewed_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'sess-a1', 'https://e.test/a', '/a', '2026-01-10 10:00:00+00'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'sess-a1', 'https://e.test/b', '/b', '2026-01-10 10:05:00+00');
select is((select page_view_count from analytics_sessions where session_id = 'sess-a1'), 2, 'inserting 2 page views counts 2');
select is((select is_bounce from analytics_sessions where session_id = 'sess-a1'), false, 'two page views: not a bounce');

set local role service_role;
update analytics_sessions set page_view_count = 50, event_count = 7, city = 'Lyon' where session_id = 'sess-a1';
reset role;
select is((select (page_view_count, event_count, city)::text from analytics_sessions where session_id = 'sess-a1'), '(2,0,Lyon)',
  'an API role''s UPDATE cannot change the counters (other columns do change)');

delete from analytics_page_views where session_id = 'sess-a1' and page_path = '/b';
select is((select (page_view_count, is_bounce)::text from analytics_sessions where session_id = 'sess-a1'), '(1,t)',
  'deleting a page view decrements the count; one page view is a bounce');

insert into analytics_events (user_id, session_id, event_type, occurred_at)
  select case when g % 2 = 0 then 'aaaaaaaa-0000-4000-8000-000000000001'::uuid end,
         case when g % 2 = 0 then 'sess-a2' else 'sess-anon' end,
         'bulk_event', now() - g * interval '1 minute'
    from generate_series(1, 100) g;
select is((select event_count from analytics_sessions where session_id = 'sess-a2'), 50, 'a bulk insert counts 50 events for one session');
select is((select event_count from analytics_sessions where session_id = 'sess-anon'), 50, 'and 50 for the other, in the same statement');

update analytics_events set session_id = 'sess-a1' where session_id = 'sess-a2' and occurred_at >= now() - interval '20 minutes';
select is((select array[(select event_count from analytics_sessions where session_id = 'sess-a1'),
                        (select event_count from analytics_sessions where session_id = 'sess-a2')]),
  array[10, 40], 'moving events to another session moves the counts');

delete from analytics_events where session_id = 'sess-anon';
select is((select event_count from analytics_sessions where session_id = 'sess-anon'), 0, 'deleting events decrements the count');
select is(
  (select count(*)::integer from analytics_sessions s
    where s.event_count <> (select count(*) from analytics_events e where e.session_id = s.session_id)
       or s.page_view_count <> (select count(*) from analytics_page_views v where v.session_id = s.session_id)),
  0, 'every session''s counters equal the real counts');

-- Repair path: the owner (as retention does after dropping a partition) may
-- change the counters; recount restores them.
update analytics_sessions set event_count = 999, page_view_count = 999 where session_id in ('sess-a1', 'sess-a2');
select is((select event_count from analytics_sessions where session_id = 'sess-a1'), 999, 'the table owner can change the counters (repair and retention code)');
set local role service_role;
select is(private.analytics_sessions_recount(array['sess-a1', 'sess-a2', 'sess-anon']), 2, 'recount corrects exactly the two broken sessions');
select is(private.analytics_sessions_recount(null), 0, 'a full recount finds nothing left to correct');
reset role;
select is((select array[event_count, page_view_count] from analytics_sessions where session_id = 'sess-a1'), array[10, 1], 'recount restored the real counts');

-- ---------------------------------------------------------------------------
-- updated_at
-- ---------------------------------------------------------------------------
insert into analytics_sessions (session_id, updated_at) values ('sess-old', '2000-01-01+00');
insert into analytics_events (id, event_type, occurred_at, updated_at)
  values ('0190c5a6-0000-7000-8000-000000000001', 'old_event', now() - interval '1 hour', '2000-01-01+00');
insert into analytics_page_views (id, session_id, page_url, page_path, updated_at)
  values ('0190c5a6-0000-7000-8000-000000000002', 'sess-anon', 'https://e.test/old', '/old', '2000-01-01+00');
insert into analytics_user_engagement (user_id, engagement_date, engagement_score, updated_at)
  values ('aaaaaaaa-0000-4000-8000-000000000001', '2025-12-01', 10, '2000-01-01+00');

update analytics_sessions set city = 'Paris' where session_id = 'sess-old';
update analytics_events set event_name = 'renamed' where id = '0190c5a6-0000-7000-8000-000000000001';
update analytics_page_views set page_title = 'Old' where id = '0190c5a6-0000-7000-8000-000000000002';
update analytics_user_engagement set engagement_score = 11 where engagement_date = '2025-12-01';
select is((select updated_at from analytics_sessions where session_id = 'sess-old'), now(), 'sessions: UPDATE refreshes updated_at');
select is((select updated_at from analytics_events where id = '0190c5a6-0000-7000-8000-000000000001'), now(), 'events (through the partition): UPDATE refreshes updated_at');
select is((select updated_at from analytics_page_views where id = '0190c5a6-0000-7000-8000-000000000002'), now(), 'page views: UPDATE refreshes updated_at');
select is((select updated_at from analytics_user_engagement where engagement_date = '2025-12-01'), now(), 'engagement: UPDATE refreshes updated_at');
select is((select created_at from analytics_sessions where session_id = 'sess-old'), now(), 'created_at defaults to the insert time');

-- ---------------------------------------------------------------------------
-- Defaults and cascades
-- ---------------------------------------------------------------------------
select is(
  (select substr(id::text, 15, 1) from analytics_events where event_type = 'page_scroll'), '7',
  'event ids default to UUID v7');
select is((select device_type::text from analytics_sessions where session_id = 'sess-old'), 'unknown', 'device_type defaults to unknown');

insert into analytics_events (user_id, session_id, event_type) values ('bbbbbbbb-0000-4000-8000-000000000002', 'sess-b1', 'click');
insert into analytics_page_views (user_id, session_id, page_url, page_path) values ('bbbbbbbb-0000-4000-8000-000000000002', 'sess-b1', 'https://e.test/', '/');
insert into analytics_user_engagement (user_id, engagement_date, engagement_score) values ('bbbbbbbb-0000-4000-8000-000000000002', '2026-01-10', 5);
delete from auth.users where id = 'bbbbbbbb-0000-4000-8000-000000000002';
select is(
  (select count(*)::integer from (
     select 1 from analytics_sessions where user_id = 'bbbbbbbb-0000-4000-8000-000000000002'
     union all select 1 from analytics_events where user_id = 'bbbbbbbb-0000-4000-8000-000000000002'
     union all select 1 from analytics_page_views where user_id = 'bbbbbbbb-0000-4000-8000-000000000002'
     union all select 1 from analytics_user_engagement where user_id = 'bbbbbbbb-0000-4000-8000-000000000002') r),
  0, 'deleting a user deletes their sessions, events, page views and engagement');
delete from analytics_sessions where session_id = 'sess-a2';
select is((select count(*)::integer from analytics_events where session_id = 'sess-a2'), 0, 'deleting a session deletes its events');

select * from finish();
rollback;
