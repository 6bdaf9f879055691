-- export_user_data() and erase_user_data(): the whole story. After erasure
-- the export holds nothing personal, the audit rows no longer identify the
-- person, the chain still verifies, and nobody can rewrite audit rows.
begin;
set search_path = public, extensions;
select plan(45);

insert into auth.users (id, email, raw_user_meta_data) values
  ('a1000000-0000-4000-8000-000000000001', 'alice@example.test', '{"display_name": "Alice A."}'),
  ('a1000000-0000-4000-8000-000000000002', 'bob@example.test', '{}');

create function pg_temp.as_user(p_sub text, p_admin boolean default false) returns text
language sql as $$
  select set_config('request.jwt.claims',
    json_build_object('sub', p_sub, 'role', 'authenticated',
                      'app_metadata', case when p_admin then json_build_object('role', 'admin') else '{}'::json end)::text,
    true)
$$;
create function pg_temp.as_nobody(p_role text) returns text
language sql as $$ select set_config('request.jwt.claims', json_build_object('role', p_role)::text, true) $$;

-- Analytics for both users (as the owner: this suite is about compliance).
insert into analytics_sessions (session_id, user_id, started_at, device_type, country)
values ('alice-session-1', 'a1000000-0000-4000-8000-000000000001', now() - interval '2 hours', 'desktop', 'DE'),
       ('bob-session-1', 'a1000000-0000-4000-8000-000000000002', now() - interval '3 hours', 'mobile', 'US');
insert into analytics_events (user_id, session_id, event_type, event_data, occurred_at)
values ('a1000000-0000-4000-8000-000000000001', 'alice-session-1', 'page_click', '{"button": "buy"}', now() - interval '100 minutes'),
       ('a1000000-0000-4000-8000-000000000001', 'alice-session-1', 'form_submit', '{}', now() - interval '90 minutes'),
       ('a1000000-0000-4000-8000-000000000002', 'bob-session-1', 'page_click', '{}', now() - interval '150 minutes');
insert into analytics_page_views (user_id, session_id, page_url, page_path, viewed_at)
values ('a1000000-0000-4000-8000-000000000001', 'alice-session-1', 'https://shop.example/checkout', '/checkout', now() - interval '95 minutes'),
       ('a1000000-0000-4000-8000-000000000002', 'bob-session-1', 'https://shop.example/', '/', now() - interval '150 minutes');
insert into analytics_user_engagement (user_id, engagement_date, engagement_score)
values ('a1000000-0000-4000-8000-000000000001', current_date, 42.5),
       ('a1000000-0000-4000-8000-000000000002', current_date, 10);

-- Alice's consents and requests, written by Alice.
select pg_temp.as_user('a1000000-0000-4000-8000-000000000001');
set local role authenticated;
insert into privacy_consent_records (user_id, consent_type, consent_status, consent_version, regulation, source)
values ('a1000000-0000-4000-8000-000000000001', 'analytics', 'granted', '2025-01', 'gdpr', 'banner'),
       ('a1000000-0000-4000-8000-000000000001', 'marketing', 'denied', '2025-01', 'gdpr', 'banner');
insert into privacy_data_requests (id, user_id, request_type, regulation)
values ('a2000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', 'access', 'gdpr'),
       ('a2000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001', 'erasure', 'gdpr');
reset role;
-- Bob's request (received by e-mail, entered by the owner without claims),
-- handled by Alice acting as an admin: she is the actor of a row about Bob.
select set_config('request.jwt.claims', '', true);
insert into privacy_data_requests (id, user_id, request_type, regulation)
values ('a2000000-0000-4000-8000-000000000003', 'a1000000-0000-4000-8000-000000000002', 'access', 'ccpa');
select pg_temp.as_user('a1000000-0000-4000-8000-000000000001', true);
set local role authenticated;
update privacy_data_requests set request_status = 'verified', verification_method = 'email'
 where id = 'a2000000-0000-4000-8000-000000000003';
reset role;
-- The service works Alice's requests.
select pg_temp.as_nobody('service_role');
set local role service_role;
update privacy_data_requests set request_status = 'verified', verification_method = 'account_login'
 where id in ('a2000000-0000-4000-8000-000000000001', 'a2000000-0000-4000-8000-000000000002');
update privacy_data_requests set request_status = 'in_progress'
 where id in ('a2000000-0000-4000-8000-000000000001', 'a2000000-0000-4000-8000-000000000002');
update privacy_data_requests set export_location = 's3://exports/alice.json', export_expires_at = now() + interval '7 days'
 where id = 'a2000000-0000-4000-8000-000000000001';
reset role;

-- ---------------------------------------------------------------------------
-- Who may call
-- ---------------------------------------------------------------------------
select pg_temp.as_user('a1000000-0000-4000-8000-000000000001', true);
set local role authenticated;
select throws_ok($$ select export_user_data('a1000000-0000-4000-8000-000000000001') $$, '42501', null,
  'an authenticated user (even an admin) cannot call export_user_data');
select throws_ok($$ select erase_user_data('a1000000-0000-4000-8000-000000000002') $$, '42501', null,
  'an authenticated user (even an admin) cannot call erase_user_data');
reset role;
select pg_temp.as_nobody('anon');
set local role anon;
select throws_ok($$ select export_user_data('a1000000-0000-4000-8000-000000000001') $$, '42501', null, 'anon cannot export');
select throws_ok($$ select erase_user_data('a1000000-0000-4000-8000-000000000001') $$, '42501', null, 'anon cannot erase');
reset role;

-- ---------------------------------------------------------------------------
-- Export
-- ---------------------------------------------------------------------------
select pg_temp.as_nobody('service_role');
set local role service_role;
create temporary table export_before as select export_user_data('a1000000-0000-4000-8000-000000000001') as doc;
reset role;
select results_eq(
  $$ select doc ->> 'format', (doc ->> 'format_version')::int, doc -> 'account' ->> 'email',
            doc -> 'account' -> 'user_metadata' ->> 'display_name' from export_before $$,
  $$ values ('schemaproof.user_data_export', 1, 'alice@example.test', 'Alice A.') $$,
  'the export is one versioned document with the account basics');
select results_eq(
  $$ select jsonb_array_length(doc -> 'analytics_sessions'), jsonb_array_length(doc -> 'analytics_events'),
            jsonb_array_length(doc -> 'analytics_page_views'), jsonb_array_length(doc -> 'analytics_user_engagement'),
            jsonb_array_length(doc -> 'privacy_consent_records'), jsonb_array_length(doc -> 'privacy_data_requests')
       from export_before $$,
  $$ values (1, 2, 1, 1, 2, 2) $$,
  'the export holds every row the schema has about the user');
select is(
  (select jsonb_array_length(doc -> 'privacy_audit_logs') from export_before),
  (select count(*)::int from privacy_audit_logs
    where user_id = 'a1000000-0000-4000-8000-000000000001' and event_type <> 'user_data_exported'),
  'the export holds the audit events about the user (its own export event is logged after it)');
select ok(
  (select doc::text not like '%bob%' and doc::text not like '%a1000000-0000-4000-8000-000000000002%' from export_before),
  'the export holds nothing about anyone else');
select results_eq(
  $$ select array(select jsonb_object_keys(doc -> 'account') order by 1) from export_before $$,
  $$ values (array['app_metadata', 'created_at', 'email', 'id', 'is_anonymous', 'phone', 'updated_at', 'user_metadata']) $$,
  'account columns are whitelisted (no secrets from auth.users)');
select ok(
  (select not (doc -> 'privacy_audit_logs' -> 0 ?| array['actor_id', 'actor_ref', 'subject_ref', 'row_hash', 'prev_hash'])
     from export_before),
  'audit events are exported without chain internals or staff identities');
select ok(
  (select not (doc -> 'analytics_events' -> 0 ? 'owner_key') from export_before),
  'internal columns (owner_key) are not exported');
select results_eq(
  $$ select l.event_category::text, l.user_id from privacy_audit_logs l where l.event_type = 'user_data_exported' $$,
  $$ values ('data_export', 'a1000000-0000-4000-8000-000000000001'::uuid) $$,
  'the export itself is logged');

-- ---------------------------------------------------------------------------
-- Erasure
-- ---------------------------------------------------------------------------
create temporary table bob_before as
  select (select count(*) from analytics_sessions where user_id = 'a1000000-0000-4000-8000-000000000002') as sessions,
         (select count(*) from analytics_events where user_id = 'a1000000-0000-4000-8000-000000000002') as events,
         (select count(*) from analytics_page_views where user_id = 'a1000000-0000-4000-8000-000000000002') as page_views,
         (select count(*) from analytics_user_engagement where user_id = 'a1000000-0000-4000-8000-000000000002') as engagement;
create temporary table alice_audit as
  select id, subject_ref, actor_ref, user_id, actor_id from privacy_audit_logs
   where user_id = 'a1000000-0000-4000-8000-000000000001' or actor_id = 'a1000000-0000-4000-8000-000000000001';
create temporary table alice_consents as
  select id from privacy_consent_records where user_id = 'a1000000-0000-4000-8000-000000000001';
create temporary table alice_pseudonym as
  select id from private.audit_subjects where user_id = 'a1000000-0000-4000-8000-000000000001';

select pg_temp.as_nobody('service_role');
set local role service_role;
create temporary table erase_result as select erase_user_data('a1000000-0000-4000-8000-000000000001') as summary;
reset role;
select results_eq(
  $$ select t.key, t.value ->> 'action', (t.value ->> 'rows')::int
       from erase_result, jsonb_each(summary -> 'tables') t order by t.key $$,
  $$ values ('analytics_events', 'deleted', 2), ('analytics_page_views', 'deleted', 1),
            ('analytics_sessions', 'deleted', 1), ('analytics_user_engagement', 'deleted', 1),
            ('auth.users', 'deleted', 1), ('privacy_audit_logs', 'de-identified', (select count(*)::int from alice_audit)),
            ('privacy_consent_records', 'pseudonymised', 2), ('privacy_data_requests', 'detached', 2) $$,
  'erase_user_data returns what it did, per table');

-- After erasure the export holds nothing personal.
select pg_temp.as_nobody('service_role');
set local role service_role;
create temporary table export_after as select export_user_data('a1000000-0000-4000-8000-000000000001') as doc;
reset role;
select is((select doc -> 'account' from export_after), 'null'::jsonb, 'after erasure the export has no account');
select is(
  (select array_agg(key order by key) from export_after, jsonb_each(doc) where jsonb_typeof(value) = 'array' and value <> '[]'::jsonb),
  null::text[], 'after erasure every section of the export is empty');
select ok(
  (select doc::text not like '%alice%' and doc::text not like '%Alice%' and doc::text not like '%alice-session%' from export_after),
  'after erasure the export mentions nothing of the person but the id it was asked about');

-- Analytics: gone for Alice, untouched for Bob.
select results_eq(
  $$ select (select count(*) from analytics_sessions where user_id = 'a1000000-0000-4000-8000-000000000001'),
            (select count(*) from analytics_events where user_id = 'a1000000-0000-4000-8000-000000000001'),
            (select count(*) from analytics_page_views where user_id = 'a1000000-0000-4000-8000-000000000001'),
            (select count(*) from analytics_user_engagement where user_id = 'a1000000-0000-4000-8000-000000000001') $$,
  $$ values (0::bigint, 0::bigint, 0::bigint, 0::bigint) $$,
  'the person''s analytics rows are deleted');
select results_eq(
  $$ select (select count(*) from analytics_sessions where user_id = 'a1000000-0000-4000-8000-000000000002'),
            (select count(*) from analytics_events where user_id = 'a1000000-0000-4000-8000-000000000002'),
            (select count(*) from analytics_page_views where user_id = 'a1000000-0000-4000-8000-000000000002'),
            (select count(*) from analytics_user_engagement where user_id = 'a1000000-0000-4000-8000-000000000002') $$,
  $$ select sessions, events, page_views, engagement from bob_before $$,
  'another person''s analytics rows are untouched');
select is_empty($$ select 1 from auth.users where id = 'a1000000-0000-4000-8000-000000000001' $$, 'the account is deleted');

-- Consents: the proof stays, pseudonymised.
select results_eq(
  $$ select count(*)::int, count(*) filter (where c.user_id is null and c.anonymous_id = 'erased:' || (select id from alice_pseudonym))::int
       from privacy_consent_records c join alice_consents using (id) $$,
  $$ values (2, 2) $$,
  'consent records are kept as proof, under the erased person''s pseudonym');
select results_eq(
  $$ select consent_type::text, consent_status::text, consent_version from privacy_consent_records c join alice_consents using (id) order by 1 $$,
  $$ values ('analytics', 'granted', '2025-01'), ('marketing', 'denied', '2025-01') $$,
  '... with what was consented to, and when, intact');

-- Requests: kept, detached, export link gone.
select results_eq(
  $$ select id, user_id, export_location, request_status::text from privacy_data_requests
      where id in ('a2000000-0000-4000-8000-000000000001', 'a2000000-0000-4000-8000-000000000002') order by id $$,
  $$ values ('a2000000-0000-4000-8000-000000000001'::uuid, null::uuid, null::text, 'in_progress'),
            ('a2000000-0000-4000-8000-000000000002'::uuid, null::uuid, null::text, 'in_progress') $$,
  'the person''s requests are kept without user_id or export link');
select is(
  (select user_id from privacy_data_requests where id = 'a2000000-0000-4000-8000-000000000003'),
  'a1000000-0000-4000-8000-000000000002'::uuid, 'another person''s request keeps its subject');

-- Audit: nothing identifies Alice any more; the hashed pseudonyms are untouched.
select is_empty(
  $$ select id from privacy_audit_logs
      where user_id = 'a1000000-0000-4000-8000-000000000001' or actor_id = 'a1000000-0000-4000-8000-000000000001'
         or details::text like '%a1000000-0000-4000-8000-000000000001%' or details::text like '%alice%' $$,
  'no audit row names the erased person (user_id, actor_id or details)');
select results_eq(
  $$ select count(*)::int, count(*) filter (where l.subject_ref is not distinct from a.subject_ref
                                                  and l.actor_ref is not distinct from a.actor_ref)::int
       from privacy_audit_logs l join alice_audit a using (id) $$,
  $$ select count(*)::int, count(*)::int from alice_audit $$,
  'every audit row about the person is still there with its hashed pseudonyms');
select is_empty(
  $$ select 1 from private.audit_subjects where id = (select id from alice_pseudonym) $$,
  'the pseudonym mapping is deleted: the pseudonym links to nobody');
select results_eq(
  $$ select l.user_id, l.actor_id is null from privacy_audit_logs l join alice_audit a using (id)
      where a.user_id = 'a1000000-0000-4000-8000-000000000002' $$,
  $$ values ('a1000000-0000-4000-8000-000000000002'::uuid, true) $$,
  'rows where the person was only the actor keep their own subject and lose the actor');
select results_eq(
  $$ select user_id, event_category::text, subject_ref = (select id from alice_pseudonym), (details -> 'tables' -> 'analytics_events' ->> 'rows')::int
       from privacy_audit_logs where event_type = 'user_data_erased' $$,
  $$ values (null::uuid, 'data_deletion', true, 2) $$,
  'the erasure is logged, naming only the orphaned pseudonym');
select is_empty($$ select * from verify_audit_chain() $$, 'verify_audit_chain() passes after the erasure');

-- Nobody may rewrite audit rows afterwards.
select throws_ok(
  $$ update privacy_audit_logs set subject_ref = null where id in (select id from alice_audit) $$,
  'PV003', null, 'the owner cannot strip the pseudonyms either');
select throws_ok(
  $$ update privacy_audit_logs set user_id = null where user_id = 'a1000000-0000-4000-8000-000000000002' $$,
  'PV003', null, 'nor de-identify someone who was not erased');
select pg_temp.as_nobody('service_role');
set local role service_role;
select throws_ok($$ update privacy_audit_logs set details = '{}' $$, '42501', null, 'service cannot rewrite audit rows');
select throws_ok(
  $$ update privacy_consent_records set anonymous_id = 'x' where id in (select id from alice_consents) $$,
  '42501', null, 'service cannot rewrite the pseudonymised consent records');

-- The workflow goes on: the erasure request is completed, logged without a subject.
select lives_ok(
  $$ update privacy_data_requests set request_status = 'completed' where id = 'a2000000-0000-4000-8000-000000000002' $$,
  'the erasure request is completed after the erasure');
reset role;
select is(
  (select user_id from privacy_audit_logs
    where target_id = 'a2000000-0000-4000-8000-000000000002' and event_type = 'data_request_completed'),
  null::uuid, 'its completion is logged without identifying anyone');

-- Idempotent, and safe for an unknown id.
select pg_temp.as_nobody('service_role');
set local role service_role;
create temporary table erase_again as select erase_user_data('a1000000-0000-4000-8000-000000000001') as summary;
select throws_ok($$ select erase_user_data(null) $$, '22004', null, 'erase_user_data(null) is refused');
select throws_ok($$ select export_user_data(null) $$, '22004', null, 'export_user_data(null) is refused');
reset role;
select results_eq(
  $$ select (summary ->> 'account_found')::boolean,
            (select sum((t.value ->> 'rows')::int) from jsonb_each(summary -> 'tables') t)::int
       from erase_again $$,
  $$ values (false, 0) $$,
  'erasing again finds nothing to do');
select ok(
  (select bool_and(l.user_id is null and l.details::text not like '%a1000000-0000-4000-8000-000000000001%')
     from privacy_audit_logs l
    where l.chain_position >= (select min(chain_position) from privacy_audit_logs where event_type = 'user_data_erased')),
  'log rows written after the erasure do not name the erased id');
select is_empty($$ select * from verify_audit_chain() $$, 'the chain verifies at the end');

-- Bob is erased by deleting the account directly (e.g. the auth admin API):
-- the FKs take the same sanctioned path.
delete from auth.users where id = 'a1000000-0000-4000-8000-000000000002';
select is_empty(
  $$ select 1 from privacy_audit_logs where user_id is not null or actor_id is not null $$,
  'deleting the auth user directly de-identifies the audit rows too');
select is(
  (select user_id from privacy_data_requests where id = 'a2000000-0000-4000-8000-000000000003'),
  null::uuid, 'and detaches the requests');
select is_empty(
  $$ select 1 from analytics_sessions union all select 1 from analytics_page_views
     union all select 1 from analytics_user_engagement union all select 1 from analytics_events $$,
  'and cascades the analytics rows');
select is_empty($$ select * from verify_audit_chain() $$, 'the chain still verifies');
select pg_temp.as_nobody('service_role');
set local role service_role;
select is(
  (select export_user_data('a1000000-0000-4000-8000-000000000002') -> 'account'), 'null'::jsonb,
  'the export of the deleted account is empty too');
reset role;

select * from finish();
rollback;
