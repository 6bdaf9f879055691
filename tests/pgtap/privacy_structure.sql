-- Structure of the privacy area: tables, columns, types, defaults, keys,
-- indexes, checks, enums, triggers, RLS flags, policies, grants, comments.
begin;
set search_path = public, extensions;
select plan(123);

-- ---------------------------------------------------------------------------
-- Tables and views
-- ---------------------------------------------------------------------------
select has_table('public', 'privacy_consent_records', 'privacy_consent_records exists');
select has_table('public', 'privacy_data_requests', 'privacy_data_requests exists');
select has_table('public', 'privacy_audit_logs', 'privacy_audit_logs exists');
select has_table('private', 'audit_subjects', 'private.audit_subjects exists');
select has_table('private', 'audit_chain_checkpoints', 'private.audit_chain_checkpoints exists');
select has_view('public', 'privacy_current_consents', 'view privacy_current_consents exists');
select has_view('public', 'privacy_open_data_requests', 'view privacy_open_data_requests exists');

select ok(
  (select coalesce('security_invoker=true' = any (c.reloptions), false)
     from pg_class c where c.oid = 'public.privacy_current_consents'::regclass),
  'privacy_current_consents runs with the caller''s rights (security_invoker)');
select ok(
  (select coalesce('security_invoker=true' = any (c.reloptions), false)
     from pg_class c where c.oid = 'public.privacy_open_data_requests'::regclass),
  'privacy_open_data_requests runs with the caller''s rights (security_invoker)');

-- ---------------------------------------------------------------------------
-- Columns: name, type and NOT NULL in one comparison per table
-- ---------------------------------------------------------------------------
create temporary view privacy_columns as
select c.relname::text collate "default" as tbl, a.attname::text collate "default" as col,
       format_type(a.atttypid, a.atttypmod) as typ, a.attnotnull as is_not_null
  from pg_attribute a join pg_class c on c.oid = a.attrelid
 where a.attnum > 0 and not a.attisdropped;

select results_eq(
  $$ select col, typ, is_not_null from privacy_columns where tbl = 'privacy_consent_records' order by col $$,
  $$ values ('anonymous_id', 'text', false), ('consent_status', 'privacy_consent_status', true),
            ('consent_type', 'privacy_consent_type', true), ('consent_version', 'text', true),
            ('created_at', 'timestamp with time zone', true), ('expires_at', 'timestamp with time zone', false),
            ('id', 'uuid', true), ('legal_basis', 'privacy_legal_basis', true),
            ('recorded_at', 'timestamp with time zone', true), ('regulation', 'privacy_regulation', true),
            ('source', 'privacy_consent_source', true), ('supersedes_id', 'uuid', false),
            ('updated_at', 'timestamp with time zone', true), ('user_id', 'uuid', false),
            ('withdrawn_at', 'timestamp with time zone', false) $$,
  'privacy_consent_records columns, types and nullability');

select results_eq(
  $$ select col, typ, is_not_null from privacy_columns where tbl = 'privacy_data_requests' order by col $$,
  $$ values ('completed_at', 'timestamp with time zone', false), ('created_at', 'timestamp with time zone', true),
            ('due_at', 'timestamp with time zone', true), ('effective_due_at', 'timestamp with time zone', true),
            ('export_expires_at', 'timestamp with time zone', false), ('export_location', 'text', false),
            ('extended_due_at', 'timestamp with time zone', false), ('extension_reason', 'text', false),
            ('id', 'uuid', true), ('legal_review_notes', 'text', false),
            ('regulation', 'privacy_regulation', true), ('rejection_reason', 'text', false),
            ('request_status', 'privacy_request_status', true), ('request_type', 'privacy_request_type', true),
            ('submitted_at', 'timestamp with time zone', true), ('updated_at', 'timestamp with time zone', true),
            ('user_id', 'uuid', false), ('verification_method', 'privacy_verification_method', false),
            ('verified_at', 'timestamp with time zone', false) $$,
  'privacy_data_requests columns, types and nullability');

select results_eq(
  $$ select col, typ, is_not_null from privacy_columns where tbl = 'privacy_audit_logs' order by col $$,
  $$ values ('actor_id', 'uuid', false), ('actor_ref', 'uuid', false), ('actor_role', 'text', true),
            ('chain_position', 'bigint', true), ('compliance_status', 'privacy_compliance_status', true),
            ('created_at', 'timestamp with time zone', true), ('details', 'jsonb', true),
            ('event_category', 'privacy_event_category', true), ('event_type', 'text', true),
            ('id', 'uuid', true), ('occurred_at', 'timestamp with time zone', true),
            ('prev_hash', 'bytea', false), ('regulation', 'privacy_regulation', false),
            ('risk_level', 'privacy_risk_level', true), ('row_hash', 'bytea', true),
            ('subject_ref', 'uuid', false), ('target_id', 'uuid', false), ('target_table', 'text', false),
            ('updated_at', 'timestamp with time zone', true), ('user_id', 'uuid', false) $$,
  'privacy_audit_logs columns, types and nullability');

select is_empty(
  $$ select tbl || '.' || col from privacy_columns
      where tbl in ('privacy_consent_records', 'privacy_data_requests', 'privacy_audit_logs',
                    'audit_subjects', 'audit_chain_checkpoints')
        and typ in ('timestamp without time zone', 'character varying', 'json') $$,
  'no timestamp without time zone, varchar or json columns');

-- ---------------------------------------------------------------------------
-- Defaults and generated columns
-- ---------------------------------------------------------------------------
select col_default_is('public', 'privacy_consent_records', 'id', 'private.uuid_v7()', 'consent id defaults to uuid_v7 (append-only)');
select col_default_is('public', 'privacy_data_requests', 'id', 'gen_random_uuid()', 'request id defaults to gen_random_uuid');
select col_default_is('public', 'privacy_audit_logs', 'id', 'private.uuid_v7()', 'audit id defaults to uuid_v7');
select col_default_is('public', 'privacy_consent_records', 'created_at', 'now()', 'consent created_at defaults to now()');
select col_default_is('public', 'privacy_consent_records', 'updated_at', 'now()', 'consent updated_at defaults to now()');
select col_default_is('public', 'privacy_data_requests', 'created_at', 'now()', 'request created_at defaults to now()');
select col_default_is('public', 'privacy_data_requests', 'updated_at', 'now()', 'request updated_at defaults to now()');
select col_default_is('public', 'privacy_audit_logs', 'created_at', 'now()', 'audit created_at defaults to now()');
select col_default_is('public', 'privacy_audit_logs', 'updated_at', 'now()', 'audit updated_at defaults to now()');
select col_default_is('public', 'privacy_data_requests', 'request_status', 'pending_verification', 'requests start pending_verification');
select col_default_is('public', 'privacy_consent_records', 'recorded_at', 'clock_timestamp()', 'recorded_at defaults to clock_timestamp()');
select col_default_is('public', 'privacy_audit_logs', 'details', '{}', 'details defaults to an empty object');
select results_eq(
  $$ select a.attname::text collate "default" from pg_attribute a
      where a.attrelid = 'public.privacy_data_requests'::regclass and a.attgenerated = 's' order by 1 $$,
  array['due_at', 'effective_due_at'],
  'due_at and effective_due_at are generated columns (3NF: derived from submitted_at and regulation)');

-- ---------------------------------------------------------------------------
-- Keys, foreign keys and their indexes
-- ---------------------------------------------------------------------------
select col_is_pk('public', 'privacy_consent_records', 'id', 'consent records: PK id');
select col_is_pk('public', 'privacy_data_requests', 'id', 'data requests: PK id');
select col_is_pk('public', 'privacy_audit_logs', 'id', 'audit logs: PK id');
select col_is_pk('private', 'audit_subjects', 'id', 'audit_subjects: PK id');
select col_is_pk('private', 'audit_chain_checkpoints', 'id', 'audit_chain_checkpoints: PK id');

select fk_ok('public', 'privacy_consent_records', 'user_id', 'auth', 'users', 'id', 'consent user_id -> auth.users');
select fk_ok('public', 'privacy_consent_records', 'supersedes_id', 'public', 'privacy_consent_records', 'id', 'consent supersedes_id -> consent record');
select fk_ok('public', 'privacy_data_requests', 'user_id', 'auth', 'users', 'id', 'request user_id -> auth.users');
select fk_ok('public', 'privacy_audit_logs', 'user_id', 'auth', 'users', 'id', 'audit user_id -> auth.users');
select fk_ok('public', 'privacy_audit_logs', 'actor_id', 'auth', 'users', 'id', 'audit actor_id -> auth.users');
select fk_ok('private', 'audit_subjects', 'user_id', 'auth', 'users', 'id', 'audit_subjects user_id -> auth.users');

select results_eq(
  $$ select (conrelid::regclass::text || '.' || conname::text || ':' || confdeltype::text) collate "default"
       from pg_constraint
      where contype = 'f'
        and conrelid in ('public.privacy_consent_records'::regclass, 'public.privacy_data_requests'::regclass,
                         'public.privacy_audit_logs'::regclass, 'private.audit_subjects'::regclass)
      order by 1 $$,
  array['privacy_audit_logs.privacy_audit_logs_actor_id_fkey:n',
        'privacy_audit_logs.privacy_audit_logs_user_id_fkey:n',
        'privacy_consent_records.privacy_consent_records_supersedes_id_fkey:a',
        'privacy_consent_records.privacy_consent_records_user_id_fkey:n',
        'privacy_data_requests.privacy_data_requests_user_id_fkey:n',
        'private.audit_subjects.audit_subjects_user_id_fkey:c'],
  'FK delete actions: user references SET NULL (records outlive the person), pseudonym mapping CASCADE');

-- The check used below: foreign keys without an index led by the FK columns.
create temporary view privacy_unindexed_fks as
select c.conrelid::regclass::text as tbl, c.conname::text collate "default" as fk
  from pg_constraint c
 where c.contype = 'f'
   and not exists (
     select 1 from pg_index i
      where i.indrelid = c.conrelid
        and (i.indkey::int2[])[0:pg_catalog.cardinality(c.conkey) - 1] operator(pg_catalog.@>) c.conkey
        and (i.indkey::int2[])[0:pg_catalog.cardinality(c.conkey) - 1] operator(pg_catalog.<@) c.conkey);

select is_empty(
  $$ select tbl || ' ' || fk from privacy_unindexed_fks
      where tbl in ('privacy_consent_records', 'privacy_data_requests', 'privacy_audit_logs',
                    'private.audit_subjects', 'private.audit_chain_checkpoints') $$,
  'every privacy foreign key has an index whose leading columns are the FK columns');
-- ... and the check does catch an unindexed FK (it can fail).
create table public.privacy_fk_probe (id uuid primary key, user_id uuid references auth.users (id));
select results_eq(
  $$ select fk from privacy_unindexed_fks where tbl like '%privacy_fk_probe' $$,
  array['privacy_fk_probe_user_id_fkey'],
  'the FK-index check reports an FK without an index');
drop table public.privacy_fk_probe;

select col_is_unique('public', 'privacy_audit_logs', 'chain_position', 'chain_position is unique (no fork)');
select col_is_unique('private', 'audit_subjects', 'user_id', 'one pseudonym per person');
select col_is_unique('private', 'audit_chain_checkpoints', 'through_position', 'one checkpoint per position');

select has_index('public', 'privacy_consent_records', 'privacy_consent_records_user_id_consent_type_recorded_at_id_idx',
  array['user_id', 'consent_type', 'recorded_at', 'id'], 'query 11 index');
select has_index('public', 'privacy_consent_records', 'privacy_consent_records_consent_type_user_id_recorded_at_id_idx',
  array['consent_type', 'user_id', 'recorded_at', 'id', 'consent_status', 'expires_at'], 'query 12 index (status columns included, 00011)');
select has_index('public', 'privacy_consent_records', 'privacy_consent_records_supersedes_id_idx',
  array['supersedes_id'], 'supersedes_id FK index');
select has_index('public', 'privacy_data_requests', 'privacy_data_requests_user_id_submitted_at_idx',
  array['user_id', 'submitted_at'], 'query 14 index');
select has_index('public', 'privacy_data_requests', 'privacy_data_requests_open_effective_due_at_idx',
  array['effective_due_at'], 'query 13 partial index');
select has_index('public', 'privacy_audit_logs', 'privacy_audit_logs_user_id_occurred_at_idx',
  array['user_id', 'occurred_at'], 'query 15 index');
select has_index('public', 'privacy_audit_logs', 'privacy_audit_logs_risk_level_occurred_at_idx',
  array['risk_level', 'occurred_at'], 'query 16 index');
select has_index('public', 'privacy_audit_logs', 'privacy_audit_logs_actor_id_idx', array['actor_id'], 'actor_id FK index');
select is(
  (select pg_get_expr(i.indpred, i.indrelid) from pg_index i
    where i.indexrelid = 'public.privacy_data_requests_open_effective_due_at_idx'::regclass),
  $$(request_status = ANY (ARRAY['pending_verification'::privacy_request_status, 'verified'::privacy_request_status, 'in_progress'::privacy_request_status, 'legal_review'::privacy_request_status]))$$,
  'the open-requests index covers exactly the non-terminal statuses');

-- ---------------------------------------------------------------------------
-- CHECK constraints (behaviour is tested in the behaviour suites)
-- ---------------------------------------------------------------------------
select results_eq(
  $$ select conname::text collate "default" from pg_constraint
      where conrelid = 'public.privacy_consent_records'::regclass and contype = 'c' order by 1 $$,
  array['privacy_consent_records_anonymous_id_check', 'privacy_consent_records_consent_version_check',
        'privacy_consent_records_expires_at_check', 'privacy_consent_records_subject_check',
        'privacy_consent_records_supersedes_id_check', 'privacy_consent_records_withdrawn_at_check'],
  'consent record checks');
select results_eq(
  $$ select conname::text collate "default" from pg_constraint
      where conrelid = 'public.privacy_data_requests'::regclass and contype = 'c' order by 1 $$,
  array['privacy_data_requests_completed_after_submitted_check', 'privacy_data_requests_completed_at_check',
        'privacy_data_requests_export_expires_at_check', 'privacy_data_requests_export_location_check',
        'privacy_data_requests_export_pair_check', 'privacy_data_requests_export_type_check',
        'privacy_data_requests_extended_due_at_check', 'privacy_data_requests_extension_pair_check',
        'privacy_data_requests_extension_reason_check', 'privacy_data_requests_legal_review_notes_check',
        'privacy_data_requests_rejection_reason_check', 'privacy_data_requests_rejection_required_check',
        'privacy_data_requests_verification_method_check', 'privacy_data_requests_verified_after_submitted_check',
        'privacy_data_requests_verified_at_check'],
  'data request checks');
select results_eq(
  $$ select conname::text collate "default" from pg_constraint
      where conrelid = 'public.privacy_audit_logs'::regclass and contype = 'c' order by 1 $$,
  array['privacy_audit_logs_actor_ref_check', 'privacy_audit_logs_actor_role_check',
        'privacy_audit_logs_chain_position_check', 'privacy_audit_logs_details_check',
        'privacy_audit_logs_event_type_check', 'privacy_audit_logs_prev_hash_check',
        'privacy_audit_logs_row_hash_check', 'privacy_audit_logs_subject_ref_check',
        'privacy_audit_logs_target_table_check'],
  'audit log checks');
select is_empty(
  $$ select c.relname || '.' || a.attname
       from pg_attribute a join pg_class c on c.oid = a.attrelid
      where c.oid in ('public.privacy_consent_records'::regclass, 'public.privacy_data_requests'::regclass,
                      'public.privacy_audit_logs'::regclass)
        and a.atttypid = 'text'::regtype and a.attnum > 0 and not a.attisdropped
        and not exists (select 1 from pg_constraint k
                         where k.conrelid = a.attrelid and k.contype = 'c' and a.attnum = any (k.conkey)) $$,
  'every text column is bounded by a CHECK');
select ok(
  (select pg_get_constraintdef(oid) like '%jsonb_typeof(details)%object%pg_column_size(details) <= 32768%'
     from pg_constraint where conname = 'privacy_audit_logs_details_check'),
  'details must be a JSON object of at most 32 kB');
-- A violation is caught: both subject columns set.
insert into auth.users (id, email) values ('a0000000-0000-4000-8000-000000000001', 'structure@example.test');
select throws_ok(
  $$ insert into privacy_consent_records (user_id, anonymous_id, consent_type, consent_status, consent_version, regulation, source)
     values ('a0000000-0000-4000-8000-000000000001', 'cookie-1', 'analytics', 'granted', '2025-01', 'gdpr', 'banner') $$,
  '23514', null, 'a consent record with both user_id and anonymous_id is refused');

-- ---------------------------------------------------------------------------
-- Enum types
-- ---------------------------------------------------------------------------
select enum_has_labels('public', 'privacy_consent_type',
  array['necessary', 'functional', 'analytics', 'marketing', 'personalization', 'third_party_sharing',
        'sale_or_sharing_of_personal_information', 'sensitive_personal_information', 'targeted_advertising'],
  'privacy_consent_type labels');
select enum_has_labels('public', 'privacy_consent_status', array['granted', 'denied', 'withdrawn', 'expired'],
  'privacy_consent_status labels');
select enum_has_labels('public', 'privacy_legal_basis',
  array['consent', 'contract', 'legal_obligation', 'vital_interests', 'public_task', 'legitimate_interests'],
  'privacy_legal_basis labels (GDPR Art. 6)');
select enum_has_labels('public', 'privacy_regulation', array['gdpr', 'uk_gdpr', 'ccpa', 'cpra', 'lgpd'],
  'privacy_regulation labels');
select enum_has_labels('public', 'privacy_consent_source',
  array['banner', 'settings_page', 'signup_form', 'api', 'import', 'support_agent'], 'privacy_consent_source labels');
select enum_has_labels('public', 'privacy_request_type',
  array['access', 'rectification', 'erasure', 'restriction', 'portability', 'objection',
        'ccpa_know', 'ccpa_delete', 'ccpa_opt_out', 'ccpa_correct', 'ccpa_limit'], 'privacy_request_type labels');
select enum_has_labels('public', 'privacy_request_status',
  array['pending_verification', 'verified', 'in_progress', 'legal_review', 'completed', 'rejected', 'cancelled'],
  'privacy_request_status labels');
select enum_has_labels('public', 'privacy_verification_method',
  array['email', 'sms', 'account_login', 'government_id', 'authorized_agent', 'other'],
  'privacy_verification_method labels');
select enum_has_labels('public', 'privacy_event_category',
  array['consent', 'data_request', 'data_access', 'data_export', 'data_deletion', 'data_retention',
        'policy_change', 'security'], 'privacy_event_category labels');
select enum_has_labels('public', 'privacy_compliance_status',
  array['compliant', 'non_compliant', 'needs_review', 'remediated', 'not_applicable'],
  'privacy_compliance_status labels');
select enum_has_labels('public', 'privacy_risk_level', array['low', 'medium', 'high', 'critical'],
  'privacy_risk_level labels');

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------
select trigger_is('public', 'privacy_consent_records', 'privacy_consent_records_set_updated_at', 'private', 'set_updated_at', 'consent updated_at trigger');
select trigger_is('public', 'privacy_data_requests', 'privacy_data_requests_set_updated_at', 'private', 'set_updated_at', 'request updated_at trigger');
select trigger_is('public', 'privacy_audit_logs', 'privacy_audit_logs_set_updated_at', 'private', 'set_updated_at', 'audit updated_at trigger');
select trigger_is('private', 'audit_subjects', 'audit_subjects_set_updated_at', 'private', 'set_updated_at', 'audit_subjects updated_at trigger');
select trigger_is('private', 'audit_chain_checkpoints', 'audit_chain_checkpoints_set_updated_at', 'private', 'set_updated_at', 'checkpoints updated_at trigger');
select results_eq(
  $$ select c.relname::text collate "default", t.tgname::text collate "default" from pg_trigger t join pg_class c on c.oid = t.tgrelid
      where c.relname in ('privacy_consent_records', 'privacy_data_requests', 'privacy_audit_logs')
        and not t.tgisinternal order by 1, 2 $$,
  $$ values ('privacy_audit_logs', 'privacy_audit_logs_block_truncate'),
            ('privacy_audit_logs', 'privacy_audit_logs_block_update'),
            ('privacy_audit_logs', 'privacy_audit_logs_chain'),
            ('privacy_audit_logs', 'privacy_audit_logs_set_updated_at'),
            ('privacy_consent_records', 'privacy_consent_records_before_insert'),
            ('privacy_consent_records', 'privacy_consent_records_block_truncate'),
            ('privacy_consent_records', 'privacy_consent_records_block_update'),
            ('privacy_consent_records', 'privacy_consent_records_log'),
            ('privacy_consent_records', 'privacy_consent_records_set_updated_at'),
            ('privacy_data_requests', 'privacy_data_requests_before_insert'),
            ('privacy_data_requests', 'privacy_data_requests_block_delete'),
            ('privacy_data_requests', 'privacy_data_requests_block_truncate'),
            ('privacy_data_requests', 'privacy_data_requests_guard_update'),
            ('privacy_data_requests', 'privacy_data_requests_log_insert'),
            ('privacy_data_requests', 'privacy_data_requests_log_update'),
            ('privacy_data_requests', 'privacy_data_requests_set_updated_at') $$,
  'the privacy tables carry exactly the expected triggers');
select ok(
  'privacy_audit_logs_block_update' < 'privacy_audit_logs_set_updated_at',
  'the audit guard fires before the updated_at trigger (name order), so it sees the caller''s row');

-- ---------------------------------------------------------------------------
-- RLS: enabled and forced on every privacy table
-- ---------------------------------------------------------------------------
select results_eq(
  $$ select c.oid::regclass::text collate "default", c.relrowsecurity, c.relforcerowsecurity from pg_class c
      where c.oid in ('public.privacy_consent_records'::regclass, 'public.privacy_data_requests'::regclass,
                      'public.privacy_audit_logs'::regclass, 'private.audit_subjects'::regclass,
                      'private.audit_chain_checkpoints'::regclass)
      order by 1 $$,
  $$ values ('privacy_audit_logs', true, true), ('privacy_consent_records', true, true),
            ('privacy_data_requests', true, true), ('private.audit_chain_checkpoints', true, true),
            ('private.audit_subjects', true, true) $$,
  'RLS enabled and forced on the privacy tables');

select policies_are('public', 'privacy_consent_records',
  array['privacy_consent_records_insert_anon', 'privacy_consent_records_select_authenticated',
        'privacy_consent_records_insert_authenticated'], 'consent record policies');
select policies_are('public', 'privacy_data_requests',
  array['privacy_data_requests_select_authenticated', 'privacy_data_requests_insert_authenticated',
        'privacy_data_requests_update_authenticated'], 'data request policies');
select policies_are('public', 'privacy_audit_logs', array['privacy_audit_logs_select_authenticated'],
  'audit log policies (select only)');
select policies_are('private', 'audit_subjects', '{}'::name[], 'audit_subjects: no policy (owner only)');
select is_empty(
  $$ select tablename || '.' || policyname from pg_policies
      where tablename like 'privacy%' and (roles @> array['public'::name] or permissive <> 'PERMISSIVE') $$,
  'no privacy policy applies to PUBLIC and all are permissive');
select is_empty(
  $$ select tablename || ' ' || cmd || ' ' || r from pg_policies, unnest(roles) r
      where tablename like 'privacy%' group by tablename, cmd, r having count(*) > 1 $$,
  'one permissive policy per table, role and action');
select is_empty(
  $$ select tablename || '.' || policyname from pg_policies
      where tablename like 'privacy%'
        and regexp_count(coalesce(qual, '') || coalesce(with_check, ''), '(auth\.uid|private\.is_admin)\(\)')
            <> regexp_count(coalesce(qual, '') || coalesce(with_check, ''), 'SELECT (auth\.uid|private\.is_admin)\(\)') $$,
  'policies wrap auth.uid() / private.is_admin() in (select ...)');

-- ---------------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------------
select table_privs_are('public', 'privacy_consent_records', 'anon', array['INSERT'], 'consents: anon may only insert');
select table_privs_are('public', 'privacy_consent_records', 'authenticated', array['SELECT', 'INSERT'], 'consents: authenticated S, I');
select table_privs_are('public', 'privacy_consent_records', 'service_role', array['SELECT', 'INSERT'], 'consents: service S, I (append-only)');
select table_privs_are('public', 'privacy_consent_records', 'public', '{}'::text[], 'consents: nothing for PUBLIC');
select table_privs_are('public', 'privacy_data_requests', 'anon', '{}'::text[], 'requests: nothing for anon');
select table_privs_are('public', 'privacy_data_requests', 'authenticated', array['SELECT', 'INSERT'], 'requests: authenticated S, I (+ column UPDATE)');
select table_privs_are('public', 'privacy_data_requests', 'service_role', array['SELECT', 'INSERT', 'UPDATE'], 'requests: service all but delete');
select table_privs_are('public', 'privacy_data_requests', 'public', '{}'::text[], 'requests: nothing for PUBLIC');
select table_privs_are('public', 'privacy_audit_logs', 'anon', '{}'::text[], 'audit: nothing for anon');
select table_privs_are('public', 'privacy_audit_logs', 'authenticated', array['SELECT'], 'audit: authenticated select only');
select table_privs_are('public', 'privacy_audit_logs', 'service_role', array['SELECT'], 'audit: service select only');
select table_privs_are('public', 'privacy_audit_logs', 'public', '{}'::text[], 'audit: nothing for PUBLIC');
select column_privs_are('public', 'privacy_data_requests', 'request_status', 'authenticated', array['SELECT', 'INSERT', 'UPDATE'],
  'authenticated may update request_status (cancel; admin workflow)');
select column_privs_are('public', 'privacy_data_requests', 'user_id', 'authenticated', array['SELECT', 'INSERT'],
  'authenticated may never update user_id');
select column_privs_are('public', 'privacy_data_requests', 'request_type', 'authenticated', array['SELECT', 'INSERT'],
  'authenticated may never update request_type');
select table_privs_are('public', 'privacy_current_consents', 'anon', '{}'::text[], 'current consents view: nothing for anon');
select table_privs_are('public', 'privacy_current_consents', 'authenticated', array['SELECT'], 'current consents view: authenticated select');
select table_privs_are('public', 'privacy_current_consents', 'service_role', array['SELECT'], 'current consents view: service select');
select table_privs_are('public', 'privacy_open_data_requests', 'anon', '{}'::text[], 'open requests view: nothing for anon');
select table_privs_are('public', 'privacy_open_data_requests', 'authenticated', array['SELECT'], 'open requests view: authenticated select');
select table_privs_are('public', 'privacy_open_data_requests', 'service_role', array['SELECT'], 'open requests view: service select');
select table_privs_are('private', 'audit_subjects', 'authenticated', '{}'::text[], 'audit_subjects: nothing for authenticated');
select table_privs_are('private', 'audit_subjects', 'service_role', '{}'::text[], 'audit_subjects: nothing for service');
select table_privs_are('private', 'audit_chain_checkpoints', 'service_role', '{}'::text[], 'checkpoints: nothing for service');
select table_privs_are('private', 'audit_chain_checkpoints', 'authenticated', '{}'::text[], 'checkpoints: nothing for authenticated');

-- ---------------------------------------------------------------------------
-- Functions: definer hygiene and EXECUTE grants
-- ---------------------------------------------------------------------------
create temporary view privacy_functions as
select p.oid, p.oid::regprocedure::text as sig, p.prosecdef, p.proconfig
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
 where (n.nspname = 'public' and (p.proname like '%privacy%' or p.proname like '%audit%'))
    or (n.nspname = 'private' and (p.proname like 'privacy%' or p.proname like 'audit%'));

select cmp_ok((select count(*) from privacy_functions where prosecdef), '>=', 10::bigint,
  'the privacy area has its SECURITY DEFINER functions');
select is_empty(
  $$ select sig from privacy_functions where prosecdef and not ('search_path=""' = any (coalesce(proconfig, '{}'))) $$,
  'every privacy SECURITY DEFINER function has search_path = ''''');
select is_empty(
  $$ select sig from privacy_functions where not ('search_path=""' = any (coalesce(proconfig, '{}'))) $$,
  'every privacy function pins its search_path');
select is_empty(
  $$ select sig from privacy_functions f
      where has_function_privilege('public', f.oid, 'EXECUTE') $$,
  'no privacy function is executable by PUBLIC');
select function_privs_are('public', 'log_privacy_event',
  array['text', 'privacy_event_category', 'uuid', 'text', 'uuid', 'jsonb', 'privacy_regulation', 'privacy_risk_level', 'privacy_compliance_status'],
  'service_role', array['EXECUTE'], 'service_role may log privacy events');
select function_privs_are('public', 'log_privacy_event',
  array['text', 'privacy_event_category', 'uuid', 'text', 'uuid', 'jsonb', 'privacy_regulation', 'privacy_risk_level', 'privacy_compliance_status'],
  'authenticated', '{}'::text[], 'users cannot write audit events');
select function_privs_are('public', 'log_privacy_event',
  array['text', 'privacy_event_category', 'uuid', 'text', 'uuid', 'jsonb', 'privacy_regulation', 'privacy_risk_level', 'privacy_compliance_status'],
  'anon', '{}'::text[], 'anon cannot write audit events');
select function_privs_are('public', 'verify_audit_chain', array['bigint', 'bytea'], 'authenticated', array['EXECUTE'],
  'authenticated may call verify_audit_chain (admins only, checked inside)');
select function_privs_are('public', 'verify_audit_chain', array['bigint', 'bytea'], 'anon', '{}'::text[],
  'anon may not verify the chain');
select function_privs_are('public', 'privacy_audit_chain_head', '{}'::text[], 'authenticated', '{}'::text[],
  'users cannot read the chain head');

-- ---------------------------------------------------------------------------
-- Comments: every table, column, type and function of the area is documented
-- ---------------------------------------------------------------------------
select is_empty(
  $$ select c.oid::regclass::text from pg_class c
      where c.oid in ('public.privacy_consent_records'::regclass, 'public.privacy_data_requests'::regclass,
                      'public.privacy_audit_logs'::regclass, 'private.audit_subjects'::regclass,
                      'private.audit_chain_checkpoints'::regclass, 'public.privacy_current_consents'::regclass,
                      'public.privacy_open_data_requests'::regclass)
        and obj_description(c.oid, 'pg_class') is null $$,
  'every privacy table and view has a comment');
select is_empty(
  $$ select c.relname || '.' || a.attname from pg_attribute a join pg_class c on c.oid = a.attrelid
      where c.oid in ('public.privacy_consent_records'::regclass, 'public.privacy_data_requests'::regclass,
                      'public.privacy_audit_logs'::regclass, 'private.audit_subjects'::regclass,
                      'private.audit_chain_checkpoints'::regclass, 'public.privacy_current_consents'::regclass,
                      'public.privacy_open_data_requests'::regclass)
        and a.attnum > 0 and not a.attisdropped and col_description(c.oid, a.attnum) is null $$,
  'every privacy column has a comment');
select is_empty(
  $$ select t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace
      where n.nspname = 'public' and t.typname like 'privacy%' and t.typtype = 'e'
        and obj_description(t.oid, 'pg_type') is null $$,
  'every privacy enum type has a comment');
select is_empty(
  $$ select sig from privacy_functions where obj_description(oid, 'pg_proc') is null $$,
  'every privacy function has a comment');

select * from finish();
rollback;
