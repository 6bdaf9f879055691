-- privacy_consent_records: access matrix, checks, append-only guard, current
-- consent lookup (queries 11/12), audit logging, de-identification on erasure.
begin;
set search_path = public, extensions;
select plan(57);

-- Actors: alice and bob are users, carol is an admin.
insert into auth.users (id, email) values
  ('b0000000-0000-4000-8000-000000000001', 'alice@example.test'),
  ('b0000000-0000-4000-8000-000000000002', 'bob@example.test'),
  ('b0000000-0000-4000-8000-00000000000a', 'carol@example.test');

create function pg_temp.as_user(p_sub text, p_admin boolean default false) returns text
language sql as $$
  select set_config('request.jwt.claims',
    json_build_object('sub', p_sub, 'role', 'authenticated',
                      'app_metadata', case when p_admin then json_build_object('role', 'admin') else '{}'::json end)::text,
    true)
$$;
create function pg_temp.as_nobody(p_role text) returns text
language sql as $$ select set_config('request.jwt.claims', json_build_object('role', p_role)::text, true) $$;
create function pg_temp.full_plan(p_query text) returns text
language plpgsql as $$
declare r record; v text := '';
begin
  for r in execute 'explain (costs off) ' || p_query loop v := v || r."QUERY PLAN" || E'\n'; end loop;
  return v;
end $$;

-- ---------------------------------------------------------------------------
-- Users: insert own, nothing else
-- ---------------------------------------------------------------------------
select pg_temp.as_user('b0000000-0000-4000-8000-000000000001');
set local role authenticated;
select lives_ok(
  $$ insert into privacy_consent_records (user_id, consent_type, consent_status, consent_version, regulation, source)
     values ('b0000000-0000-4000-8000-000000000001', 'marketing', 'granted', '2025-01', 'gdpr', 'banner') $$,
  'a user records their own consent');
select lives_ok(
  $$ insert into privacy_consent_records (user_id, consent_type, consent_status, consent_version, regulation, source, recorded_at)
     values ('b0000000-0000-4000-8000-000000000001', 'analytics', 'granted', '2025-01', 'gdpr', 'banner', '2001-01-01') $$,
  'a user may send recorded_at ...');
select throws_ok(
  $$ insert into privacy_consent_records (user_id, consent_type, consent_status, consent_version, regulation, source)
     values ('b0000000-0000-4000-8000-000000000002', 'marketing', 'granted', '2025-01', 'gdpr', 'banner') $$,
  '42501', null, 'a user cannot record consent for someone else');
select throws_ok(
  $$ insert into privacy_consent_records (anonymous_id, consent_type, consent_status, consent_version, regulation, source)
     values ('cookie-alice', 'marketing', 'granted', '2025-01', 'gdpr', 'banner') $$,
  '42501', null, 'a signed-in user cannot write anonymous consent rows');
select throws_ok(
  $$ update privacy_consent_records set consent_status = 'denied' $$,
  '42501', null, 'users cannot update consent records');
select throws_ok(
  $$ delete from privacy_consent_records $$,
  '42501', null, 'users cannot delete consent records');
select results_eq(
  $$ select count(*)::int, count(distinct user_id)::int from privacy_consent_records $$,
  $$ values (2, 1) $$,
  'a user sees exactly their own consent rows');
reset role;
select ok(
  (select recorded_at > now() - interval '1 minute' from privacy_consent_records
    where user_id = 'b0000000-0000-4000-8000-000000000001' and consent_type = 'analytics'),
  '... but a user-written recorded_at is replaced by server time (no backdated proof)');

-- ---------------------------------------------------------------------------
-- Anonymous visitors: insert without user_id only
-- ---------------------------------------------------------------------------
select pg_temp.as_nobody('anon');
set local role anon;
select lives_ok(
  $$ insert into privacy_consent_records (anonymous_id, consent_type, consent_status, consent_version, regulation, source)
     values ('cookie-123', 'analytics', 'denied', '2025-01', 'gdpr', 'banner') $$,
  'anon records consent under an anonymous_id');
select throws_ok(
  $$ insert into privacy_consent_records (user_id, consent_type, consent_status, consent_version, regulation, source)
     values ('b0000000-0000-4000-8000-000000000001', 'marketing', 'denied', '2025-01', 'gdpr', 'banner') $$,
  '42501', null, 'anon cannot record consent for a user');
select throws_ok($$ select * from privacy_consent_records $$, '42501', null, 'anon cannot read consent records');
select throws_ok($$ select * from privacy_current_consents $$, '42501', null, 'anon cannot read current consents');
reset role;

-- ---------------------------------------------------------------------------
-- Service role: select and insert (imports keep their timestamps), no U/D
-- ---------------------------------------------------------------------------
select pg_temp.as_nobody('service_role');
set local role service_role;
select lives_ok(
  $$ insert into privacy_consent_records (user_id, consent_type, consent_status, consent_version, regulation, source, recorded_at)
     values ('b0000000-0000-4000-8000-000000000002', 'marketing', 'granted', '2024-11', 'ccpa', 'import', now() - interval '10 days') $$,
  'service imports a consent record');
select throws_ok($$ update privacy_consent_records set consent_version = '2025-02' $$, '42501', null,
  'service cannot update consent records');
select throws_ok($$ delete from privacy_consent_records $$, '42501', null, 'service cannot delete consent records');
reset role;
select ok(
  (select recorded_at = now() - interval '10 days' from privacy_consent_records
    where user_id = 'b0000000-0000-4000-8000-000000000002' and consent_type = 'marketing'),
  'an imported recorded_at is kept');

-- ---------------------------------------------------------------------------
-- Append-only even for the table owner
-- ---------------------------------------------------------------------------
select throws_ok($$ update privacy_consent_records set consent_version = '2025-02' $$, 'PV002', null,
  'the owner cannot update consent records');
select throws_ok($$ delete from privacy_consent_records $$, 'PV002', null, 'the owner cannot delete consent records');
select throws_ok($$ truncate privacy_consent_records $$, 'PV002', null, 'the owner cannot truncate consent records');
select throws_ok(
  $$ update privacy_consent_records set user_id = null where user_id = 'b0000000-0000-4000-8000-000000000001' $$,
  'PV002', null, 'clearing user_id of a person who still exists is refused (only erasure may)');

-- ---------------------------------------------------------------------------
-- CHECK constraints and the insert trigger
-- ---------------------------------------------------------------------------
select throws_ok(
  $$ insert into privacy_consent_records (consent_type, consent_status, consent_version, regulation, source)
     values ('analytics', 'granted', '2025-01', 'gdpr', 'banner') $$,
  '23514', null, 'a consent record needs a user_id or an anonymous_id');
select throws_ok(
  $$ insert into privacy_consent_records (anonymous_id, consent_type, consent_status, consent_version, regulation, source)
     values ('not a token', 'analytics', 'granted', '2025-01', 'gdpr', 'banner') $$,
  '23514', null, 'anonymous_id must be a token (no spaces)');
select throws_ok(
  $$ insert into privacy_consent_records (anonymous_id, consent_type, consent_status, consent_version, regulation, source)
     values ('c-1', 'analytics', 'granted', '2025-13', 'gdpr', 'banner') $$,
  '23514', null, 'consent_version month must be 01-12');
select throws_ok(
  $$ insert into privacy_consent_records (anonymous_id, consent_type, consent_status, consent_version, regulation, source)
     values ('c-1', 'analytics', 'granted', 'v2', 'gdpr', 'banner') $$,
  '23514', null, 'consent_version must look like YYYY-MM');
select throws_ok(
  $$ insert into privacy_consent_records (anonymous_id, consent_type, consent_status, consent_version, regulation, source)
     values ('c-1', 'analytics', 'granted', '2025-01.x', 'gdpr', 'banner') $$,
  '23514', null, 'a consent_version revision must be numeric');
select lives_ok(
  $$ insert into privacy_consent_records (anonymous_id, consent_type, consent_status, consent_version, regulation, source)
     values ('c-1', 'analytics', 'granted', '2025-01.2', 'gdpr', 'banner') $$,
  'consent_version YYYY-MM.N is accepted');
select throws_ok(
  $$ insert into privacy_consent_records (anonymous_id, consent_type, consent_status, consent_version, regulation, source, recorded_at, expires_at)
     values ('c-1', 'analytics', 'granted', '2025-01', 'gdpr', 'banner', now(), now() - interval '1 day') $$,
  '23514', null, 'expires_at must be after recorded_at');
select throws_ok(
  $$ insert into privacy_consent_records (anonymous_id, consent_type, consent_status, consent_version, regulation, source, withdrawn_at)
     values ('c-1', 'analytics', 'granted', '2025-01', 'gdpr', 'banner', now()) $$,
  '23514', null, 'withdrawn_at only on a withdrawn record');
select lives_ok(
  $$ insert into privacy_consent_records (anonymous_id, consent_type, consent_status, consent_version, regulation, source, recorded_at)
     values ('c-2', 'functional', 'withdrawn', '2025-01', 'gdpr', 'banner', '2025-03-01 10:00+00') $$,
  'a withdrawn record without withdrawn_at is accepted ...');
select is(
  (select withdrawn_at from privacy_consent_records where anonymous_id = 'c-2'),
  '2025-03-01 10:00+00'::timestamptz,
  '... and withdrawn_at defaults to recorded_at');
select throws_ok(
  $$ insert into privacy_consent_records (id, anonymous_id, consent_type, consent_status, consent_version, regulation, source, supersedes_id)
     values ('c0000000-0000-4000-8000-000000000001', 'c-3', 'analytics', 'granted', '2025-01', 'gdpr', 'banner',
             'c0000000-0000-4000-8000-000000000001') $$,
  '23514', null, 'a record cannot supersede itself');
select throws_ok(
  $$ insert into privacy_consent_records (user_id, consent_type, consent_status, consent_version, regulation, source, supersedes_id)
     select 'b0000000-0000-4000-8000-000000000002', 'marketing', 'withdrawn', '2025-01', 'gdpr', 'api', c.id
       from privacy_consent_records c where c.user_id = 'b0000000-0000-4000-8000-000000000001' and c.consent_type = 'marketing' $$,
  '23514', null, 'a record cannot supersede another subject''s record');
select throws_ok(
  $$ insert into privacy_consent_records (user_id, consent_type, consent_status, consent_version, regulation, source, supersedes_id)
     select 'b0000000-0000-4000-8000-000000000001', 'personalization', 'granted', '2025-01', 'gdpr', 'api', c.id
       from privacy_consent_records c where c.user_id = 'b0000000-0000-4000-8000-000000000001' and c.consent_type = 'marketing' $$,
  '23514', null, 'a record cannot supersede a record of another consent type');
select throws_ok(
  $$ insert into privacy_consent_records (user_id, consent_type, consent_status, consent_version, regulation, source, supersedes_id, recorded_at)
     select 'b0000000-0000-4000-8000-000000000002', 'marketing', 'withdrawn', '2025-01', 'ccpa', 'import', c.id, now() - interval '20 days'
       from privacy_consent_records c where c.user_id = 'b0000000-0000-4000-8000-000000000002' and c.consent_type = 'marketing' $$,
  '23514', null, 'a record cannot supersede a later record');
select throws_ok(
  $$ insert into privacy_consent_records (anonymous_id, consent_type, consent_status, consent_version, regulation, source, supersedes_id)
     values ('c-4', 'analytics', 'granted', '2025-01', 'gdpr', 'banner', 'c0000000-0000-4000-8000-0000000000ff') $$,
  '23503', null, 'supersedes_id must reference an existing record');
select throws_ok(
  $$ insert into privacy_consent_records (anonymous_id, consent_type, consent_status, consent_version, regulation, source)
     values ('c-5', 'cookies', 'granted', '2025-01', 'gdpr', 'banner') $$,
  '22P02', null, 'consent_type is a closed vocabulary');

-- ---------------------------------------------------------------------------
-- Current consent (view privacy_current_consents)
-- ---------------------------------------------------------------------------
-- alice withdraws marketing, superseding her grant.
select pg_temp.as_user('b0000000-0000-4000-8000-000000000001');
set local role authenticated;
select lives_ok(
  $$ insert into privacy_consent_records (user_id, consent_type, consent_status, consent_version, regulation, source, supersedes_id)
     select 'b0000000-0000-4000-8000-000000000001', 'marketing', 'withdrawn', '2025-01', 'gdpr', 'settings_page', c.id
       from privacy_consent_records c
      where c.user_id = 'b0000000-0000-4000-8000-000000000001' and c.consent_type = 'marketing' $$,
  'alice withdraws marketing consent (superseding her grant)');
select results_eq(
  $$ select consent_type::text, consent_status::text, effective_status::text from privacy_current_consents
      where user_id = 'b0000000-0000-4000-8000-000000000001' order by consent_type $$,
  $$ values ('analytics', 'granted', 'granted'), ('marketing', 'withdrawn', 'withdrawn') $$,
  'alice''s current consent per type is her latest decision');
select is((select count(distinct user_id)::int from privacy_current_consents), 1,
  'a user sees only their own current consents');
reset role;

-- bob: an expired personalization grant, plus two decisions recorded in the same instant.
insert into privacy_consent_records (user_id, consent_type, consent_status, consent_version, regulation, source, recorded_at, expires_at)
values ('b0000000-0000-4000-8000-000000000002', 'personalization', 'granted', '2025-01', 'gdpr', 'api',
        now() - interval '2 days', now() - interval '1 day');
insert into privacy_consent_records (user_id, consent_type, consent_status, consent_version, regulation, source, recorded_at)
values ('b0000000-0000-4000-8000-000000000002', 'functional', 'granted', '2025-01', 'gdpr', 'api', '2025-05-05 12:00+00'),
       ('b0000000-0000-4000-8000-000000000002', 'functional', 'denied', '2025-01', 'gdpr', 'api', '2025-05-05 12:00+00');
select is(
  (select effective_status::text from privacy_current_consents
    where user_id = 'b0000000-0000-4000-8000-000000000002' and consent_type = 'personalization'),
  'expired', 'a grant past expires_at is effectively expired');
select is(
  (select count(*)::int from privacy_current_consents
    where user_id = 'b0000000-0000-4000-8000-000000000002' and consent_type = 'functional'),
  1, 'decisions recorded in the same instant still give one current row (tie broken by id)');

select pg_temp.as_user('b0000000-0000-4000-8000-00000000000a', true);
set local role authenticated;
select results_eq(
  $$ select user_id from privacy_current_consents
      where consent_type = 'marketing' and effective_status = 'granted' order by user_id $$,
  $$ values ('b0000000-0000-4000-8000-000000000002'::uuid) $$,
  'query 12: an admin lists everyone whose current marketing consent is granted');
select is((select count(distinct user_id)::int from privacy_current_consents), 2,
  'an admin sees the current consents of all users');
reset role;

-- Queries 11 and 12 are index-backed (planner forbidden to seq scan: the
-- index must be usable for the query shape).
set local enable_seqscan = off;
set local enable_bitmapscan = off;
select matches(
  pg_temp.full_plan($$ select * from privacy_current_consents where user_id = 'b0000000-0000-4000-8000-000000000001' $$),
  'privacy_consent_records_user_id_consent_type_recorded_at_id_idx',
  'query 11 (a user''s current consent per type) uses the (user_id, consent_type, recorded_at) index');
select matches(
  pg_temp.full_plan($$ select user_id from privacy_current_consents where consent_type = 'marketing' and effective_status = 'granted' $$),
  'privacy_consent_records_consent_type_user_id_recorded_at_id_idx',
  'query 12 (current marketing grants) uses the (consent_type, user_id, recorded_at) index');
select doesnt_match(
  pg_temp.full_plan($$ select user_id from privacy_current_consents where consent_type = 'marketing' and effective_status = 'granted' $$),
  'Sort',
  'query 12 needs no sort: the index delivers DISTINCT ON order');
select matches(
  pg_temp.full_plan($$ select user_id, recorded_at from privacy_current_consents where consent_type = 'marketing' and effective_status = 'granted' $$),
  'Index Only Scan using privacy_consent_records_consent_type_user_id_recorded_at_id_idx',
  'query 12 is index-only: the status columns are included in the index');
reset enable_seqscan;
reset enable_bitmapscan;

-- ---------------------------------------------------------------------------
-- Every consent decision is audited
-- ---------------------------------------------------------------------------
select is(
  (select count(*)::int from privacy_consent_records c
    where exists (select 1 from privacy_audit_logs l
                   where l.target_table = 'privacy_consent_records' and l.target_id = c.id
                     and l.event_type = 'consent_' || c.consent_status::text and l.event_category = 'consent')),
  (select count(*)::int from privacy_consent_records),
  'every consent record has its consent_<status> audit event');
select is(
  (select count(*)::int from privacy_audit_logs where target_table = 'privacy_consent_records'),
  (select count(*)::int from privacy_consent_records),
  '... exactly one per record');
select results_eq(
  $$ select l.user_id, l.actor_id, l.actor_role, l.regulation::text, l.details ->> 'consent_type'
       from privacy_audit_logs l join privacy_consent_records c on c.id = l.target_id
      where c.user_id = 'b0000000-0000-4000-8000-000000000001' and c.consent_status = 'withdrawn' $$,
  $$ values ('b0000000-0000-4000-8000-000000000001'::uuid, 'b0000000-0000-4000-8000-000000000001'::uuid,
             'authenticated', 'gdpr', 'marketing') $$,
  'a user''s withdrawal is logged with subject, actor, role, regulation and type');
select results_eq(
  $$ select l.user_id is null, l.actor_role, l.details::text like '%cookie-123%'
       from privacy_audit_logs l join privacy_consent_records c on c.id = l.target_id
      where c.anonymous_id = 'cookie-123' $$,
  $$ values (true, 'anon', false) $$,
  'an anonymous decision is logged by role anon without copying the anonymous_id');
select is(
  (select l.actor_role from privacy_audit_logs l join privacy_consent_records c on c.id = l.target_id
    where c.user_id = 'b0000000-0000-4000-8000-000000000002' and c.source = 'import'),
  'service_role', 'a service import is logged as service_role');
select is_empty($$ select * from verify_audit_chain() $$, 'the audit chain is intact after the consent traffic');

-- ---------------------------------------------------------------------------
-- Erasure by deleting the auth user: proof kept, person gone
-- ---------------------------------------------------------------------------
create temporary table bob_consents as
  select id from privacy_consent_records where user_id = 'b0000000-0000-4000-8000-000000000002';
delete from auth.users where id = 'b0000000-0000-4000-8000-000000000002';
select is(
  (select count(*)::int from privacy_consent_records c join bob_consents b using (id)
    where c.user_id is null and c.anonymous_id like 'erased:%'),
  (select count(*)::int from bob_consents),
  'deleting a user keeps their consent records, pseudonymised as erased:<pseudonym>');
select is(
  (select count(distinct c.anonymous_id)::int from privacy_consent_records c join bob_consents b using (id)),
  1, 'an erased person''s records share one pseudonym');
select throws_ok(
  $$ update privacy_consent_records set anonymous_id = 'someone-else' where anonymous_id like 'erased:%' $$,
  'PV002', null, 'pseudonymised records stay append-only');
select is_empty($$ select * from verify_audit_chain() $$, 'the audit chain is intact after the erasure');

select * from finish();
rollback;
