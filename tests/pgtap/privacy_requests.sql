-- privacy_data_requests: deadlines per regulation, access matrix, the state
-- machine, column rules, checks, audit logging, queries 13/14.
begin;
set search_path = public, extensions;
select plan(75);

insert into auth.users (id, email) values
  ('d0000000-0000-4000-8000-000000000001', 'alice@example.test'),
  ('d0000000-0000-4000-8000-000000000002', 'bob@example.test'),
  ('d0000000-0000-4000-8000-00000000000a', 'carol@example.test');

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
-- Fixed request ids, so statements can name them.
create function pg_temp.req(p_n int) returns uuid
language sql immutable as $$ select ('e0000000-0000-4000-8000-' || lpad(p_n::text, 12, '0'))::uuid $$;

-- ---------------------------------------------------------------------------
-- Deadlines: generated from submitted_at and regulation, in UTC
-- ---------------------------------------------------------------------------
insert into privacy_data_requests (id, user_id, request_type, regulation, submitted_at)
values (pg_temp.req(1), 'd0000000-0000-4000-8000-000000000002', 'access', 'gdpr', '2025-03-01 00:00+00'),
       (pg_temp.req(2), 'd0000000-0000-4000-8000-000000000002', 'access', 'uk_gdpr', '2025-03-01 00:00+00'),
       (pg_temp.req(3), 'd0000000-0000-4000-8000-000000000002', 'ccpa_know', 'ccpa', '2025-03-01 00:00+00'),
       (pg_temp.req(4), 'd0000000-0000-4000-8000-000000000002', 'ccpa_delete', 'cpra', '2025-03-01 00:00+00'),
       (pg_temp.req(5), 'd0000000-0000-4000-8000-000000000002', 'access', 'lgpd', '2025-03-01 00:00+00');
select results_eq(
  $$ select regulation::text, due_at - submitted_at, effective_due_at = due_at from privacy_data_requests
      where id in (pg_temp.req(1), pg_temp.req(2), pg_temp.req(3), pg_temp.req(4), pg_temp.req(5)) order by regulation $$,
  $$ values ('ccpa', interval '45 days', true), ('cpra', interval '45 days', true), ('gdpr', interval '30 days', true),
            ('lgpd', interval '15 days', true), ('uk_gdpr', interval '30 days', true) $$,
  'due_at = submitted_at + 30 days (GDPR, UK GDPR), 45 days (CCPA, CPRA), 15 days (LGPD); no extension: effective = due');
set local timezone = 'Europe/Berlin';
insert into privacy_data_requests (id, user_id, request_type, regulation, submitted_at)
values (pg_temp.req(6), 'd0000000-0000-4000-8000-000000000002', 'access', 'gdpr', '2025-03-20 12:00+00');
select is((select due_at from privacy_data_requests where id = pg_temp.req(6)), '2025-04-19 12:00+00'::timestamptz,
  'a deadline across a DST change is exactly 30 x 24 h, whatever the session time zone');
reset timezone;
select throws_ok(
  $$ insert into privacy_data_requests (user_id, request_type, regulation, due_at)
     values ('d0000000-0000-4000-8000-000000000002', 'access', 'gdpr', now() + interval '1 year') $$,
  '428C9', null, 'due_at cannot be written (generated)');

-- ---------------------------------------------------------------------------
-- Users: open own requests in the initial status, cancel while pending
-- ---------------------------------------------------------------------------
select pg_temp.as_user('d0000000-0000-4000-8000-000000000001');
set local role authenticated;
select lives_ok(
  $$ insert into privacy_data_requests (id, user_id, request_type, regulation, verification_method, submitted_at)
     values (pg_temp.req(10), 'd0000000-0000-4000-8000-000000000001', 'access', 'gdpr', 'account_login', '2020-01-01') $$,
  'a user opens a request for themselves');
select lives_ok(
  $$ insert into privacy_data_requests (id, user_id, request_type, regulation)
     values (pg_temp.req(11), 'd0000000-0000-4000-8000-000000000001', 'erasure', 'gdpr'),
            (pg_temp.req(12), 'd0000000-0000-4000-8000-000000000001', 'portability', 'gdpr') $$,
  'a user opens more requests');
select throws_ok(
  $$ insert into privacy_data_requests (user_id, request_type, regulation)
     values ('d0000000-0000-4000-8000-000000000002', 'access', 'gdpr') $$,
  '42501', null, 'a user cannot open a request for someone else');
select throws_ok(
  $$ insert into privacy_data_requests (user_id, request_type, regulation, request_status, verification_method)
     values ('d0000000-0000-4000-8000-000000000001', 'access', 'gdpr', 'verified', 'email') $$,
  '42501', null, 'a user cannot open a request in a later status');
select throws_ok(
  $$ insert into privacy_data_requests (user_id, request_type, regulation, legal_review_notes)
     values ('d0000000-0000-4000-8000-000000000001', 'access', 'gdpr', 'self-approved') $$,
  '42501', null, 'a user cannot set workflow fields');
select is((select count(*)::int from privacy_data_requests), 3, 'a user sees only their own requests');
select lives_ok(
  $$ update privacy_data_requests set request_status = 'cancelled' where id = pg_temp.req(12) $$,
  'a user cancels their own pending request');
select throws_ok(
  $$ update privacy_data_requests set request_status = 'verified' where id = pg_temp.req(10) $$,
  '42501', null, 'a user cannot verify their own request');
select throws_ok(
  $$ update privacy_data_requests set request_status = 'completed' where id = pg_temp.req(10) $$,
  '42501', null, 'a user attempting an illegal transition gets a permission error (no state-machine details)');
select throws_ok(
  $$ update privacy_data_requests set legal_review_notes = 'fine' where id = pg_temp.req(10) $$,
  '42501', null, 'a user cannot write workflow columns');
select throws_ok(
  $$ update privacy_data_requests set request_type = 'erasure' where id = pg_temp.req(10) $$,
  '42501', null, 'a user cannot change request_type (no column privilege)');
select throws_ok(
  $$ update privacy_data_requests set user_id = 'd0000000-0000-4000-8000-000000000002' where id = pg_temp.req(10) $$,
  '42501', null, 'a user cannot move a request to someone else');
update privacy_data_requests set request_status = 'cancelled' where id = pg_temp.req(1);
select throws_ok($$ delete from privacy_data_requests $$, '42501', null, 'a user cannot delete requests');
reset role;
select results_eq(
  $$ select id, request_status::text from privacy_data_requests where id in (pg_temp.req(1), pg_temp.req(12)) order by id $$,
  $$ values (pg_temp.req(1), 'pending_verification'), (pg_temp.req(12), 'cancelled') $$,
  'the user''s own cancel worked; cancelling someone else''s request changed nothing');
select ok(
  (select submitted_at > now() - interval '1 minute' from privacy_data_requests where id = pg_temp.req(10)),
  'a user cannot backdate submitted_at (the deadline runs from receipt)');

select pg_temp.as_nobody('anon');
set local role anon;
select throws_ok($$ select * from privacy_data_requests $$, '42501', null, 'anon cannot read requests');
select throws_ok(
  $$ insert into privacy_data_requests (request_type, regulation) values ('access', 'gdpr') $$,
  '42501', null, 'anon cannot open requests');
reset role;

-- ---------------------------------------------------------------------------
-- Admin workflow and the state machine
-- ---------------------------------------------------------------------------
select pg_temp.as_user('d0000000-0000-4000-8000-00000000000a', true);
set local role authenticated;
select cmp_ok((select count(*)::int from privacy_data_requests), '>=', 9, 'an admin sees every request');
select lives_ok(
  $$ update privacy_data_requests set request_status = 'verified', verification_method = 'email' where id = pg_temp.req(10) $$,
  'an admin verifies a request');
select throws_ok(
  $$ update privacy_data_requests set request_status = 'verified' where id = pg_temp.req(11) $$,
  '23514', null, 'verifying without a verification method is refused');
select lives_ok($$ update privacy_data_requests set request_status = 'in_progress' where id = pg_temp.req(10) $$, 'verified -> in_progress');
select lives_ok(
  $$ update privacy_data_requests set request_status = 'legal_review', legal_review_notes = 'check third-party data' where id = pg_temp.req(10) $$,
  'in_progress -> legal_review');
select lives_ok($$ update privacy_data_requests set request_status = 'in_progress' where id = pg_temp.req(10) $$, 'legal_review -> in_progress');
select lives_ok(
  $$ update privacy_data_requests set export_location = 's3://exports/req-10.json', export_expires_at = now() + interval '7 days'
      where id = pg_temp.req(10) $$,
  'an access request gets an export link');
select lives_ok($$ update privacy_data_requests set request_status = 'completed' where id = pg_temp.req(10) $$, 'in_progress -> completed');
reset role;
select results_eq(
  $$ select verified_at is not null, completed_at is not null, verification_method::text
       from privacy_data_requests where id = pg_temp.req(10) $$,
  $$ values (true, true, 'email') $$,
  'verified_at and completed_at are stamped by the transitions');

-- Illegal transitions (service role: privileges are not what stops them).
insert into privacy_data_requests (id, user_id, request_type, regulation, request_status, verification_method, rejection_reason)
values (pg_temp.req(20), 'd0000000-0000-4000-8000-000000000002', 'access', 'gdpr', 'pending_verification', null, null),
       (pg_temp.req(21), 'd0000000-0000-4000-8000-000000000002', 'access', 'gdpr', 'verified', 'email', null),
       (pg_temp.req(22), 'd0000000-0000-4000-8000-000000000002', 'access', 'gdpr', 'in_progress', 'email', null),
       (pg_temp.req(23), 'd0000000-0000-4000-8000-000000000002', 'access', 'gdpr', 'rejected', null, 'identity not verifiable');
select pg_temp.as_nobody('service_role');
set local role service_role;
select throws_ok($$ update privacy_data_requests set request_status = 'completed' where id = pg_temp.req(20) $$, 'PV001',
  'illegal privacy_data_requests status transition: pending_verification -> completed',
  'pending_verification -> completed is refused with a clear message');
select throws_ok($$ update privacy_data_requests set request_status = 'in_progress' where id = pg_temp.req(20) $$, 'PV001', null,
  'pending_verification -> in_progress is refused');
select throws_ok($$ update privacy_data_requests set request_status = 'completed' where id = pg_temp.req(21) $$, 'PV001', null,
  'verified -> completed is refused');
select throws_ok($$ update privacy_data_requests set request_status = 'legal_review' where id = pg_temp.req(21) $$, 'PV001', null,
  'verified -> legal_review is refused');
select throws_ok($$ update privacy_data_requests set request_status = 'verified' where id = pg_temp.req(22) $$, 'PV001', null,
  'in_progress -> verified is refused');
select throws_ok($$ update privacy_data_requests set request_status = 'cancelled' where id = pg_temp.req(22) $$, 'PV001', null,
  'in_progress -> cancelled is refused');
select throws_ok($$ update privacy_data_requests set request_status = 'in_progress' where id = pg_temp.req(10) $$, 'PV001', null,
  'completed is terminal');
select throws_ok($$ update privacy_data_requests set request_status = 'pending_verification' where id = pg_temp.req(12) $$, 'PV001', null,
  'cancelled is terminal');
select throws_ok($$ update privacy_data_requests set request_status = 'verified', verification_method = 'email', rejection_reason = null where id = pg_temp.req(23) $$, 'PV001', null,
  'rejected is terminal');
select throws_ok($$ update privacy_data_requests set request_status = 'rejected' where id = pg_temp.req(21) $$, '23514', null,
  'rejecting without a reason is refused');
select lives_ok($$ update privacy_data_requests set request_status = 'rejected', rejection_reason = 'duplicate request' where id = pg_temp.req(21) $$,
  'verified -> rejected with a reason');
select throws_ok($$ update privacy_data_requests set rejection_reason = 'no' where id = pg_temp.req(22) $$, '23514', null,
  'a rejection reason on a request that is not rejected is refused');
select lives_ok($$ update privacy_data_requests set request_status = 'verified', verification_method = 'sms' where id = pg_temp.req(20) $$,
  'pending_verification -> verified (service)');

-- Column rules
select throws_ok($$ update privacy_data_requests set request_type = 'erasure' where id = pg_temp.req(22) $$, 'PV004', null,
  'request_type is immutable');
select throws_ok($$ update privacy_data_requests set regulation = 'ccpa' where id = pg_temp.req(22) $$, 'PV004', null,
  'regulation is immutable (it fixes the deadline)');
select throws_ok($$ update privacy_data_requests set submitted_at = now() - interval '1 day' where id = pg_temp.req(22) $$, 'PV004', null,
  'submitted_at is immutable');
select throws_ok($$ update privacy_data_requests set user_id = 'd0000000-0000-4000-8000-000000000001' where id = pg_temp.req(22) $$, 'PV004', null,
  'a request cannot be moved to another person');
select throws_ok($$ update privacy_data_requests set user_id = null where id = pg_temp.req(22) $$, 'PV004', null,
  'user_id cannot be cleared while the person exists');
select throws_ok($$ update privacy_data_requests set verified_at = now() - interval '1 hour' where id = pg_temp.req(22) $$, 'PV004', null,
  'verified_at is only set by the transition to verified');
select throws_ok($$ update privacy_data_requests set legal_review_notes = 'late note' where id = pg_temp.req(10) $$, 'PV004', null,
  'a completed request is frozen');
select throws_ok($$ delete from privacy_data_requests where id = pg_temp.req(22) $$, '42501', null,
  'service cannot delete requests');
reset role;
select throws_ok($$ delete from privacy_data_requests where id = pg_temp.req(22) $$, 'PV004', null,
  'even the owner cannot delete requests');
select throws_ok($$ truncate privacy_data_requests $$, 'PV004', null, 'nor truncate them');

-- ---------------------------------------------------------------------------
-- Extensions and exports
-- ---------------------------------------------------------------------------
insert into privacy_data_requests (id, user_id, request_type, regulation, submitted_at)
values (pg_temp.req(30), 'd0000000-0000-4000-8000-000000000002', 'access', 'gdpr', '2025-01-10 00:00+00'),
       (pg_temp.req(31), 'd0000000-0000-4000-8000-000000000002', 'ccpa_know', 'ccpa', '2025-01-10 00:00+00'),
       (pg_temp.req(32), 'd0000000-0000-4000-8000-000000000002', 'access', 'lgpd', '2025-01-10 00:00+00');
select throws_ok(
  $$ update privacy_data_requests set extended_due_at = due_at + interval '2 months 1 day', extension_reason = 'complex' where id = pg_temp.req(30) $$,
  '23514', null, 'a GDPR extension beyond two further months is refused');
select lives_ok(
  $$ update privacy_data_requests set extended_due_at = due_at + interval '2 months', extension_reason = 'complex request' where id = pg_temp.req(30) $$,
  'a GDPR extension of two months is accepted');
select is((select effective_due_at from privacy_data_requests where id = pg_temp.req(30)), '2025-04-09 00:00+00'::timestamptz,
  'the extended deadline is in force (30 days + 2 months)');
select throws_ok(
  $$ update privacy_data_requests set extended_due_at = due_at + interval '46 days', extension_reason = 'complex' where id = pg_temp.req(31) $$,
  '23514', null, 'a CCPA extension beyond 45 days is refused');
select lives_ok(
  $$ update privacy_data_requests set extended_due_at = due_at + interval '45 days', extension_reason = 'complex' where id = pg_temp.req(31) $$,
  'a CCPA extension of 45 days is accepted');
select throws_ok(
  $$ update privacy_data_requests set extended_due_at = due_at + interval '1 day', extension_reason = 'complex' where id = pg_temp.req(32) $$,
  '23514', null, 'LGPD allows no extension');
select throws_ok(
  $$ update privacy_data_requests set extended_due_at = due_at + interval '1 day' where id = pg_temp.req(32) $$,
  '23514', null, 'an extension needs a reason');
select throws_ok(
  $$ update privacy_data_requests set extended_due_at = due_at - interval '1 day', extension_reason = 'x' where id = pg_temp.req(20) $$,
  '23514', null, 'an extension must be later than the statutory deadline');
select throws_ok(
  $$ update privacy_data_requests set export_location = 's3://x', export_expires_at = now() + interval '1 day' where id = pg_temp.req(11) $$,
  '23514', null, 'an erasure request has no export');
select throws_ok(
  $$ update privacy_data_requests set export_location = 's3://x' where id = pg_temp.req(30) $$,
  '23514', null, 'an export link needs an expiry');

-- A late completion.
insert into privacy_data_requests (id, user_id, request_type, regulation, submitted_at, request_status, verification_method)
values (pg_temp.req(40), 'd0000000-0000-4000-8000-000000000002', 'erasure', 'gdpr', now() - interval '40 days', 'in_progress', 'email');
update privacy_data_requests set request_status = 'completed' where id = pg_temp.req(40);
-- An overdue open request and a fresh one.
insert into privacy_data_requests (id, user_id, request_type, regulation, submitted_at)
values (pg_temp.req(41), 'd0000000-0000-4000-8000-000000000002', 'ccpa_delete', 'ccpa', now() - interval '60 days'),
       (pg_temp.req(42), 'd0000000-0000-4000-8000-000000000002', 'ccpa_opt_out', 'ccpa', now());

-- ---------------------------------------------------------------------------
-- Audit: every request and every transition is logged
-- ---------------------------------------------------------------------------
select is(
  (select count(*)::int from privacy_data_requests r
    where not exists (select 1 from privacy_audit_logs l where l.target_id = r.id and l.event_type = 'data_request_submitted')),
  0, 'every request has a data_request_submitted event');
select results_eq(
  $$ select l.event_type, l.details ->> 'from', l.details ->> 'to', l.actor_role
       from privacy_audit_logs l where l.target_id = pg_temp.req(10) order by l.chain_position $$,
  $$ values ('data_request_submitted', null, null, 'authenticated'),
            ('data_request_verified', 'pending_verification', 'verified', 'admin'),
            ('data_request_in_progress', 'verified', 'in_progress', 'admin'),
            ('data_request_legal_review', 'in_progress', 'legal_review', 'admin'),
            ('data_request_in_progress', 'legal_review', 'in_progress', 'admin'),
            ('data_request_completed', 'in_progress', 'completed', 'admin') $$,
  'the full history of a request is in the audit log, in order, with from/to and actor role');
select results_eq(
  $$ select l.event_type, l.actor_id, l.user_id from privacy_audit_logs l
      where l.target_id = pg_temp.req(12) order by l.chain_position $$,
  $$ values ('data_request_submitted', 'd0000000-0000-4000-8000-000000000001'::uuid, 'd0000000-0000-4000-8000-000000000001'::uuid),
            ('data_request_cancelled', 'd0000000-0000-4000-8000-000000000001'::uuid, 'd0000000-0000-4000-8000-000000000001'::uuid) $$,
  'a user''s cancellation is logged with the user as actor and subject');
select results_eq(
  $$ select l.risk_level::text, l.compliance_status::text, (l.details ->> 'late')::boolean
       from privacy_audit_logs l where l.target_id = pg_temp.req(40) and l.event_type = 'data_request_completed' $$,
  $$ values ('high', 'non_compliant', true) $$,
  'a completion after the deadline is logged as high risk, non-compliant');
select results_eq(
  $$ select l.risk_level::text, l.compliance_status::text from privacy_audit_logs l
      where l.target_id = pg_temp.req(21) and l.event_type = 'data_request_rejected' $$,
  $$ values ('medium', 'needs_review') $$,
  'a rejection is logged for review');
select is(
  (select count(*)::int from privacy_audit_logs l
    where l.target_id in (pg_temp.req(30), pg_temp.req(31)) and l.event_type = 'data_request_deadline_extended'),
  2, 'deadline extensions are logged');
select is(
  (select count(*)::int from privacy_audit_logs l where l.target_id = pg_temp.req(22) and l.event_type <> 'data_request_submitted'),
  0, 'refused transitions leave no trace in the log');
select is_empty($$ select * from verify_audit_chain() $$, 'the audit chain is intact after the request traffic');

-- ---------------------------------------------------------------------------
-- Queries 13 and 14
-- ---------------------------------------------------------------------------
select pg_temp.as_user('d0000000-0000-4000-8000-00000000000a', true);
set local role authenticated;
select ok(
  (select bool_and(request_status in ('pending_verification', 'verified', 'in_progress', 'legal_review'))
     from privacy_open_data_requests),
  'the open-requests view lists only non-terminal requests');
select results_eq(
  $$ select id, is_overdue from privacy_open_data_requests where id in (pg_temp.req(41), pg_temp.req(42), pg_temp.req(30))
      order by effective_due_at $$,
  $$ values (pg_temp.req(30), true), (pg_temp.req(41), true), (pg_temp.req(42), false) $$,
  'query 13: open requests by deadline in force, with the overdue flag (an extended deadline counts)');
reset role;
set local enable_seqscan = off;
select matches(
  pg_temp.full_plan($$ select * from privacy_open_data_requests order by effective_due_at limit 50 $$),
  'privacy_data_requests_open_effective_due_at_idx',
  'query 13 uses the partial index on open requests');
select matches(
  pg_temp.full_plan($$ select * from privacy_data_requests where user_id = 'd0000000-0000-4000-8000-000000000001' order by submitted_at desc $$),
  'privacy_data_requests_user_id_submitted_at_idx',
  'query 14 uses the (user_id, submitted_at) index');
reset enable_seqscan;

-- ---------------------------------------------------------------------------
-- The request outlives the person
-- ---------------------------------------------------------------------------
delete from auth.users where id = 'd0000000-0000-4000-8000-000000000002';
select is(
  (select count(*)::int from privacy_data_requests where id = pg_temp.req(40) and user_id is null),
  1, 'deleting the user keeps the request with user_id NULL');

select * from finish();
rollback;
