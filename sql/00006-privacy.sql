-- 00006 privacy: consent history, data subject requests, tamper-evident audit trail
--
-- Why: GDPR (Art. 6, 7, 12-21, 30) and CCPA/CPRA need three kinds of record:
--   * proof of consent (who agreed to what, under which policy version, when,
--     and how it changed) -> privacy_consent_records, append-only;
--   * data subject requests with legal deadlines -> privacy_data_requests,
--     with a state machine enforced by a trigger;
--   * a record of processing that nobody can silently rewrite ->
--     privacy_audit_logs, a SHA-256 hash chain written only by triggers and
--     one SECURITY DEFINER logging function.
-- Erasure versus tamper-evidence (design in notes/schema-b.md): the chain
-- hashes per-person pseudonyms (private.audit_subjects), never the raw
-- auth.users id, so de-identifying a row (user_id -> NULL, the one sanctioned
-- UPDATE) leaves every hash valid, and deleting the pseudonym mapping makes
-- the remaining rows unlinkable to the person.
--
-- Error codes raised here (class PV = privacy, so callers can tell them apart):
--   PV001 illegal privacy_data_requests status transition
--   PV002 privacy_consent_records is append-only
--   PV003 privacy_audit_logs (and its checkpoints) are immutable
--   PV004 a data request column that may not change was changed
--   42501 the calling role may not do this (permission-style denial)
--
-- This file depends only on 00001 (extensions) and 00002 (private helpers).

------------------------------------------------------------------------------
-- Enum types (one per concept)
------------------------------------------------------------------------------
create type public.privacy_consent_type as enum (
  'necessary', 'functional', 'analytics', 'marketing', 'personalization',
  'third_party_sharing', 'sale_or_sharing_of_personal_information',
  'sensitive_personal_information', 'targeted_advertising'
);
comment on type public.privacy_consent_type is
  'Purpose a consent record is about. Covers GDPR purposes and the CCPA/CPRA opt-outs (sale or sharing, sensitive personal information, targeted advertising).';

create type public.privacy_consent_status as enum ('granted', 'denied', 'withdrawn', 'expired');
comment on type public.privacy_consent_status is
  'State a consent record declares: granted, denied (never given), withdrawn (given, then taken back; withdrawn_at required) or expired.';

create type public.privacy_legal_basis as enum (
  'consent', 'contract', 'legal_obligation', 'vital_interests', 'public_task', 'legitimate_interests'
);
comment on type public.privacy_legal_basis is 'The six lawful bases for processing of GDPR Art. 6(1)(a)-(f).';

create type public.privacy_regulation as enum ('gdpr', 'uk_gdpr', 'ccpa', 'cpra', 'lgpd');
comment on type public.privacy_regulation is
  'Privacy law a record falls under. Drives request deadlines: gdpr/uk_gdpr 30 days (+ up to 2 months), ccpa/cpra 45 days (+ up to 45 days), lgpd 15 days (no extension).';

create type public.privacy_consent_source as enum (
  'banner', 'settings_page', 'signup_form', 'api', 'import', 'support_agent'
);
comment on type public.privacy_consent_source is 'Channel through which a consent decision was captured.';

create type public.privacy_request_type as enum (
  'access', 'rectification', 'erasure', 'restriction', 'portability', 'objection',
  'ccpa_know', 'ccpa_delete', 'ccpa_opt_out', 'ccpa_correct', 'ccpa_limit'
);
comment on type public.privacy_request_type is
  'Data subject request kind: GDPR Art. 15-21 (access ... objection) and the CCPA/CPRA rights to know, delete, opt out, correct and limit.';

create type public.privacy_request_status as enum (
  'pending_verification', 'verified', 'in_progress', 'legal_review', 'completed', 'rejected', 'cancelled'
);
comment on type public.privacy_request_status is
  'Workflow state of a data subject request. Allowed transitions (trigger privacy_data_requests_guard_update): pending_verification -> verified|rejected|cancelled; verified -> in_progress|rejected|cancelled; in_progress -> legal_review|completed|rejected; legal_review -> in_progress|completed|rejected. completed, rejected and cancelled are terminal.';

create type public.privacy_verification_method as enum (
  'email', 'sms', 'account_login', 'government_id', 'authorized_agent', 'other'
);
comment on type public.privacy_verification_method is 'How the requester''s identity was (or is to be) verified.';

create type public.privacy_event_category as enum (
  'consent', 'data_request', 'data_access', 'data_export', 'data_deletion',
  'data_retention', 'policy_change', 'security'
);
comment on type public.privacy_event_category is 'Category of a privacy audit event.';

create type public.privacy_compliance_status as enum (
  'compliant', 'non_compliant', 'needs_review', 'remediated', 'not_applicable'
);
comment on type public.privacy_compliance_status is 'Compliance assessment attached to an audit event.';

create type public.privacy_risk_level as enum ('low', 'medium', 'high', 'critical');
comment on type public.privacy_risk_level is 'Risk level of an audit event (ordered: low < medium < high < critical).';

------------------------------------------------------------------------------
-- Deadline helpers (IMMUTABLE: computed in UTC so the result never depends on
-- the session TimeZone; used by generated columns and CHECK constraints)
------------------------------------------------------------------------------
create function private.privacy_response_period(p_regulation public.privacy_regulation)
returns interval
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
  return case p_regulation
    when 'gdpr' then interval '30 days'
    when 'uk_gdpr' then interval '30 days'
    when 'ccpa' then interval '45 days'
    when 'cpra' then interval '45 days'
    when 'lgpd' then interval '15 days'
  end;
end;
$$;
comment on function private.privacy_response_period(public.privacy_regulation) is
  'Statutory response period for a data subject request: GDPR/UK GDPR 30 days (Art. 12(3) "one month", fixed at 30 days by product decision), CCPA/CPRA 45 days (Cal. Civ. Code 1798.130), LGPD 15 days (Art. 19 II).';

create function private.privacy_max_extension(p_regulation public.privacy_regulation)
returns interval
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
  return case p_regulation
    when 'gdpr' then interval '2 months'
    when 'uk_gdpr' then interval '2 months'
    when 'ccpa' then interval '45 days'
    when 'cpra' then interval '45 days'
    when 'lgpd' then interval '0 days'
  end;
end;
$$;
comment on function private.privacy_max_extension(public.privacy_regulation) is
  'Longest extension of a request deadline the law allows: GDPR/UK GDPR two further months, CCPA/CPRA 45 more days, LGPD none.';

create function private.privacy_request_due_at(p_submitted_at timestamptz, p_regulation public.privacy_regulation)
returns timestamptz
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
  return ((p_submitted_at at time zone 'UTC') + private.privacy_response_period(p_regulation)) at time zone 'UTC';
end;
$$;
comment on function private.privacy_request_due_at(timestamptz, public.privacy_regulation) is
  'Statutory due date of a request: submitted_at plus the response period of its regulation, computed in UTC.';

create function private.privacy_request_latest_due_at(p_submitted_at timestamptz, p_regulation public.privacy_regulation)
returns timestamptz
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
  return ((private.privacy_request_due_at(p_submitted_at, p_regulation) at time zone 'UTC')
          + private.privacy_max_extension(p_regulation)) at time zone 'UTC';
end;
$$;
comment on function private.privacy_request_latest_due_at(timestamptz, public.privacy_regulation) is
  'Latest deadline an extension may set: the statutory due date plus the maximum extension of the regulation (UTC).';

revoke all on function private.privacy_response_period(public.privacy_regulation),
  private.privacy_max_extension(public.privacy_regulation),
  private.privacy_request_due_at(timestamptz, public.privacy_regulation),
  private.privacy_request_latest_due_at(timestamptz, public.privacy_regulation) from public;
-- Generated columns and CHECK constraints run with the inserting role's
-- privileges, so the roles that may write privacy_data_requests need EXECUTE.
grant execute on function private.privacy_response_period(public.privacy_regulation),
  private.privacy_max_extension(public.privacy_regulation),
  private.privacy_request_due_at(timestamptz, public.privacy_regulation),
  private.privacy_request_latest_due_at(timestamptz, public.privacy_regulation) to authenticated, service_role;

------------------------------------------------------------------------------
-- Audit pseudonyms and chain checkpoints (private: never exposed to the API)
------------------------------------------------------------------------------
create table private.audit_subjects (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint audit_subjects_user_id_key unique (user_id)
);
comment on table private.audit_subjects is
  'Pseudonym of each person who appears in privacy_audit_logs (as subject or actor). The audit hash chain covers the pseudonym (id), never the raw user id. Erasure deletes the row (also by ON DELETE CASCADE when the auth user goes), after which the pseudonyms left in the audit log link to nobody.';
comment on column private.audit_subjects.id is 'The pseudonym: a random (v4) UUID, so it carries no time or order information about the person.';
comment on column private.audit_subjects.user_id is 'The person (auth.users.id) this pseudonym stands for. Unique: one pseudonym per person.';
comment on column private.audit_subjects.created_at is 'When the pseudonym was first needed.';
comment on column private.audit_subjects.updated_at is 'Last modification (maintained by trigger).';

create trigger audit_subjects_set_updated_at
  before update on private.audit_subjects
  for each row execute function private.set_updated_at();
comment on trigger audit_subjects_set_updated_at on private.audit_subjects is 'Keeps updated_at current.';

create table private.audit_chain_checkpoints (
  id uuid primary key default private.uuid_v7(),
  through_position bigint not null,
  through_hash bytea not null,
  rows_removed bigint not null,
  cutoff timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint audit_chain_checkpoints_through_position_key unique (through_position),
  constraint audit_chain_checkpoints_through_position_check check (through_position > 0),
  constraint audit_chain_checkpoints_through_hash_check check (octet_length(through_hash) = 32),
  constraint audit_chain_checkpoints_rows_removed_check check (rows_removed >= 0)
);
comment on table private.audit_chain_checkpoints is
  'Anchor left by run_retention when it prunes the oldest audit rows: the position and row_hash of the last removed row. verify_audit_chain() requires the oldest remaining row to continue from the latest checkpoint, and requires that checkpoint to be vouched for by an audit_log_pruned row inside the chain. Append-only.';
comment on column private.audit_chain_checkpoints.id is 'Primary key (UUID v7).';
comment on column private.audit_chain_checkpoints.through_position is 'chain_position of the last audit row removed by this pruning.';
comment on column private.audit_chain_checkpoints.through_hash is 'row_hash of that last removed row: the prev_hash the oldest remaining row must carry.';
comment on column private.audit_chain_checkpoints.rows_removed is 'How many audit rows this pruning removed.';
comment on column private.audit_chain_checkpoints.cutoff is 'Retention cutoff used: rows with occurred_at before it were removed.';
comment on column private.audit_chain_checkpoints.created_at is 'When the pruning ran.';
comment on column private.audit_chain_checkpoints.updated_at is 'Last modification (maintained by trigger; rows are never updated).';

create trigger audit_chain_checkpoints_set_updated_at
  before update on private.audit_chain_checkpoints
  for each row execute function private.set_updated_at();
comment on trigger audit_chain_checkpoints_set_updated_at on private.audit_chain_checkpoints is 'Keeps updated_at current.';

create function private.audit_chain_checkpoints_immutable()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'private.audit_chain_checkpoints is append-only: % refused', tg_op
    using errcode = 'PV003',
          hint = 'Checkpoints anchor the audit hash chain after retention; changing one would hide pruned rows.';
end;
$$;
comment on function private.audit_chain_checkpoints_immutable() is 'Trigger: refuses UPDATE, DELETE and TRUNCATE of audit chain checkpoints (SQLSTATE PV003).';
revoke all on function private.audit_chain_checkpoints_immutable() from public;

create trigger audit_chain_checkpoints_block_update
  before update or delete on private.audit_chain_checkpoints
  for each row execute function private.audit_chain_checkpoints_immutable();
comment on trigger audit_chain_checkpoints_block_update on private.audit_chain_checkpoints is 'Checkpoints are append-only.';
create trigger audit_chain_checkpoints_block_truncate
  before truncate on private.audit_chain_checkpoints
  for each statement execute function private.audit_chain_checkpoints_immutable();
comment on trigger audit_chain_checkpoints_block_truncate on private.audit_chain_checkpoints is 'Checkpoints cannot be truncated.';

------------------------------------------------------------------------------
-- privacy_consent_records
------------------------------------------------------------------------------
create table public.privacy_consent_records (
  id uuid primary key default private.uuid_v7(),
  user_id uuid references auth.users (id) on delete set null,
  anonymous_id text,
  consent_type public.privacy_consent_type not null,
  consent_status public.privacy_consent_status not null,
  consent_version text not null,
  legal_basis public.privacy_legal_basis not null default 'consent',
  regulation public.privacy_regulation not null,
  source public.privacy_consent_source not null,
  recorded_at timestamptz not null default clock_timestamp(),
  expires_at timestamptz,
  withdrawn_at timestamptz,
  supersedes_id uuid references public.privacy_consent_records (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint privacy_consent_records_subject_check check (num_nonnulls(user_id, anonymous_id) = 1),
  constraint privacy_consent_records_anonymous_id_check check (anonymous_id ~ '^[A-Za-z0-9:_.-]{1,128}$'),
  constraint privacy_consent_records_consent_version_check
    check (consent_version ~ '^[0-9]{4}-(0[1-9]|1[0-2])(\.[0-9]{1,6})?$'),
  constraint privacy_consent_records_expires_at_check check (expires_at > recorded_at),
  constraint privacy_consent_records_withdrawn_at_check
    check ((consent_status = 'withdrawn') = (withdrawn_at is not null)),
  constraint privacy_consent_records_supersedes_id_check check (supersedes_id <> id)
);
comment on table public.privacy_consent_records is
  'Append-only consent history: every decision is a new row (supersedes_id points at the row it replaces); rows are never updated or deleted, except the sanctioned de-identification of an erased user (user_id -> NULL, anonymous_id := ''erased:<pseudonym>'') which keeps the proof of consent without the person. Current state: view privacy_current_consents.';
comment on column public.privacy_consent_records.id is 'Primary key (UUID v7: append-only, time-ordered).';
comment on column public.privacy_consent_records.user_id is 'The consenting user; NULL for consent given before sign-up (anonymous_id instead) and after erasure. ON DELETE SET NULL: the trigger then pseudonymises the row instead of losing the proof.';
comment on column public.privacy_consent_records.anonymous_id is 'Client-side identifier (e.g. consent cookie id) for consent given without an account, or ''erased:<pseudonym>'' after the user was erased. Exactly one of user_id / anonymous_id is set.';
comment on column public.privacy_consent_records.consent_type is 'Purpose the decision is about.';
comment on column public.privacy_consent_records.consent_status is 'The decision recorded by this row.';
comment on column public.privacy_consent_records.consent_version is 'Version of the policy text shown, YYYY-MM with an optional .N revision (e.g. 2025-01, 2025-01.2).';
comment on column public.privacy_consent_records.legal_basis is 'GDPR Art. 6 basis the processing relies on (consent for most rows; necessary cookies usually legitimate_interests or contract).';
comment on column public.privacy_consent_records.regulation is 'Law the decision was captured under.';
comment on column public.privacy_consent_records.source is 'Channel that captured the decision.';
comment on column public.privacy_consent_records.recorded_at is 'When the decision was made. Server time (clock_timestamp()) for rows written by anon/authenticated; service imports may supply a past time.';
comment on column public.privacy_consent_records.expires_at is 'When a grant lapses (must be after recorded_at); the view reports an expired grant as effective_status = expired.';
comment on column public.privacy_consent_records.withdrawn_at is 'When consent was withdrawn; required exactly when consent_status = withdrawn (defaults to recorded_at).';
comment on column public.privacy_consent_records.supersedes_id is 'The earlier record of the same subject and consent_type that this row replaces.';
comment on column public.privacy_consent_records.created_at is 'Row creation time.';
comment on column public.privacy_consent_records.updated_at is 'Last modification (maintained by trigger; only the erasure path ever updates).';

-- Query 11 (a user's current consent per type) and the RLS policy on user_id.
-- id breaks ties between decisions recorded in the same microsecond.
create index privacy_consent_records_user_id_consent_type_recorded_at_id_idx
  on public.privacy_consent_records (user_id, consent_type, recorded_at desc, id desc);
comment on index public.privacy_consent_records_user_id_consent_type_recorded_at_id_idx is
  'Current consent of a user per type (query 11), RLS user_id test, FK index for user_id.';
-- Query 12 (everyone whose current consent of one type is granted).
create index privacy_consent_records_consent_type_user_id_recorded_at_id_idx
  on public.privacy_consent_records (consent_type, user_id, recorded_at desc, id desc)
  where user_id is not null;
comment on index public.privacy_consent_records_consent_type_user_id_recorded_at_id_idx is
  'Current consent of every user for one type (query 12).';
create index privacy_consent_records_anonymous_id_type_recorded_at_idx
  on public.privacy_consent_records (anonymous_id, consent_type, recorded_at desc)
  where anonymous_id is not null;
comment on index public.privacy_consent_records_anonymous_id_type_recorded_at_idx is
  'Consent history of an anonymous visitor (banner sync, supersedes validation).';
create index privacy_consent_records_supersedes_id_idx
  on public.privacy_consent_records (supersedes_id);
comment on index public.privacy_consent_records_supersedes_id_idx is 'FK index for supersedes_id.';

create trigger privacy_consent_records_set_updated_at
  before update on public.privacy_consent_records
  for each row execute function private.set_updated_at();
comment on trigger privacy_consent_records_set_updated_at on public.privacy_consent_records is 'Keeps updated_at current.';

------------------------------------------------------------------------------
-- privacy_data_requests
------------------------------------------------------------------------------
create table public.privacy_data_requests (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references auth.users (id) on delete set null,
  request_type public.privacy_request_type not null,
  request_status public.privacy_request_status not null default 'pending_verification',
  regulation public.privacy_regulation not null,
  verification_method public.privacy_verification_method,
  submitted_at timestamptz not null default now(),
  due_at timestamptz not null
    generated always as (private.privacy_request_due_at(submitted_at, regulation)) stored,
  extended_due_at timestamptz,
  extension_reason text,
  effective_due_at timestamptz not null
    generated always as (coalesce(extended_due_at, private.privacy_request_due_at(submitted_at, regulation))) stored,
  verified_at timestamptz,
  completed_at timestamptz,
  legal_review_notes text,
  rejection_reason text,
  export_location text,
  export_expires_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint privacy_data_requests_extension_pair_check
    check ((extended_due_at is null) = (extension_reason is null)),
  constraint privacy_data_requests_extended_due_at_check
    check (extended_due_at > private.privacy_request_due_at(submitted_at, regulation)
       and extended_due_at <= private.privacy_request_latest_due_at(submitted_at, regulation)),
  constraint privacy_data_requests_extension_reason_check check (char_length(extension_reason) between 1 and 2000),
  constraint privacy_data_requests_legal_review_notes_check check (char_length(legal_review_notes) between 1 and 10000),
  constraint privacy_data_requests_rejection_reason_check check (char_length(rejection_reason) between 1 and 2000),
  constraint privacy_data_requests_rejection_required_check
    check ((request_status = 'rejected') = (rejection_reason is not null)),
  constraint privacy_data_requests_completed_at_check
    check ((request_status = 'completed') = (completed_at is not null)),
  constraint privacy_data_requests_verified_at_check check (
    case request_status
      when 'pending_verification' then verified_at is null
      when 'verified' then verified_at is not null
      when 'in_progress' then verified_at is not null
      when 'legal_review' then verified_at is not null
      when 'completed' then verified_at is not null
      else true
    end),
  constraint privacy_data_requests_verification_method_check
    check (verified_at is null or verification_method is not null),
  constraint privacy_data_requests_verified_after_submitted_check check (verified_at >= submitted_at),
  constraint privacy_data_requests_completed_after_submitted_check check (completed_at >= submitted_at),
  constraint privacy_data_requests_export_location_check check (char_length(export_location) between 1 and 2048),
  constraint privacy_data_requests_export_pair_check
    check ((export_location is null) = (export_expires_at is null)),
  constraint privacy_data_requests_export_type_check
    check (export_location is null or request_type in ('access', 'portability', 'ccpa_know')),
  constraint privacy_data_requests_export_expires_at_check check (export_expires_at > submitted_at)
);
comment on table public.privacy_data_requests is
  'Data subject requests (GDPR Art. 15-21, CCPA/CPRA). Deadlines are generated from submitted_at and regulation; status changes follow the state machine enforced by trigger privacy_data_requests_guard_update; every insert and transition is written to privacy_audit_logs. Rows outlive the user (user_id ON DELETE SET NULL).';
comment on column public.privacy_data_requests.id is 'Primary key (random UUID v4).';
comment on column public.privacy_data_requests.user_id is 'The data subject; NULL after erasure (ON DELETE SET NULL when the account is deleted, e.g. by erase_user_data): the request outlives the erasure it fulfilled.';
comment on column public.privacy_data_requests.request_type is 'Which right is exercised. Immutable.';
comment on column public.privacy_data_requests.request_status is 'Workflow state; changes only along the allowed transitions (see type privacy_request_status).';
comment on column public.privacy_data_requests.regulation is 'Law the request is made under; sets the deadline. Immutable.';
comment on column public.privacy_data_requests.verification_method is 'How identity was verified; required once verified_at is set.';
comment on column public.privacy_data_requests.submitted_at is 'When the request was received. Server time for requests written by users; service imports may supply the real receipt time. Immutable.';
comment on column public.privacy_data_requests.due_at is 'Statutory deadline, generated: submitted_at + 30 days (GDPR, UK GDPR), 45 days (CCPA, CPRA), 15 days (LGPD), in UTC.';
comment on column public.privacy_data_requests.extended_due_at is 'Extended deadline, when one was taken; after due_at and at most due_at + 2 months (GDPR) / + 45 days (CCPA/CPRA); LGPD allows none. Set together with extension_reason.';
comment on column public.privacy_data_requests.extension_reason is 'Why the deadline was extended (the data subject must be told). Required exactly when extended_due_at is set.';
comment on column public.privacy_data_requests.effective_due_at is 'Deadline in force, generated: extended_due_at when set, else due_at. Indexed for open requests (query 13).';
comment on column public.privacy_data_requests.verified_at is 'When the identity was verified; set automatically on the transition to verified.';
comment on column public.privacy_data_requests.completed_at is 'When the request was fulfilled; set automatically on the transition to completed, present exactly when completed.';
comment on column public.privacy_data_requests.legal_review_notes is 'Notes of the legal review (admin/service only).';
comment on column public.privacy_data_requests.rejection_reason is 'Why the request was refused; required exactly when rejected.';
comment on column public.privacy_data_requests.export_location is 'Where the export for an access/portability/ccpa_know request can be fetched; set together with export_expires_at; cleared on erasure.';
comment on column public.privacy_data_requests.export_expires_at is 'When the export link stops working.';
comment on column public.privacy_data_requests.created_at is 'Row creation time.';
comment on column public.privacy_data_requests.updated_at is 'Last modification (maintained by trigger).';

-- Query 14 (a user's own requests, newest first); RLS user_id test; FK index.
create index privacy_data_requests_user_id_submitted_at_idx
  on public.privacy_data_requests (user_id, submitted_at desc);
comment on index public.privacy_data_requests_user_id_submitted_at_idx is
  'A user''s requests newest first (query 14), RLS user_id test, FK index for user_id.';
-- Query 13 (open requests by deadline, overdue ones). The predicate is the
-- exact list used by view privacy_open_data_requests, so the planner proves it.
create index privacy_data_requests_open_effective_due_at_idx
  on public.privacy_data_requests (effective_due_at)
  where request_status in ('pending_verification', 'verified', 'in_progress', 'legal_review');
comment on index public.privacy_data_requests_open_effective_due_at_idx is
  'Open (non-terminal) requests by deadline in force (query 13).';

create trigger privacy_data_requests_set_updated_at
  before update on public.privacy_data_requests
  for each row execute function private.set_updated_at();
comment on trigger privacy_data_requests_set_updated_at on public.privacy_data_requests is 'Keeps updated_at current.';

------------------------------------------------------------------------------
-- privacy_audit_logs
------------------------------------------------------------------------------
create table public.privacy_audit_logs (
  id uuid primary key default private.uuid_v7(),
  chain_position bigint not null,
  user_id uuid references auth.users (id) on delete set null,
  subject_ref uuid,
  actor_id uuid references auth.users (id) on delete set null,
  actor_ref uuid,
  actor_role text not null,
  event_type text not null,
  event_category public.privacy_event_category not null,
  compliance_status public.privacy_compliance_status not null default 'compliant',
  risk_level public.privacy_risk_level not null default 'low',
  regulation public.privacy_regulation,
  target_table text,
  target_id uuid,
  details jsonb not null default '{}'::jsonb,
  occurred_at timestamptz not null default now(),
  prev_hash bytea,
  row_hash bytea not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint privacy_audit_logs_chain_position_key unique (chain_position),
  constraint privacy_audit_logs_chain_position_check check (chain_position > 0),
  constraint privacy_audit_logs_actor_role_check check (char_length(actor_role) between 1 and 64),
  constraint privacy_audit_logs_event_type_check check (event_type ~ '^[a-z][a-z0-9_]{0,63}$'),
  constraint privacy_audit_logs_target_table_check check (target_table ~ '^[a-z_][a-z0-9_.]{0,126}$'),
  constraint privacy_audit_logs_details_check
    check (jsonb_typeof(details) = 'object' and pg_column_size(details) <= 32768),
  constraint privacy_audit_logs_prev_hash_check check (octet_length(prev_hash) = 32),
  constraint privacy_audit_logs_row_hash_check check (octet_length(row_hash) = 32),
  constraint privacy_audit_logs_subject_ref_check check (user_id is null or subject_ref is not null),
  constraint privacy_audit_logs_actor_ref_check check (actor_id is null or actor_ref is not null)
);
comment on table public.privacy_audit_logs is
  'Tamper-evident, append-only privacy audit trail. Rows arrive only from triggers on the privacy tables and from log_privacy_event() (no role has INSERT). Each row_hash = sha256(prev_hash || canonical content); the content covers the pseudonyms subject_ref/actor_ref, not user_id/actor_id, so the one sanctioned UPDATE (clearing user_id/actor_id of a person who was erased) keeps the chain valid. Every other UPDATE, every DELETE except run_retention''s pruning of expired rows, and TRUNCATE are refused by triggers. verify_audit_chain() finds the first broken link.';
comment on column public.privacy_audit_logs.id is 'Primary key (UUID v7: append-heavy, time-ordered). Hashed.';
comment on column public.privacy_audit_logs.chain_position is 'Position in the hash chain (1, 2, 3, ... without gaps), assigned by trigger under a transaction-level advisory lock. Hashed.';
comment on column public.privacy_audit_logs.user_id is 'The data subject the event is about. Not hashed; cleared by ON DELETE SET NULL when the person''s account is deleted (erase_user_data) - the only UPDATE the table allows.';
comment on column public.privacy_audit_logs.subject_ref is 'Pseudonym of the data subject (private.audit_subjects.id), assigned by trigger from user_id. Hashed; links to nobody once the mapping row is erased.';
comment on column public.privacy_audit_logs.actor_id is 'Who caused the event (auth.uid() of the caller), when it is a known user. Not hashed; cleared on erasure like user_id.';
comment on column public.privacy_audit_logs.actor_ref is 'Pseudonym of the actor, assigned by trigger from actor_id. Hashed.';
comment on column public.privacy_audit_logs.actor_role is 'Database role of the caller (anon, authenticated, service_role, postgres, ...) or ''admin'' for an authenticated admin. Hashed.';
comment on column public.privacy_audit_logs.event_type is 'What happened, lowercase snake_case (consent_granted, data_request_verified, user_data_erased, retention_run, ...). Hashed.';
comment on column public.privacy_audit_logs.event_category is 'Category of the event. Hashed.';
comment on column public.privacy_audit_logs.compliance_status is 'Compliance assessment of the event. Hashed.';
comment on column public.privacy_audit_logs.risk_level is 'Risk level of the event. Hashed.';
comment on column public.privacy_audit_logs.regulation is 'Law the event relates to, when one does. Hashed.';
comment on column public.privacy_audit_logs.target_table is 'Table of the row the event is about (soft reference: the row may later be removed). Hashed.';
comment on column public.privacy_audit_logs.target_id is 'Id of the row the event is about (soft reference). Hashed.';
comment on column public.privacy_audit_logs.details is 'Event details as a JSON object (at most 32 kB). Never holds raw user ids, e-mail addresses or other direct identifiers. Hashed.';
comment on column public.privacy_audit_logs.occurred_at is 'When the event was logged. Never before its predecessor''s (raised to it by trigger) and never in the future, so chain order is time order and retention removes a prefix. Hashed.';
comment on column public.privacy_audit_logs.prev_hash is 'row_hash of the previous row in the chain (NULL for the genesis row; the checkpoint hash for the first row after a pruning).';
comment on column public.privacy_audit_logs.row_hash is 'sha256(prev_hash || canonical content) - see private.audit_row_hash().';
comment on column public.privacy_audit_logs.created_at is 'Row creation time (not hashed).';
comment on column public.privacy_audit_logs.updated_at is 'Last modification (maintained by trigger; changes only on de-identification; not hashed).';

-- Query 15 (audit log of one data subject, newest first); RLS; FK index.
create index privacy_audit_logs_user_id_occurred_at_idx
  on public.privacy_audit_logs (user_id, occurred_at desc);
comment on index public.privacy_audit_logs_user_id_occurred_at_idx is
  'Audit trail of one data subject newest first (query 15), RLS user_id test, FK index for user_id.';
create index privacy_audit_logs_actor_id_idx on public.privacy_audit_logs (actor_id);
comment on index public.privacy_audit_logs_actor_id_idx is 'FK index for actor_id (ON DELETE SET NULL).';
-- Query 16 (high/critical events in a recent window); serves both
-- "risk_level in ('high','critical')" and "risk_level >= 'high'".
create index privacy_audit_logs_risk_level_occurred_at_idx
  on public.privacy_audit_logs (risk_level, occurred_at desc);
comment on index public.privacy_audit_logs_risk_level_occurred_at_idx is
  'Events of given risk levels in a time window (query 16).';

create trigger privacy_audit_logs_set_updated_at
  before update on public.privacy_audit_logs
  for each row execute function private.set_updated_at();
comment on trigger privacy_audit_logs_set_updated_at on public.privacy_audit_logs is 'Keeps updated_at current.';

------------------------------------------------------------------------------
-- Hash chain
------------------------------------------------------------------------------
create function private.audit_row_hash(
  p_prev_hash bytea,
  p_chain_position bigint,
  p_id uuid,
  p_subject_ref uuid,
  p_actor_ref uuid,
  p_actor_role text,
  p_event_type text,
  p_event_category public.privacy_event_category,
  p_compliance_status public.privacy_compliance_status,
  p_risk_level public.privacy_risk_level,
  p_regulation public.privacy_regulation,
  p_target_table text,
  p_target_id uuid,
  p_details jsonb,
  p_occurred_at timestamptz
)
returns bytea
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
  -- Canonical content: a JSON array in fixed order. jsonb text output is
  -- deterministic (keys sorted, no insignificant whitespace); the timestamp is
  -- hashed as integer microseconds since the epoch so neither TimeZone nor
  -- DateStyle can change the bytes. 'v1' versions the serialisation.
  -- plpgsql, not SQL: a SQL function with a SET clause is re-planned on every
  -- call, and this one runs once per row (chain trigger, verifier).
  return extensions.digest(
    coalesce(p_prev_hash, '\x'::bytea)
      || pg_catalog.convert_to(
           pg_catalog.jsonb_build_array(
             'v1', p_chain_position, p_id, p_subject_ref, p_actor_ref, p_actor_role,
             p_event_type, p_event_category, p_compliance_status, p_risk_level,
             p_regulation, p_target_table, p_target_id, p_details,
             (extract(epoch from p_occurred_at) * 1000000)::bigint
           )::text,
           'UTF8'),
    'sha256');
end;
$$;
comment on function private.audit_row_hash(bytea, bigint, uuid, uuid, uuid, text, text, public.privacy_event_category, public.privacy_compliance_status, public.privacy_risk_level, public.privacy_regulation, text, uuid, jsonb, timestamptz) is
  'row_hash of an audit row: sha256(prev_hash || UTF-8 of a canonical JSON array of the hashed columns). user_id, actor_id, created_at and updated_at are deliberately not hashed.';
revoke all on function private.audit_row_hash(bytea, bigint, uuid, uuid, uuid, text, text, public.privacy_event_category, public.privacy_compliance_status, public.privacy_risk_level, public.privacy_regulation, text, uuid, jsonb, timestamptz) from public;

create function private.audit_chain_lock()
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
  -- One transaction-level advisory lock serialises every append to (and the
  -- pruning of) the chain, so two writers can never fork it. Key: an arbitrary
  -- constant reserved for this purpose.
  perform pg_catalog.pg_advisory_xact_lock(7306228547153020931);
  perform pg_catalog.set_config('privacy.audit_chain_locked', 'on', true);
end;
$$;
comment on function private.audit_chain_lock() is
  'Takes the transaction-level advisory lock (key 7306228547153020931) that serialises audit chain appends and pruning until commit.';
revoke all on function private.audit_chain_lock() from public;

create function private.audit_subject_ref(p_user_id uuid)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_ref uuid;
begin
  if p_user_id is null then
    return null;
  end if;
  select s.id into v_ref from private.audit_subjects s where s.user_id = p_user_id;
  if not found then
    insert into private.audit_subjects (user_id) values (p_user_id)
      on conflict (user_id) do nothing
      returning id into v_ref;
    if v_ref is null then
      select s.id into v_ref from private.audit_subjects s where s.user_id = p_user_id;
    end if;
  end if;
  return v_ref;
end;
$$;
comment on function private.audit_subject_ref(uuid) is
  'Pseudonym of a person for the audit chain: returns private.audit_subjects.id for the user, creating it on first use. SECURITY DEFINER (owner only; EXECUTE revoked from everyone).';
revoke all on function private.audit_subject_ref(uuid) from public;

create function private.privacy_audit_logs_chain()
returns trigger
language plpgsql
set search_path = ''
-- The head lookup below must always be a backward index scan on
-- chain_position: with stale statistics (an empty table at plan time) the
-- planner would pick seq scan + sort, and a bulk insert would go quadratic.
set enable_seqscan = off
as $$
declare
  v_clock timestamptz := clock_timestamp();
  v_last_position bigint;
  v_last_hash bytea;
  v_last_occurred_at timestamptz;
begin
  -- Same lock as private.audit_chain_lock(), taken once per transaction (the
  -- transaction-local flag is rolled back with a failed subtransaction, just
  -- like a lock taken inside it). The flag is not a security boundary: a
  -- session that forges it only loses the lock's queueing, and the unique
  -- chain_position still refuses any second row at the same position.
  if pg_catalog.current_setting('privacy.audit_chain_locked', true) is distinct from 'on' then
    perform pg_catalog.pg_advisory_xact_lock(7306228547153020931);
    perform pg_catalog.set_config('privacy.audit_chain_locked', 'on', true);
  end if;

  -- Under READ COMMITTED this statement takes a fresh snapshot after the lock
  -- is held, so it sees the head appended by the previous lock holder. Under
  -- REPEATABLE READ a stale head yields a duplicate chain_position, which the
  -- unique constraint rejects: the chain cannot fork, the writer retries.
  select l.chain_position, l.row_hash, l.occurred_at
    into v_last_position, v_last_hash, v_last_occurred_at
    from public.privacy_audit_logs l
   order by l.chain_position desc
   limit 1;

  if v_last_position is null then
    -- Empty table: continue from the latest retention checkpoint, or start the chain.
    select c.through_position, c.through_hash
      into v_last_position, v_last_hash
      from private.audit_chain_checkpoints c
     order by c.through_position desc
     limit 1;
  end if;

  new.chain_position := coalesce(v_last_position, 0) + 1;
  new.prev_hash := v_last_hash;

  new.occurred_at := coalesce(new.occurred_at, v_clock);
  if new.occurred_at > v_clock then
    raise exception 'privacy_audit_logs.occurred_at % is in the future', new.occurred_at
      using errcode = 'PV003';
  end if;
  new.occurred_at := greatest(new.occurred_at, v_last_occurred_at);

  new.subject_ref := case when new.user_id is not null then private.audit_subject_ref(new.user_id) end;
  new.actor_ref := case when new.actor_id is not null then private.audit_subject_ref(new.actor_id) end;

  new.row_hash := private.audit_row_hash(
    new.prev_hash, new.chain_position, new.id, new.subject_ref, new.actor_ref, new.actor_role,
    new.event_type, new.event_category, new.compliance_status, new.risk_level,
    new.regulation, new.target_table, new.target_id, new.details, new.occurred_at);
  return new;
end;
$$;
comment on function private.privacy_audit_logs_chain() is
  'BEFORE INSERT trigger on privacy_audit_logs: takes the chain lock, assigns chain_position, prev_hash, the subject/actor pseudonyms and row_hash (whatever the caller supplied), keeps occurred_at monotonic and refuses future timestamps.';
revoke all on function private.privacy_audit_logs_chain() from public;

create trigger privacy_audit_logs_chain
  before insert on public.privacy_audit_logs
  for each row execute function private.privacy_audit_logs_chain();
comment on trigger privacy_audit_logs_chain on public.privacy_audit_logs is 'Links every new row into the hash chain.';

create function private.privacy_audit_logs_guard()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_cutoff text;
begin
  if tg_op = 'TRUNCATE' then
    raise exception 'privacy_audit_logs is append-only: TRUNCATE refused'
      using errcode = 'PV003';
  end if;

  if tg_op = 'DELETE' then
    -- The only sanctioned DELETE: run_retention pruning rows older than the
    -- cutoff it publishes for the duration of its own statement.
    v_cutoff := pg_catalog.current_setting('privacy.audit_retention_cutoff', true);
    if coalesce(v_cutoff, '') <> '' and old.occurred_at < v_cutoff::timestamptz then
      return old;
    end if;
    raise exception 'privacy_audit_logs is append-only: DELETE of row % refused', old.id
      using errcode = 'PV003',
            hint = 'Only run_retention() removes audit rows, and only those past the retention period.';
  end if;

  -- UPDATE: the only sanctioned change clears user_id and/or actor_id of a
  -- person whose account is gone (the FK's ON DELETE SET NULL, also the path
  -- erase_user_data() takes). Nothing hashed changes.
  if (pg_catalog.to_jsonb(new) - '{user_id,actor_id,updated_at}'::text[])
       = (pg_catalog.to_jsonb(old) - '{user_id,actor_id,updated_at}'::text[])
     and (new.user_id is not distinct from old.user_id
          or (new.user_id is null and private.privacy_user_erasable(old.user_id)))
     and (new.actor_id is not distinct from old.actor_id
          or (new.actor_id is null and private.privacy_user_erasable(old.actor_id)))
     and (new.user_id is distinct from old.user_id or new.actor_id is distinct from old.actor_id)
  then
    return new;
  end if;
  raise exception 'privacy_audit_logs is append-only: UPDATE of row % refused', old.id
    using errcode = 'PV003',
          hint = 'Audit rows are immutable; only the erasure of a person may clear user_id/actor_id.';
end;
$$;
comment on function private.privacy_audit_logs_guard() is
  'Trigger enforcing immutability of privacy_audit_logs for every role including the owner: refuses TRUNCATE, every DELETE except run_retention''s pruning of expired rows, and every UPDATE except clearing user_id/actor_id of an erased person (SQLSTATE PV003).';
revoke all on function private.privacy_audit_logs_guard() from public;

create function private.privacy_user_erasable(p_user_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  -- A person's id may be cleared from privacy rows only once the person no
  -- longer exists: the FK's ON DELETE SET NULL runs after the auth.users row
  -- is gone (erase_user_data() ends by deleting it). Nothing a session can
  -- set makes this true for a live user.
  return p_user_id is not null
     and not exists (select 1 from auth.users u where u.id = p_user_id);
end;
$$;
comment on function private.privacy_user_erasable(uuid) is
  'True when references to this user may be cleared from privacy rows: the auth user no longer exists (the FK''s ON DELETE SET NULL, which erase_user_data() triggers by deleting the account). Used by the append-only guards; owner only.';
revoke all on function private.privacy_user_erasable(uuid) from public;

create trigger privacy_audit_logs_block_update
  before update or delete on public.privacy_audit_logs
  for each row execute function private.privacy_audit_logs_guard();
comment on trigger privacy_audit_logs_block_update on public.privacy_audit_logs is
  'Refuses UPDATE/DELETE except de-identification of erased persons and retention pruning. Named so it fires before privacy_audit_logs_set_updated_at.';
create trigger privacy_audit_logs_block_truncate
  before truncate on public.privacy_audit_logs
  for each statement execute function private.privacy_audit_logs_guard();
comment on trigger privacy_audit_logs_block_truncate on public.privacy_audit_logs is 'Refuses TRUNCATE.';

------------------------------------------------------------------------------
-- The logging function (the one entry point for application-level events)
------------------------------------------------------------------------------
create function private.audit_actor(out actor_id uuid, out actor_role text)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  -- The actor is derived from the session, never taken from a caller.
  actor_id := auth.uid();
  if actor_id is not null and not exists (select 1 from auth.users u where u.id = actor_id) then
    actor_id := null;
  end if;
  -- current_setting('role') is the role set by SET [LOCAL] ROLE (what
  -- PostgREST does per request); SECURITY DEFINER does not change it, unlike
  -- current_user. 'none' means no SET ROLE: fall back to the login role.
  if private.is_admin() then
    actor_role := 'admin';
  else
    actor_role := coalesce(nullif(pg_catalog.current_setting('role', true), 'none'), session_user::text);
  end if;
end;
$$;
comment on function private.audit_actor() is
  'Who is acting, for the audit log: actor_id = auth.uid() when that user exists, actor_role = ''admin'' for an authenticated admin, else the role set by SET ROLE, else the session user. Owner only.';
revoke all on function private.audit_actor() from public;

create function public.log_privacy_event(
  p_event_type text,
  p_event_category public.privacy_event_category,
  p_user_id uuid default null,
  p_target_table text default null,
  p_target_id uuid default null,
  p_details jsonb default '{}'::jsonb,
  p_regulation public.privacy_regulation default null,
  p_risk_level public.privacy_risk_level default 'low',
  p_compliance_status public.privacy_compliance_status default 'compliant'
)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_actor uuid;
  v_role text;
  v_id uuid;
begin
  select a.actor_id, a.actor_role into v_actor, v_role from private.audit_actor() a;
  insert into public.privacy_audit_logs (
    user_id, actor_id, actor_role, event_type, event_category, compliance_status,
    risk_level, regulation, target_table, target_id, details)
  values (
    p_user_id, v_actor, v_role, p_event_type, p_event_category,
    p_compliance_status, p_risk_level, p_regulation, p_target_table, p_target_id,
    coalesce(p_details, '{}'::jsonb))
  returning id into v_id;
  return v_id;
end;
$$;
comment on function public.log_privacy_event(text, public.privacy_event_category, uuid, text, uuid, jsonb, public.privacy_regulation, public.privacy_risk_level, public.privacy_compliance_status) is
  'The one SECURITY DEFINER logging function: appends an event to privacy_audit_logs (actor_id/actor_role derived from the session, chain fields by trigger) and returns its id. Called by the privacy triggers and compliance functions; EXECUTE granted to service_role only (the backend logs data_access/export events), so users cannot forge entries.';
revoke all on function public.log_privacy_event(text, public.privacy_event_category, uuid, text, uuid, jsonb, public.privacy_regulation, public.privacy_risk_level, public.privacy_compliance_status) from public, anon, authenticated;
grant execute on function public.log_privacy_event(text, public.privacy_event_category, uuid, text, uuid, jsonb, public.privacy_regulation, public.privacy_risk_level, public.privacy_compliance_status) to service_role;

------------------------------------------------------------------------------
-- Chain verification
------------------------------------------------------------------------------
create function public.verify_audit_chain(
  p_anchor_position bigint default null,
  p_anchor_hash bytea default null
)
returns table (id uuid, chain_position bigint, reason text)
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_cp_position bigint;
  v_cp_hash bytea;
  v_first_position bigint;
begin
  if pg_catalog.current_setting('role', true) in ('anon', 'authenticated') and not private.is_admin() then
    raise exception 'verify_audit_chain() is for admins and the service role'
      using errcode = '42501';
  end if;

  select c.through_position, c.through_hash into v_cp_position, v_cp_hash
    from private.audit_chain_checkpoints c
   order by c.through_position desc
   limit 1;

  -- 1. Row by row (set-based): position continuity, prev_hash links, content
  --    hash, pseudonym consistency, time order. First failure wins.
  return query
  with ordered as (
    select l.*,
           lag(l.chain_position) over w as lag_position,
           lag(l.row_hash) over w as lag_hash,
           lag(l.occurred_at) over w as lag_occurred_at,
           row_number() over w as rn
      from public.privacy_audit_logs l
    window w as (order by l.chain_position)
  ), checked as (
    select o.id, o.chain_position,
      case
        when o.rn = 1 and o.chain_position <> coalesce(v_cp_position, 0) + 1 then
          pg_catalog.format('first row is at position %s, expected %s: rows are missing at the start of the chain',
                            o.chain_position, coalesce(v_cp_position, 0) + 1)
        when o.rn = 1 and o.prev_hash is distinct from v_cp_hash then
          'prev_hash of the first row does not match the latest retention checkpoint (or genesis)'
        when o.rn > 1 and o.chain_position <> o.lag_position + 1 then
          pg_catalog.format('gap in the chain: expected position %s, found %s (rows deleted)',
                            o.lag_position + 1, o.chain_position)
        when o.rn > 1 and o.prev_hash is distinct from o.lag_hash then
          'prev_hash does not match the row_hash of the previous row'
        when o.row_hash is distinct from private.audit_row_hash(
               o.prev_hash, o.chain_position, o.id, o.subject_ref, o.actor_ref, o.actor_role,
               o.event_type, o.event_category, o.compliance_status, o.risk_level,
               o.regulation, o.target_table, o.target_id, o.details, o.occurred_at) then
          'row_hash does not match the row content (row modified)'
        when o.user_id is not null and o.subject_ref is distinct from
               (select s.id from private.audit_subjects s where s.user_id = o.user_id) then
          'user_id does not match the hashed subject pseudonym (user_id rewritten)'
        when o.actor_id is not null and o.actor_ref is distinct from
               (select s.id from private.audit_subjects s where s.user_id = o.actor_id) then
          'actor_id does not match the hashed actor pseudonym (actor_id rewritten)'
        when o.rn > 1 and o.occurred_at < o.lag_occurred_at then
          'occurred_at is earlier than the previous row''s'
        when p_anchor_position is not null and o.chain_position = p_anchor_position
             and o.row_hash is distinct from p_anchor_hash then
          'row_hash differs from the externally anchored hash for this position'
      end as reason
    from ordered o
  )
  select k.id, k.chain_position, k.reason
    from checked k
   where k.reason is not null
   order by k.chain_position
   limit 1;
  if found then
    return;
  end if;

  select min(l.chain_position) into v_first_position from public.privacy_audit_logs l;

  -- 2. A checkpoint with nothing after it: pruning never empties the chain
  --    (run_retention logs after pruning), so the tail was removed.
  if v_cp_position is not null and v_first_position is null then
    return query select null::uuid, v_cp_position,
      'retention checkpoint exists but the chain after it is empty (rows deleted)'::text;
    return;
  end if;

  -- 3. The latest checkpoint must be vouched for by a chained pruning event.
  if v_cp_position is not null and not exists (
       select 1 from public.privacy_audit_logs l
        where l.event_type = 'audit_log_pruned'
          and l.details ->> 'through_position' = v_cp_position::text
          and l.details ->> 'through_hash' = pg_catalog.encode(v_cp_hash, 'hex')) then
    return query select null::uuid, v_cp_position,
      'latest retention checkpoint is not recorded by an audit_log_pruned event in the chain'::text;
    return;
  end if;

  -- 4. An external anchor the chain no longer reaches (tail truncated or pruned past it).
  if p_anchor_position is not null and not exists (
       select 1 from public.privacy_audit_logs l where l.chain_position = p_anchor_position)
     and p_anchor_position > coalesce(v_cp_position, 0) then
    return query select null::uuid, p_anchor_position,
      'externally anchored position is missing from the chain (rows deleted at the end)'::text;
    return;
  end if;
end;
$$;
comment on function public.verify_audit_chain(bigint, bytea) is
  'Verifies the audit hash chain and returns its first broken link (id, chain_position, reason), or no rows when intact. Checks: positions contiguous from the latest retention checkpoint (or 1), prev_hash links (first row against the checkpoint hash or NULL), row_hash against recomputed content, user_id/actor_id consistent with the hashed pseudonyms, occurred_at monotonic, the checkpoint recorded by an audit_log_pruned event, and optionally an externally anchored (position, hash) pair obtained earlier from privacy_audit_chain_head(). SECURITY DEFINER so it sees every row; callable by admins and service_role.';
revoke all on function public.verify_audit_chain(bigint, bytea) from public, anon, authenticated;
grant execute on function public.verify_audit_chain(bigint, bytea) to authenticated, service_role;

create function public.privacy_audit_chain_head()
returns table (chain_position bigint, row_hash text, occurred_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select l.chain_position, pg_catalog.encode(l.row_hash, 'hex'), l.occurred_at
    from public.privacy_audit_logs l
   order by l.chain_position desc
   limit 1
$$;
comment on function public.privacy_audit_chain_head() is
  'Current head of the audit chain (position, hex row_hash, time). Publish it outside the database (ticket, object store with retention lock, ...) and later pass it to verify_audit_chain(position, decode(hash, ''hex'')): that detects even a rewrite by a superuser who re-hashed the whole chain. service_role only.';
revoke all on function public.privacy_audit_chain_head() from public, anon, authenticated;
grant execute on function public.privacy_audit_chain_head() to service_role;

------------------------------------------------------------------------------
-- Consent triggers
------------------------------------------------------------------------------
create function private.privacy_consent_records_before_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_prev_user_id uuid;
  v_prev_anonymous_id text;
  v_prev_type public.privacy_consent_type;
  v_prev_recorded_at timestamptz;
begin
  -- Proof of consent: rows written through the API get the server's clock.
  if pg_catalog.current_setting('role', true) in ('anon', 'authenticated') then
    new.recorded_at := pg_catalog.clock_timestamp();
    if new.consent_status = 'withdrawn' then
      new.withdrawn_at := new.recorded_at;
    end if;
  end if;
  if new.consent_status = 'withdrawn' and new.withdrawn_at is null then
    new.withdrawn_at := new.recorded_at;
  end if;

  -- A record may only supersede an earlier record of the same subject and type.
  if new.supersedes_id is not null then
    select c.user_id, c.anonymous_id, c.consent_type, c.recorded_at
      into v_prev_user_id, v_prev_anonymous_id, v_prev_type, v_prev_recorded_at
      from public.privacy_consent_records c
     where c.id = new.supersedes_id;
    if found and (v_prev_type <> new.consent_type
                  or v_prev_user_id is distinct from new.user_id
                  or v_prev_anonymous_id is distinct from new.anonymous_id
                  or v_prev_recorded_at > new.recorded_at) then
      raise exception 'supersedes_id must reference an earlier consent record of the same subject and consent_type'
        using errcode = '23514';
    end if;
  end if;
  return new;
end;
$$;
comment on function private.privacy_consent_records_before_insert() is
  'BEFORE INSERT on privacy_consent_records: server time for API writes (recorded_at, withdrawn_at), withdrawn_at defaults to recorded_at, supersedes_id must point at an earlier record of the same subject and type (SQLSTATE 23514). SECURITY DEFINER so anon can be checked against rows it cannot read.';
revoke all on function private.privacy_consent_records_before_insert() from public;

create trigger privacy_consent_records_before_insert
  before insert on public.privacy_consent_records
  for each row execute function private.privacy_consent_records_before_insert();
comment on trigger privacy_consent_records_before_insert on public.privacy_consent_records is 'Normalises and validates new consent records.';

create function private.privacy_consent_records_guard()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_key text;
  v_ref text;
begin
  if tg_op = 'UPDATE'
     and old.user_id is not null and new.user_id is null
     and new.anonymous_id is not distinct from old.anonymous_id
     and (pg_catalog.to_jsonb(new) - '{user_id,anonymous_id,updated_at}'::text[])
         = (pg_catalog.to_jsonb(old) - '{user_id,anonymous_id,updated_at}'::text[])
     and private.privacy_user_erasable(old.user_id)
  then
    -- Sanctioned de-identification of an erased person: the proof of consent
    -- stays, under the person's audit pseudonym, which links to nobody once
    -- the mapping row is gone. When the FK action runs after the mapping was
    -- already cascaded away, a fresh random pseudonym is drawn; it is kept in
    -- a transaction-local setting so all of the person's rows share it.
    v_key := 'privacy.erased_' || pg_catalog.replace(old.user_id::text, '-', '');
    v_ref := nullif(pg_catalog.current_setting(v_key, true), '');
    if v_ref is null then
      select s.id::text into v_ref from private.audit_subjects s where s.user_id = old.user_id;
      v_ref := coalesce(v_ref, pg_catalog.gen_random_uuid()::text);
      perform pg_catalog.set_config(v_key, v_ref, true);
    end if;
    new.anonymous_id := 'erased:' || v_ref;
    return new;
  end if;
  raise exception 'privacy_consent_records is append-only: % refused', tg_op
    using errcode = 'PV002',
          hint = 'Record a new decision as a new row (set supersedes_id to the row it replaces).';
end;
$$;
comment on function private.privacy_consent_records_guard() is
  'Trigger keeping privacy_consent_records append-only for every role including the owner (SQLSTATE PV002). The one allowed UPDATE is the de-identification of an erased person: user_id -> NULL by the FK''s ON DELETE SET NULL once the account is gone, with nothing else changed; it sets anonymous_id to ''erased:<pseudonym>''.';
revoke all on function private.privacy_consent_records_guard() from public;

create trigger privacy_consent_records_block_update
  before update or delete on public.privacy_consent_records
  for each row execute function private.privacy_consent_records_guard();
comment on trigger privacy_consent_records_block_update on public.privacy_consent_records is 'Append-only: refuses UPDATE/DELETE except de-identification on erasure.';
create trigger privacy_consent_records_block_truncate
  before truncate on public.privacy_consent_records
  for each statement execute function private.privacy_consent_records_guard();
comment on trigger privacy_consent_records_block_truncate on public.privacy_consent_records is 'Append-only: refuses TRUNCATE.';

create function private.privacy_consent_records_log()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_actor uuid;
  v_role text;
begin
  -- Statement level with a transition table: one actor lookup and one INSERT
  -- per statement, however many decisions it recorded (bulk imports).
  select a.actor_id, a.actor_role into v_actor, v_role from private.audit_actor() a;
  insert into public.privacy_audit_logs (
    user_id, actor_id, actor_role, event_type, event_category, compliance_status,
    risk_level, regulation, target_table, target_id, details)
  select n.user_id, v_actor, v_role, 'consent_' || n.consent_status::text, 'consent', 'compliant',
         'low', n.regulation, 'privacy_consent_records', n.id,
         pg_catalog.jsonb_build_object(
           'consent_type', n.consent_type,
           'consent_version', n.consent_version,
           'legal_basis', n.legal_basis,
           'source', n.source,
           'supersedes_id', n.supersedes_id,
           'expires_at', n.expires_at,
           'anonymous', n.user_id is null)
    from new_rows n
   order by n.recorded_at, n.id;
  return null;
end;
$$;
comment on function private.privacy_consent_records_log() is
  'AFTER INSERT (statement, transition table new_rows) on privacy_consent_records: writes one consent_<status> audit event per new record (no anonymous_id in details). SECURITY DEFINER: no API role may write the audit log itself.';
revoke all on function private.privacy_consent_records_log() from public;

create trigger privacy_consent_records_log
  after insert on public.privacy_consent_records
  referencing new table as new_rows
  for each statement execute function private.privacy_consent_records_log();
comment on trigger privacy_consent_records_log on public.privacy_consent_records is 'Every consent decision is audited.';

------------------------------------------------------------------------------
-- Data request triggers: deadlines, state machine, audit
------------------------------------------------------------------------------
create function private.privacy_request_transition_allowed(
  p_from public.privacy_request_status,
  p_to public.privacy_request_status
)
returns boolean
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
  return (p_from::text, p_to::text) in (
    ('pending_verification', 'verified'),
    ('pending_verification', 'rejected'),
    ('pending_verification', 'cancelled'),
    ('verified', 'in_progress'),
    ('verified', 'rejected'),
    ('verified', 'cancelled'),
    ('in_progress', 'legal_review'),
    ('in_progress', 'completed'),
    ('in_progress', 'rejected'),
    ('legal_review', 'in_progress'),
    ('legal_review', 'completed'),
    ('legal_review', 'rejected')
  );
end;
$$;
comment on function private.privacy_request_transition_allowed(public.privacy_request_status, public.privacy_request_status) is
  'The data request state machine: true when from -> to is an allowed transition. completed, rejected and cancelled are terminal.';
revoke all on function private.privacy_request_transition_allowed(public.privacy_request_status, public.privacy_request_status) from public;

create function private.privacy_data_requests_before_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if pg_catalog.current_setting('role', true) in ('anon', 'authenticated') then
    -- Users open a request; the workflow fields belong to admins/service.
    if new.request_status <> 'pending_verification'
       or num_nonnulls(new.verified_at, new.completed_at, new.extended_due_at, new.extension_reason,
                       new.legal_review_notes, new.rejection_reason, new.export_location,
                       new.export_expires_at) > 0 then
      raise exception 'a new data request may only set request_type, regulation and verification_method (status pending_verification)'
        using errcode = '42501';
    end if;
    -- The deadline runs from receipt: users cannot backdate it.
    new.submitted_at := pg_catalog.now();
  end if;
  if new.request_status in ('verified', 'in_progress', 'legal_review', 'completed') and new.verified_at is null then
    new.verified_at := greatest(pg_catalog.now(), new.submitted_at);
  end if;
  if new.request_status = 'completed' and new.completed_at is null then
    new.completed_at := greatest(pg_catalog.now(), new.submitted_at);
  end if;
  return new;
end;
$$;
comment on function private.privacy_data_requests_before_insert() is
  'BEFORE INSERT on privacy_data_requests: API roles may only open a pending_verification request with no workflow fields (42501) and get submitted_at = now(); verified_at/completed_at are filled for service imports in later states. due_at/effective_due_at are generated columns.';
revoke all on function private.privacy_data_requests_before_insert() from public;

create trigger privacy_data_requests_before_insert
  before insert on public.privacy_data_requests
  for each row execute function private.privacy_data_requests_before_insert();
comment on trigger privacy_data_requests_before_insert on public.privacy_data_requests is 'Normalises new requests.';

create function private.privacy_data_requests_guard_update()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_from public.privacy_request_status := old.request_status;
  v_to public.privacy_request_status := new.request_status;
  v_terminal constant public.privacy_request_status[] := '{completed,rejected,cancelled}';
  v_changed text[];
  v_allowed text;
begin
  select coalesce(pg_catalog.array_agg(n.key order by n.key), '{}')
    into v_changed
    from pg_catalog.jsonb_each(pg_catalog.to_jsonb(new)) n
    join pg_catalog.jsonb_each(pg_catalog.to_jsonb(old)) o on o.key = n.key
   where n.value is distinct from o.value
     and n.key not in ('updated_at', 'due_at', 'effective_due_at');
  if pg_catalog.cardinality(v_changed) = 0 then
    return new;
  end if;

  -- 1. Users (authenticated, not admin) may only cancel a request still
  --    pending; anything else is a permission error (42501), checked first so
  --    a user never learns more than "not allowed".
  if pg_catalog.current_setting('role', true) in ('anon', 'authenticated') and not private.is_admin() then
    if not (v_from = 'pending_verification' and v_to = 'cancelled' and v_changed = '{request_status}') then
      raise exception 'users may only cancel their own request while it is pending_verification'
        using errcode = '42501';
    end if;
  end if;

  -- 2. The state machine.
  if v_from <> v_to and not private.privacy_request_transition_allowed(v_from, v_to) then
    select pg_catalog.string_agg(t::text, ', ' order by t)
      into v_allowed
      from pg_catalog.unnest(pg_catalog.enum_range(null::public.privacy_request_status)) t
     where private.privacy_request_transition_allowed(v_from, t);
    raise exception 'illegal privacy_data_requests status transition: % -> %', v_from, v_to
      using errcode = 'PV001',
            detail = pg_catalog.format('Allowed from %s: %s.', v_from, coalesce(v_allowed, 'none (terminal status)'));
  end if;

  -- 3. Identity, type, regulation and receipt time never change; user_id only
  --    by the sanctioned clearing when the person is erased.
  if v_changed && '{id,request_type,regulation,submitted_at,created_at}'::text[] then
    raise exception 'privacy_data_requests columns % are immutable',
      pg_catalog.array_to_string(array(select pg_catalog.unnest(v_changed)
        intersect select pg_catalog.unnest('{id,request_type,regulation,submitted_at,created_at}'::text[])), ', ')
      using errcode = 'PV004';
  end if;
  if 'user_id' = any (v_changed)
     and not (new.user_id is null and private.privacy_user_erasable(old.user_id)) then
    raise exception 'privacy_data_requests.user_id cannot be changed (only cleared when the person is erased)'
      using errcode = 'PV004';
  end if;

  -- 4. A closed request is a record: only erasure-time clean-up may touch it.
  if v_from = any (v_terminal) then
    if not (v_changed <@ '{user_id,export_location,export_expires_at}'::text[]
            and (not ('export_location' = any (v_changed)) or new.export_location is null)
            and (not ('export_expires_at' = any (v_changed)) or new.export_expires_at is null)) then
      raise exception 'privacy_data_requests row % is % and can no longer change', old.id, v_from
        using errcode = 'PV004';
    end if;
    return new;
  end if;

  -- 5. Milestone timestamps are set by the transition that reaches them.
  if 'verified_at' = any (v_changed) and not (v_to = 'verified' and v_from <> 'verified') then
    raise exception 'verified_at is set only by the transition to verified' using errcode = 'PV004';
  end if;
  if 'completed_at' = any (v_changed) and not (v_to = 'completed' and v_from <> 'completed') then
    raise exception 'completed_at is set only by the transition to completed' using errcode = 'PV004';
  end if;
  if v_to = 'verified' and v_from <> 'verified' then
    new.verified_at := coalesce(new.verified_at, pg_catalog.now());
  end if;
  if v_to = 'completed' and v_from <> 'completed' then
    new.completed_at := coalesce(new.completed_at, pg_catalog.now());
  end if;
  return new;
end;
$$;
comment on function private.privacy_data_requests_guard_update() is
  'BEFORE UPDATE on privacy_data_requests: enforces the state machine (SQLSTATE PV001, message "illegal privacy_data_requests status transition: from -> to", detail lists the allowed targets), lets users only cancel a pending request (42501), keeps id/request_type/regulation/submitted_at immutable and user_id clearable only on erasure (PV004), freezes closed requests except erasure clean-up (PV004), and stamps verified_at/completed_at.';
revoke all on function private.privacy_data_requests_guard_update() from public;

create trigger privacy_data_requests_guard_update
  before update on public.privacy_data_requests
  for each row execute function private.privacy_data_requests_guard_update();
comment on trigger privacy_data_requests_guard_update on public.privacy_data_requests is 'State machine and column rules.';

create function private.privacy_data_requests_guard_delete()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'privacy_data_requests rows are records of compliance and are not deleted: % refused', tg_op
    using errcode = 'PV004',
          hint = 'Cancel or reject the request instead; erasure clears user_id.';
end;
$$;
comment on function private.privacy_data_requests_guard_delete() is
  'Trigger refusing DELETE and TRUNCATE of privacy_data_requests (no role has DELETE; this also stops the owner by mistake).';
revoke all on function private.privacy_data_requests_guard_delete() from public;

create trigger privacy_data_requests_block_delete
  before delete on public.privacy_data_requests
  for each row execute function private.privacy_data_requests_guard_delete();
comment on trigger privacy_data_requests_block_delete on public.privacy_data_requests is 'Requests are never deleted.';
create trigger privacy_data_requests_block_truncate
  before truncate on public.privacy_data_requests
  for each statement execute function private.privacy_data_requests_guard_delete();
comment on trigger privacy_data_requests_block_truncate on public.privacy_data_requests is 'Requests are never truncated.';

create function private.privacy_data_requests_log()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_actor uuid;
  v_role text;
begin
  select a.actor_id, a.actor_role into v_actor, v_role from private.audit_actor() a;

  if tg_op = 'INSERT' then
    insert into public.privacy_audit_logs (
      user_id, actor_id, actor_role, event_type, event_category, compliance_status,
      risk_level, regulation, target_table, target_id, details)
    select n.user_id, v_actor, v_role, 'data_request_submitted', 'data_request', 'compliant',
           'low', n.regulation, 'privacy_data_requests', n.id,
           pg_catalog.jsonb_build_object('request_type', n.request_type, 'status', n.request_status,
                                         'due_at', n.due_at)
      from new_rows n
     order by n.submitted_at, n.id;
    return null;
  end if;

  -- UPDATE: one event per status transition (a completion after the deadline
  -- in force is high risk / non_compliant; legal review and rejection need
  -- review), and one per deadline extension.
  insert into public.privacy_audit_logs (
    user_id, actor_id, actor_role, event_type, event_category, compliance_status,
    risk_level, regulation, target_table, target_id, details)
  select e.user_id, v_actor, v_role, e.event_type, 'data_request', e.compliance_status,
         e.risk_level, e.regulation, 'privacy_data_requests', e.id, e.details
    from (
      select n.id, n.user_id, n.regulation, 1 as ord,
             'data_request_' || n.request_status::text as event_type,
             case when t.late then 'non_compliant'
                  when n.request_status in ('legal_review', 'rejected') then 'needs_review'
                  else 'compliant' end::public.privacy_compliance_status as compliance_status,
             case when t.late then 'high'
                  when n.request_status in ('legal_review', 'rejected') then 'medium'
                  else 'low' end::public.privacy_risk_level as risk_level,
             pg_catalog.jsonb_build_object('request_type', n.request_type, 'from', o.request_status,
                                           'to', n.request_status, 'effective_due_at', n.effective_due_at,
                                           'late', t.late) as details
        from new_rows n
        join old_rows o on o.id = n.id
        cross join lateral (select n.request_status = 'completed'
                                   and n.completed_at > n.effective_due_at as late) t
       where n.request_status is distinct from o.request_status
      union all
      select n.id, n.user_id, n.regulation, 2,
             'data_request_deadline_extended',
             'compliant'::public.privacy_compliance_status,
             'medium'::public.privacy_risk_level,
             pg_catalog.jsonb_build_object('request_type', n.request_type, 'due_at', n.due_at,
                                           'extended_due_at', n.extended_due_at,
                                           'extension_reason_length', pg_catalog.char_length(n.extension_reason))
        from new_rows n
        join old_rows o on o.id = n.id
       where n.extended_due_at is distinct from o.extended_due_at and n.extended_due_at is not null
    ) e
   order by e.id, e.ord;
  return null;
end;
$$;
comment on function private.privacy_data_requests_log() is
  'AFTER INSERT / AFTER UPDATE (statement, transition tables) on privacy_data_requests: audits every submission (data_request_submitted), every status transition (data_request_<status>, with from/to; a completion after the deadline in force is high risk / non_compliant) and every deadline extension.';
revoke all on function private.privacy_data_requests_log() from public;

create trigger privacy_data_requests_log_insert
  after insert on public.privacy_data_requests
  referencing new table as new_rows
  for each statement execute function private.privacy_data_requests_log();
comment on trigger privacy_data_requests_log_insert on public.privacy_data_requests is 'Every request is audited.';
create trigger privacy_data_requests_log_update
  after update on public.privacy_data_requests
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.privacy_data_requests_log();
comment on trigger privacy_data_requests_log_update on public.privacy_data_requests is 'Every transition and extension is audited.';

------------------------------------------------------------------------------
-- Views (security_invoker: the caller's RLS applies)
------------------------------------------------------------------------------
create view public.privacy_current_consents
with (security_invoker = true)
as
select distinct on (c.user_id, c.consent_type)
  c.user_id,
  c.consent_type,
  c.id as consent_record_id,
  c.consent_status,
  case when c.consent_status = 'granted' and c.expires_at <= now()
       then 'expired'::public.privacy_consent_status
       else c.consent_status end as effective_status,
  c.consent_version,
  c.legal_basis,
  c.regulation,
  c.source,
  c.recorded_at,
  c.expires_at,
  c.withdrawn_at
from public.privacy_consent_records c
where c.user_id is not null
order by c.user_id, c.consent_type, c.recorded_at desc, c.id desc;
comment on view public.privacy_current_consents is
  'Current consent of each user per consent type: the latest record (by recorded_at, then id). Filter on user_id (query 11) or consent_type + effective_status (query 12); both filters are pushed below DISTINCT ON into an index scan. security_invoker: users see only their own rows.';
comment on column public.privacy_current_consents.user_id is 'The user.';
comment on column public.privacy_current_consents.consent_type is 'Consent purpose.';
comment on column public.privacy_current_consents.consent_record_id is 'The privacy_consent_records row that is current.';
comment on column public.privacy_current_consents.consent_status is 'Status recorded by the current row.';
comment on column public.privacy_current_consents.effective_status is 'Status in force now: a grant past its expires_at reads as expired.';
comment on column public.privacy_current_consents.consent_version is 'Policy version of the current decision.';
comment on column public.privacy_current_consents.legal_basis is 'Legal basis of the current decision.';
comment on column public.privacy_current_consents.regulation is 'Regulation of the current decision.';
comment on column public.privacy_current_consents.source is 'Channel of the current decision.';
comment on column public.privacy_current_consents.recorded_at is 'When the current decision was made.';
comment on column public.privacy_current_consents.expires_at is 'When the current grant lapses, if ever.';
comment on column public.privacy_current_consents.withdrawn_at is 'When consent was withdrawn, if it was.';

create view public.privacy_open_data_requests
with (security_invoker = true)
as
select
  r.id,
  r.user_id,
  r.request_type,
  r.request_status,
  r.regulation,
  r.submitted_at,
  r.due_at,
  r.extended_due_at,
  r.effective_due_at,
  r.effective_due_at < now() as is_overdue
from public.privacy_data_requests r
where r.request_status in ('pending_verification', 'verified', 'in_progress', 'legal_review');
comment on view public.privacy_open_data_requests is
  'Requests not yet in a terminal status, with their deadline in force and an overdue flag (query 13: ORDER BY effective_due_at, or WHERE is_overdue). Backed by the partial index privacy_data_requests_open_effective_due_at_idx. security_invoker.';
comment on column public.privacy_open_data_requests.id is 'Request id.';
comment on column public.privacy_open_data_requests.user_id is 'Data subject (NULL after erasure).';
comment on column public.privacy_open_data_requests.request_type is 'Right exercised.';
comment on column public.privacy_open_data_requests.request_status is 'Current (open) status.';
comment on column public.privacy_open_data_requests.regulation is 'Regulation.';
comment on column public.privacy_open_data_requests.submitted_at is 'Receipt time.';
comment on column public.privacy_open_data_requests.due_at is 'Statutory deadline.';
comment on column public.privacy_open_data_requests.extended_due_at is 'Extended deadline, if any.';
comment on column public.privacy_open_data_requests.effective_due_at is 'Deadline in force.';
comment on column public.privacy_open_data_requests.is_overdue is 'True when the deadline in force has passed.';
