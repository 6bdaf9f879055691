-- privacy_audit_logs: writers, the hash chain, immutability for every role
-- (owner included), tamper detection by verify_audit_chain(), pseudonyms and
-- the sanctioned de-identification, RLS, queries 15/16.
begin;
set search_path = public, extensions;
select plan(66);

insert into auth.users (id, email) values
  ('f0000000-0000-4000-8000-000000000001', 'alice@example.test'),
  ('f0000000-0000-4000-8000-000000000002', 'bob@example.test'),
  ('f0000000-0000-4000-8000-00000000000a', 'carol@example.test');

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
-- First broken link as text (or 'intact').
create function pg_temp.chain_state() returns text
language sql as $$
  select coalesce((select chain_position || ': ' || reason from verify_audit_chain()), 'intact')
$$;

-- Traffic: consents and a request (trigger-written), then service events.
select pg_temp.as_user('f0000000-0000-4000-8000-000000000001');
set local role authenticated;
insert into privacy_consent_records (user_id, consent_type, consent_status, consent_version, regulation, source)
values ('f0000000-0000-4000-8000-000000000001', 'analytics', 'granted', '2025-01', 'gdpr', 'banner'),
       ('f0000000-0000-4000-8000-000000000001', 'marketing', 'denied', '2025-01', 'gdpr', 'banner');
insert into privacy_data_requests (user_id, request_type, regulation)
values ('f0000000-0000-4000-8000-000000000001', 'access', 'gdpr');
reset role;
select pg_temp.as_user('f0000000-0000-4000-8000-000000000002');
set local role authenticated;
insert into privacy_consent_records (user_id, consent_type, consent_status, consent_version, regulation, source)
values ('f0000000-0000-4000-8000-000000000002', 'analytics', 'granted', '2025-01', 'ccpa', 'banner');
reset role;

-- ---------------------------------------------------------------------------
-- Writers: the logging function (service only) and triggers; no INSERT grant
-- ---------------------------------------------------------------------------
select pg_temp.as_nobody('service_role');
set local role service_role;
select isnt(
  log_privacy_event('user_data_viewed', 'data_access', 'f0000000-0000-4000-8000-000000000001',
                    p_details => '{"screen": "support"}', p_risk_level => 'medium'),
  null, 'service logs an event through log_privacy_event()');
select lives_ok(
  $$ select log_privacy_event('suspicious_export_volume', 'security', null, p_risk_level => 'critical',
                              p_compliance_status => 'needs_review') $$,
  'service logs a critical security event');
select throws_ok(
  $$ select log_privacy_event('Bad-Type', 'security') $$, '23514', null, 'event_type must be snake_case');
select throws_ok(
  $$ select log_privacy_event('bad_details', 'security', p_details => '[1, 2]') $$, '23514', null, 'details must be a JSON object');
select throws_ok(
  $$ select log_privacy_event('big_details', 'security', p_details => jsonb_build_object('blob', repeat(md5(random()::text), 2000))) $$,
  '23514', null, 'details are bounded in size');
select throws_ok(
  $$ select log_privacy_event('bad_target', 'security', p_target_table => 'Robert''); drop table x;--') $$,
  '23514', null, 'target_table must look like a table name');
select throws_ok(
  $$ insert into privacy_audit_logs (actor_role, event_type, event_category) values ('service_role', 'forged', 'security') $$,
  '42501', null, 'service cannot insert audit rows directly');
reset role;
select results_eq(
  $$ select actor_role, actor_id is null, risk_level::text from privacy_audit_logs where event_type = 'user_data_viewed' $$,
  $$ values ('service_role', true, 'medium') $$,
  'the actor of a service event is derived from the session, not passed in');

select pg_temp.as_user('f0000000-0000-4000-8000-000000000001');
set local role authenticated;
select throws_ok($$ select log_privacy_event('self_praise', 'security') $$, '42501', null,
  'users cannot call the logging function');
select throws_ok(
  $$ insert into privacy_audit_logs (actor_role, event_type, event_category) values ('authenticated', 'forged', 'security') $$,
  '42501', null, 'users cannot insert audit rows');
reset role;
select pg_temp.as_nobody('anon');
set local role anon;
select throws_ok($$ select log_privacy_event('anon_event', 'security') $$, '42501', null, 'anon cannot call the logging function');
select throws_ok(
  $$ insert into privacy_audit_logs (actor_role, event_type, event_category) values ('anon', 'forged', 'security') $$,
  '42501', null, 'anon cannot insert audit rows');
select throws_ok($$ select * from privacy_audit_logs $$, '42501', null, 'anon cannot read the audit log');
reset role;

-- The owner can insert, but the chain trigger decides every chain field.
insert into privacy_audit_logs (chain_position, prev_hash, row_hash, subject_ref, actor_role, event_type, event_category, details)
values (999, '\x00', '\x00', gen_random_uuid(), 'postgres', 'owner_note', 'policy_change', '{"note": "dpo review"}');
select results_eq(
  $$ select chain_position = (select count(*) from privacy_audit_logs), subject_ref is null, octet_length(row_hash)
       from privacy_audit_logs where event_type = 'owner_note' $$,
  $$ values (true, true, 32) $$,
  'supplied chain_position, prev_hash, row_hash and subject_ref are replaced by the chain trigger');
select throws_ok(
  $$ insert into privacy_audit_logs (actor_role, event_type, event_category, occurred_at)
     values ('postgres', 'future_event', 'security', now() + interval '1 hour') $$,
  'PV003', null, 'an audit row cannot be dated in the future');
insert into privacy_audit_logs (actor_role, event_type, event_category, occurred_at)
values ('postgres', 'backdated_event', 'security', now() - interval '1 year');
select is(
  (select occurred_at from privacy_audit_logs where event_type = 'backdated_event'),
  (select max(occurred_at) from privacy_audit_logs where event_type <> 'backdated_event'),
  'an audit row cannot be dated before its predecessor (raised to it): chain order is time order');
select throws_ok(
  $$ insert into privacy_audit_logs (actor_role, event_type, event_category) values (repeat('r', 65), 'long_role', 'security') $$,
  '23514', null, 'actor_role is bounded');

-- ---------------------------------------------------------------------------
-- The chain
-- ---------------------------------------------------------------------------
select results_eq(
  $$ select min(chain_position), max(chain_position), count(*) from privacy_audit_logs $$,
  $$ select 1::bigint, count(*)::bigint, count(*) from privacy_audit_logs $$,
  'chain positions run 1..n without gaps');
select is(
  (select prev_hash from privacy_audit_logs where chain_position = 1), null::bytea,
  'the genesis row has no prev_hash');
select is_empty(
  $$ select l.chain_position from privacy_audit_logs l
       join privacy_audit_logs p on p.chain_position = l.chain_position - 1
      where l.prev_hash is distinct from p.row_hash $$,
  'every row links to the row_hash of its predecessor');
select is(pg_temp.chain_state(), 'intact', 'verify_audit_chain() finds nothing wrong');
select results_eq(
  $$ select count(distinct l.subject_ref)::int, bool_and(l.subject_ref = s.id), bool_and(l.subject_ref <> l.user_id)
       from privacy_audit_logs l join private.audit_subjects s on s.user_id = l.user_id
      where l.user_id = 'f0000000-0000-4000-8000-000000000001' $$,
  $$ values (1, true, true) $$,
  'rows about a person carry one random pseudonym (subject_ref), not their id');
-- Fork prevention does not depend on the lock alone: positions are unique.
alter table privacy_audit_logs disable trigger privacy_audit_logs_chain;
select throws_ok(
  $$ insert into privacy_audit_logs (chain_position, row_hash, actor_role, event_type, event_category)
     values (1, '\x0000000000000000000000000000000000000000000000000000000000000000', 'postgres', 'fork', 'security') $$,
  '23505', null, 'a second row at an existing chain position is refused (no fork)');
alter table privacy_audit_logs enable trigger privacy_audit_logs_chain;

-- ---------------------------------------------------------------------------
-- Immutability: owner, service, admin
-- ---------------------------------------------------------------------------
select throws_ok($$ update privacy_audit_logs set details = '{}' $$, 'PV003', null, 'the owner cannot update audit rows');
select throws_ok($$ update privacy_audit_logs set risk_level = 'low' where risk_level = 'critical' $$, 'PV003', null,
  'the owner cannot downgrade a risk level');
select throws_ok($$ delete from privacy_audit_logs $$, 'PV003', null, 'the owner cannot delete audit rows');
select throws_ok($$ truncate privacy_audit_logs $$, 'PV003', null, 'the owner cannot truncate the audit log');
select throws_ok(
  $$ update privacy_audit_logs set user_id = null where user_id = 'f0000000-0000-4000-8000-000000000001' $$,
  'PV003', null, 'the owner cannot de-identify rows of a person who still exists');
select throws_ok(
  $$ update privacy_audit_logs set user_id = 'f0000000-0000-4000-8000-000000000002' where user_id = 'f0000000-0000-4000-8000-000000000001' $$,
  'PV003', null, 'the owner cannot re-attribute rows to another person');
select set_config('privacy.audit_retention_cutoff', '2000-01-01', true);
select throws_ok($$ delete from privacy_audit_logs $$, 'PV003', null,
  'a forged retention cutoff does not let anyone delete rows newer than it');
select set_config('privacy.audit_retention_cutoff', '', true);

select pg_temp.as_nobody('service_role');
set local role service_role;
select throws_ok($$ update privacy_audit_logs set details = '{}' $$, '42501', null, 'service cannot update audit rows');
select throws_ok($$ delete from privacy_audit_logs $$, '42501', null, 'service cannot delete audit rows');
select throws_ok($$ truncate privacy_audit_logs $$, '42501', null, 'service cannot truncate the audit log');
reset role;
select pg_temp.as_user('f0000000-0000-4000-8000-00000000000a', true);
set local role authenticated;
select throws_ok($$ update privacy_audit_logs set details = '{}' $$, '42501', null, 'an admin cannot update audit rows');
select throws_ok($$ delete from privacy_audit_logs $$, '42501', null, 'an admin cannot delete audit rows');
select throws_ok($$ truncate privacy_audit_logs $$, '42501', null, 'an admin cannot truncate the audit log');
reset role;
-- Defence in depth: even a mistaken grant does not open the table.
grant update, delete on privacy_audit_logs to service_role;
select pg_temp.as_nobody('service_role');
set local role service_role;
select throws_ok($$ update privacy_audit_logs set details = '{}' $$, 'PV003', null,
  'with a stray UPDATE grant, service is still refused by the trigger');
select throws_ok($$ delete from privacy_audit_logs $$, 'PV003', null,
  'with a stray DELETE grant, service is still refused by the trigger');
reset role;
revoke update, delete on privacy_audit_logs from service_role;
select is(pg_temp.chain_state(), 'intact', 'the chain is intact after all refused attempts');

-- ---------------------------------------------------------------------------
-- RLS and verify_audit_chain() access
-- ---------------------------------------------------------------------------
select is(
  (select count(*)::int from privacy_audit_logs where user_id = 'f0000000-0000-4000-8000-000000000001'),
  4, 'alice is the subject of 4 audit rows (2 consents, 1 request, 1 data view)');
select pg_temp.as_user('f0000000-0000-4000-8000-000000000001');
set local role authenticated;
select results_eq(
  $$ select count(*)::int, count(*) filter (where user_id = 'f0000000-0000-4000-8000-000000000001')::int from privacy_audit_logs $$,
  $$ values (4, 4) $$,
  'a user sees exactly the audit rows about them');
select throws_ok($$ select * from verify_audit_chain() $$, '42501', null, 'a user cannot run the chain verification');
reset role;
select pg_temp.as_user('f0000000-0000-4000-8000-00000000000a', true);
set local role authenticated;
select is((select count(*)::int from privacy_audit_logs), (select count(*)::int from privacy_audit_logs),
  'an admin sees every audit row');
select is_empty($$ select * from verify_audit_chain() $$, 'an admin runs the chain verification');
reset role;
select pg_temp.as_nobody('service_role');
set local role service_role;
select is_empty($$ select * from verify_audit_chain() $$, 'service runs the chain verification');
reset role;

-- ---------------------------------------------------------------------------
-- Tamper detection (a superuser disables the guard, edits, re-enables)
-- ---------------------------------------------------------------------------
create temporary table saved_rows as select * from privacy_audit_logs;
create function pg_temp.restore_row(p_position bigint) returns void
language plpgsql as $$
begin
  alter table privacy_audit_logs disable trigger privacy_audit_logs_block_update;
  alter table privacy_audit_logs disable trigger privacy_audit_logs_chain;
  delete from privacy_audit_logs where chain_position = p_position;
  insert into privacy_audit_logs select * from saved_rows where chain_position = p_position;
  alter table privacy_audit_logs enable trigger privacy_audit_logs_chain;
  alter table privacy_audit_logs enable trigger privacy_audit_logs_block_update;
end $$;

alter table privacy_audit_logs disable trigger privacy_audit_logs_block_update;
update privacy_audit_logs set details = details || '{"edited": true}' where chain_position = 3;
alter table privacy_audit_logs enable trigger privacy_audit_logs_block_update;
select is(pg_temp.chain_state(), '3: row_hash does not match the row content (row modified)',
  'an edited details object is found');
select pg_temp.restore_row(3);
select is(pg_temp.chain_state(), 'intact', '... and the restored row verifies again');

alter table privacy_audit_logs disable trigger privacy_audit_logs_block_update;
update privacy_audit_logs set risk_level = 'low' where risk_level = 'critical';
alter table privacy_audit_logs enable trigger privacy_audit_logs_block_update;
select matches(pg_temp.chain_state(), 'row_hash does not match', 'a downgraded risk level is found');
select pg_temp.restore_row((select chain_position from saved_rows where risk_level = 'critical'));

alter table privacy_audit_logs disable trigger privacy_audit_logs_block_update;
update privacy_audit_logs set user_id = 'f0000000-0000-4000-8000-000000000002' where chain_position = 1;
alter table privacy_audit_logs enable trigger privacy_audit_logs_block_update;
select is(pg_temp.chain_state(), '1: user_id does not match the hashed subject pseudonym (user_id rewritten)',
  'a row re-attributed to another person is found (user_id is bound through the pseudonym)');
select pg_temp.restore_row(1);

-- The attacker also recomputes the row's own hash: the next link breaks.
alter table privacy_audit_logs disable trigger privacy_audit_logs_block_update;
update privacy_audit_logs l set details = '{"consent_type": "nothing"}' where chain_position = 2;
update privacy_audit_logs l
   set row_hash = private.audit_row_hash(l.prev_hash, l.chain_position, l.id, l.subject_ref, l.actor_ref, l.actor_role,
                                         l.event_type, l.event_category, l.compliance_status, l.risk_level,
                                         l.regulation, l.target_table, l.target_id, l.details, l.occurred_at)
 where chain_position = 2;
alter table privacy_audit_logs enable trigger privacy_audit_logs_block_update;
select is(pg_temp.chain_state(), '3: prev_hash does not match the row_hash of the previous row',
  'a re-hashed edit is found at the next link');
select pg_temp.restore_row(2);
select is(pg_temp.chain_state(), 'intact', 'restored');

alter table privacy_audit_logs disable trigger privacy_audit_logs_block_update;
delete from privacy_audit_logs where chain_position = 4;
alter table privacy_audit_logs enable trigger privacy_audit_logs_block_update;
select is(pg_temp.chain_state(), '5: gap in the chain: expected position 4, found 5 (rows deleted)',
  'a deleted row in the middle is found');
select pg_temp.restore_row(4);

alter table privacy_audit_logs disable trigger privacy_audit_logs_block_update;
delete from privacy_audit_logs where chain_position = 1;
alter table privacy_audit_logs enable trigger privacy_audit_logs_block_update;
select is(pg_temp.chain_state(), '2: first row is at position 2, expected 1: rows are missing at the start of the chain',
  'a deleted first row is found');
select pg_temp.restore_row(1);
select is(pg_temp.chain_state(), 'intact', 'restored');

-- Cutting the tail is invisible to the chain alone; an external anchor finds it.
create temporary table anchor as select * from privacy_audit_chain_head();
alter table privacy_audit_logs disable trigger privacy_audit_logs_block_update;
delete from privacy_audit_logs where chain_position = (select chain_position from anchor);
alter table privacy_audit_logs enable trigger privacy_audit_logs_block_update;
select is(pg_temp.chain_state(), 'intact', 'a truncated tail leaves an internally consistent chain ...');
select results_eq(
  $$ select chain_position, reason from verify_audit_chain(
       (select chain_position from anchor), decode((select row_hash from anchor), 'hex')) $$,
  $$ select chain_position, 'externally anchored position is missing from the chain (rows deleted at the end)'::text from anchor $$,
  '... which the externally anchored head detects');
select pg_temp.restore_row((select chain_position from anchor));
select is_empty(
  $$ select * from verify_audit_chain((select chain_position from anchor), decode((select row_hash from anchor), 'hex')) $$,
  'the anchored verification passes on the intact chain');
select results_eq(
  $$ select chain_position from verify_audit_chain((select chain_position from anchor), '\x00') $$,
  $$ select chain_position from anchor $$,
  'an anchor hash that does not match is reported');

-- ---------------------------------------------------------------------------
-- The sanctioned de-identification: the person is deleted
-- ---------------------------------------------------------------------------
create temporary table bob_rows as
  select id, subject_ref from privacy_audit_logs where user_id = 'f0000000-0000-4000-8000-000000000002';
delete from auth.users where id = 'f0000000-0000-4000-8000-000000000002';
select results_eq(
  $$ select count(*)::int, count(*) filter (where l.user_id is null and l.actor_id is null and l.subject_ref = b.subject_ref)::int
       from privacy_audit_logs l join bob_rows b using (id) $$,
  $$ select count(*)::int, count(*)::int from bob_rows $$,
  'deleting a person clears user_id/actor_id on their audit rows; the hashed pseudonym stays');
select is_empty(
  $$ select 1 from private.audit_subjects where user_id = 'f0000000-0000-4000-8000-000000000002' $$,
  'the person''s pseudonym mapping is gone: the rows link to nobody');
select is(pg_temp.chain_state(), 'intact', 'the chain still verifies after the de-identification');
select throws_ok(
  $$ update privacy_audit_logs set subject_ref = null where id in (select id from bob_rows) $$,
  'PV003', null, 'de-identified rows remain immutable');

-- ---------------------------------------------------------------------------
-- Queries 15 and 16
-- ---------------------------------------------------------------------------
set local enable_seqscan = off;
select matches(
  pg_temp.full_plan($$ select * from privacy_audit_logs where user_id = 'f0000000-0000-4000-8000-000000000001' order by occurred_at desc limit 50 $$),
  'privacy_audit_logs_user_id_occurred_at_idx',
  'query 15 (a subject''s audit trail, newest first) uses the (user_id, occurred_at) index');
select matches(
  pg_temp.full_plan($$ select * from privacy_audit_logs where risk_level in ('high', 'critical') and occurred_at > now() - interval '7 days' $$),
  'privacy_audit_logs_recent_high_risk_idx',
  'query 16 (high/critical events in 7 days) uses the partial high-risk index (00008: usable under RLS too)');
reset enable_seqscan;

-- ---------------------------------------------------------------------------
-- Pruning without run_retention: a forged checkpoint is not enough
-- ---------------------------------------------------------------------------
alter table privacy_audit_logs disable trigger privacy_audit_logs_block_update;
delete from privacy_audit_logs where chain_position <= 2;
alter table privacy_audit_logs enable trigger privacy_audit_logs_block_update;
insert into private.audit_chain_checkpoints (through_position, through_hash, rows_removed, cutoff)
select chain_position, row_hash, 2, now() from saved_rows where chain_position = 2;
select is(pg_temp.chain_state(), '2: latest retention checkpoint is not recorded by an audit_log_pruned event in the chain',
  'a checkpoint forged to hide deleted rows is found (no chained pruning event vouches for it)');
select throws_ok($$ delete from private.audit_chain_checkpoints $$, 'PV003', null, 'checkpoints cannot be deleted');

select * from finish();
rollback;
