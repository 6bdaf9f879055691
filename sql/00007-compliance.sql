-- 00007 compliance: export, erasure and retention across the whole schema
--
-- Why: GDPR Art. 15/20 (access, portability), Art. 17 / CCPA 1798.105
-- (erasure / delete) and Art. 5(1)(e) (storage limitation) are duties over
-- every area, so these functions live after all of them (analytics 00003,
-- ingestion 00005, privacy 00006):
--   * export_user_data(uuid)  -> one JSON document of everything held about a user;
--   * erase_user_data(uuid)   -> deletes what need not be kept, pseudonymises
--     what must be kept (proof of consent, request records, the audit trail),
--     deletes the account, logs the erasure without identifying the person,
--     and leaves verify_audit_chain() passing;
--   * run_retention(now)      -> applies the periods in private.retention_policies
--     (changeable with an UPDATE, no code change), dropping whole expired
--     monthly partitions of analytics_events, and logs what it removed.
-- All three are SECURITY DEFINER (they must cross RLS and touch auth.users and
-- private tables) with an empty search_path, and EXECUTE is granted to
-- service_role only: each acts on any user's data, so it must be called by the
-- backend after it has verified the data subject request (identity
-- verification is a legal precondition, Art. 12(6)), or by the scheduler.

------------------------------------------------------------------------------
-- Retention periods (configuration as data)
------------------------------------------------------------------------------
create table private.retention_policies (
  id uuid primary key default gen_random_uuid(),
  table_name text not null,
  retention_period interval not null,
  enabled boolean not null default true,
  description text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint retention_policies_table_name_key unique (table_name),
  constraint retention_policies_table_name_check check (table_name in (
    'analytics_events', 'analytics_page_views', 'analytics_sessions', 'analytics_user_engagement',
    'ingestion_logs', 'privacy_audit_logs')),
  constraint retention_policies_retention_period_check check (retention_period >= interval '1 day'),
  constraint retention_policies_description_check check (char_length(description) between 1 and 1000)
);
comment on table private.retention_policies is
  'Retention period per table, read by run_retention(). Change a period with an UPDATE (e.g. update private.retention_policies set retention_period = interval ''24 months'' where table_name = ''analytics_events''); every change is audited (retention_policy_changed). Only tables run_retention() knows how to prune are accepted. Owner only.';
comment on column private.retention_policies.id is 'Primary key (random UUID).';
comment on column private.retention_policies.table_name is 'Table the period applies to (public schema).';
comment on column private.retention_policies.retention_period is 'How long rows are kept, measured back from run_retention''s p_now (in UTC calendar arithmetic). At least one day.';
comment on column private.retention_policies.enabled is 'When false, run_retention() leaves the table alone.';
comment on column private.retention_policies.description is 'Why this period (legal basis or product decision).';
comment on column private.retention_policies.created_at is 'Row creation time.';
comment on column private.retention_policies.updated_at is 'Last modification (maintained by trigger).';

create trigger retention_policies_set_updated_at
  before update on private.retention_policies
  for each row execute function private.set_updated_at();
comment on trigger retention_policies_set_updated_at on private.retention_policies is 'Keeps updated_at current.';

insert into private.retention_policies (table_name, retention_period, description) values
  ('analytics_events', interval '13 months', 'Analytics: 13 months (CNIL guidance for audience measurement; allows year-over-year comparison).'),
  ('analytics_page_views', interval '13 months', 'Analytics: 13 months.'),
  ('analytics_sessions', interval '13 months', 'Analytics: 13 months (kept while any of its events or page views is kept).'),
  ('analytics_user_engagement', interval '13 months', 'Analytics: 13 months.'),
  ('ingestion_logs', interval '90 days', 'Operational logs: 90 days (running runs are never removed).'),
  ('privacy_audit_logs', interval '6 years', 'Accountability records: 6 years (limitation period for claims; GDPR Art. 5(2)).');

create function private.retention_policies_log()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform public.log_privacy_event(
    'retention_policy_changed', 'policy_change', null, 'private.retention_policies', new.id,
    pg_catalog.jsonb_build_object(
      'table_name', new.table_name,
      'old_retention_period', case when tg_op = 'UPDATE' then old.retention_period::text end,
      'new_retention_period', new.retention_period::text,
      'old_enabled', case when tg_op = 'UPDATE' then old.enabled end,
      'new_enabled', new.enabled),
    null, 'medium', 'needs_review');
  return null;
end;
$$;
comment on function private.retention_policies_log() is
  'AFTER UPDATE on private.retention_policies: audits every change of a retention period (policy_change, medium risk, needs_review).';
revoke all on function private.retention_policies_log() from public;

create trigger retention_policies_log
  after update on private.retention_policies
  for each row
  when (old.retention_period is distinct from new.retention_period or old.enabled is distinct from new.enabled)
  execute function private.retention_policies_log();
comment on trigger retention_policies_log on private.retention_policies is 'Retention changes are audited.';

------------------------------------------------------------------------------
-- export_user_data
------------------------------------------------------------------------------
create function public.export_user_data(p_user uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_doc jsonb;
  v_exists boolean;
begin
  if p_user is null then
    raise exception 'export_user_data: p_user must not be null' using errcode = '22004';
  end if;
  v_exists := exists (select 1 from auth.users u where u.id = p_user);

  v_doc := pg_catalog.jsonb_build_object(
    'format', 'schemaproof.user_data_export',
    'format_version', 1,
    'generated_at', pg_catalog.now(),
    'subject', p_user,
    -- Whitelisted columns only: Supabase's auth.users also holds password
    -- hashes and tokens, which are not "data about the user" to hand out.
    'account', (select pg_catalog.jsonb_build_object(
                         'id', u.id, 'email', u.email, 'phone', u.phone,
                         'is_anonymous', u.is_anonymous, 'created_at', u.created_at,
                         'updated_at', u.updated_at, 'app_metadata', u.raw_app_meta_data,
                         'user_metadata', u.raw_user_meta_data)
                  from auth.users u where u.id = p_user),
    'analytics_sessions', coalesce((
        select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s) - 'owner_key' order by s.started_at, s.id)
          from public.analytics_sessions s where s.user_id = p_user), '[]'::jsonb),
    'analytics_events', coalesce((
        select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(e) - 'owner_key' order by e.occurred_at, e.id)
          from public.analytics_events e where e.user_id = p_user), '[]'::jsonb),
    'analytics_page_views', coalesce((
        select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(v) - 'owner_key' order by v.viewed_at, v.id)
          from public.analytics_page_views v where v.user_id = p_user), '[]'::jsonb),
    'analytics_user_engagement', coalesce((
        select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(g) order by g.engagement_date)
          from public.analytics_user_engagement g where g.user_id = p_user), '[]'::jsonb),
    'privacy_consent_records', coalesce((
        select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c) order by c.recorded_at, c.id)
          from public.privacy_consent_records c where c.user_id = p_user), '[]'::jsonb),
    'privacy_data_requests', coalesce((
        select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(r) order by r.submitted_at, r.id)
          from public.privacy_data_requests r where r.user_id = p_user), '[]'::jsonb),
    -- Audit events about the user: what happened and when, but not the hash
    -- chain internals nor the identity of staff who acted (actor_role only).
    'privacy_audit_logs', coalesce((
        select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                 'id', l.id, 'occurred_at', l.occurred_at, 'event_type', l.event_type,
                 'event_category', l.event_category, 'compliance_status', l.compliance_status,
                 'risk_level', l.risk_level, 'regulation', l.regulation,
                 'target_table', l.target_table, 'target_id', l.target_id,
                 'actor_role', l.actor_role, 'actor_is_subject', l.actor_id is not distinct from p_user,
                 'details', l.details)
               order by l.chain_position)
          from public.privacy_audit_logs l where l.user_id = p_user), '[]'::jsonb)
  );

  -- Access to personal data is itself a processing event worth recording.
  -- The log row names the subject only while the subject exists.
  perform public.log_privacy_event(
    'user_data_exported', 'data_export', case when v_exists then p_user end, null, null,
    pg_catalog.jsonb_build_object(
      'format_version', 1,
      'account_found', v_exists,
      'rows', pg_catalog.jsonb_build_object(
        'analytics_sessions', pg_catalog.jsonb_array_length(v_doc -> 'analytics_sessions'),
        'analytics_events', pg_catalog.jsonb_array_length(v_doc -> 'analytics_events'),
        'analytics_page_views', pg_catalog.jsonb_array_length(v_doc -> 'analytics_page_views'),
        'analytics_user_engagement', pg_catalog.jsonb_array_length(v_doc -> 'analytics_user_engagement'),
        'privacy_consent_records', pg_catalog.jsonb_array_length(v_doc -> 'privacy_consent_records'),
        'privacy_data_requests', pg_catalog.jsonb_array_length(v_doc -> 'privacy_data_requests'),
        'privacy_audit_logs', pg_catalog.jsonb_array_length(v_doc -> 'privacy_audit_logs'))),
    null, 'medium', 'compliant');
  return v_doc;
end;
$$;
comment on function public.export_user_data(uuid) is
  'GDPR Art. 15/20, CCPA right to know: one JSON document (format schemaproof.user_data_export, format_version 1) with the account basics (whitelisted auth.users columns), the user''s analytics sessions, events, page views and engagement, consent records, data requests and the audit events about them. Logs a user_data_exported event. SECURITY DEFINER, service_role only: the backend calls it after verifying the requester''s identity.';
revoke all on function public.export_user_data(uuid) from public, anon, authenticated;
grant execute on function public.export_user_data(uuid) to service_role;

------------------------------------------------------------------------------
-- erase_user_data
------------------------------------------------------------------------------
create function public.erase_user_data(p_user uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_exists boolean;
  v_pseudonym uuid;
  v_events bigint;
  v_page_views bigint;
  v_engagement bigint;
  v_sessions bigint;
  v_consents bigint;
  v_requests bigint;
  v_audit bigint;
  v_accounts bigint;
  v_summary jsonb;
begin
  if p_user is null then
    raise exception 'erase_user_data: p_user must not be null' using errcode = '22004';
  end if;
  perform 1 from auth.users u where u.id = p_user for update;
  v_exists := found;

  -- 1. Analytics: no reason to keep any of it. Deleted explicitly (children
  --    before sessions) so each table's count is its own; the FK cascade
  --    would otherwise do the same when the account goes.
  delete from public.analytics_events e where e.user_id = p_user;
  get diagnostics v_events = row_count;
  delete from public.analytics_page_views v where v.user_id = p_user;
  get diagnostics v_page_views = row_count;
  delete from public.analytics_user_engagement g where g.user_id = p_user;
  get diagnostics v_engagement = row_count;
  delete from public.analytics_sessions s where s.user_id = p_user;
  get diagnostics v_sessions = row_count;

  -- 2. Requests: export links are personal data and go now (closed requests
  --    allow exactly this clean-up). The rows themselves stay.
  update public.privacy_data_requests r
     set export_location = null, export_expires_at = null
   where r.user_id = p_user and r.export_location is not null;

  -- 3. Count what the account deletion below will de-identify.
  select count(*) into v_consents from public.privacy_consent_records c where c.user_id = p_user;
  select count(*) into v_requests from public.privacy_data_requests r where r.user_id = p_user;
  select count(*) into v_audit
    from public.privacy_audit_logs l where l.user_id = p_user or l.actor_id = p_user;

  v_summary := pg_catalog.jsonb_build_object(
    'format_version', 1,
    'account_found', v_exists,
    'tables', pg_catalog.jsonb_build_object(
      'analytics_events', pg_catalog.jsonb_build_object('action', 'deleted', 'rows', v_events),
      'analytics_page_views', pg_catalog.jsonb_build_object('action', 'deleted', 'rows', v_page_views),
      'analytics_user_engagement', pg_catalog.jsonb_build_object('action', 'deleted', 'rows', v_engagement),
      'analytics_sessions', pg_catalog.jsonb_build_object('action', 'deleted', 'rows', v_sessions),
      'privacy_consent_records', pg_catalog.jsonb_build_object('action', 'pseudonymised', 'rows', v_consents),
      'privacy_data_requests', pg_catalog.jsonb_build_object('action', 'detached', 'rows', v_requests),
      'privacy_audit_logs', pg_catalog.jsonb_build_object('action', 'de-identified', 'rows', v_audit),
      'auth.users', pg_catalog.jsonb_build_object('action', 'deleted', 'rows', case when v_exists then 1 else 0 end)));

  if v_exists then
    -- 4. Log the erasure about the person while they still exist: the row
    --    gets their pseudonym and is de-identified with all the others below,
    --    so in the end it names only an orphaned pseudonym.
    perform public.log_privacy_event(
      'user_data_erased', 'data_deletion', p_user, null, null, v_summary, null, 'medium', 'compliant');

    -- 5. Consent records keep the same pseudonym as the audit trail.
    select s.id into v_pseudonym from private.audit_subjects s where s.user_id = p_user;
    perform pg_catalog.set_config(
      'privacy.erased_' || pg_catalog.replace(p_user::text, '-', ''), v_pseudonym::text, true);

    -- 6. Delete the account. The foreign keys then take the one sanctioned
    --    path the append-only guards allow for a person who no longer exists:
    --    consent records and requests ON DELETE SET NULL (consents are
    --    re-labelled 'erased:<pseudonym>' and kept as proof of consent,
    --    Art. 7(1)); audit rows ON DELETE SET NULL on user_id/actor_id (hashed
    --    pseudonyms untouched: the chain keeps verifying); the pseudonym
    --    mapping ON DELETE CASCADE (the pseudonym now links to nobody).
    delete from auth.users u where u.id = p_user;
    get diagnostics v_accounts = row_count;
  else
    perform public.log_privacy_event(
      'user_data_erased', 'data_deletion', null, null, null, v_summary, null, 'low', 'compliant');
  end if;

  return v_summary;
end;
$$;
comment on function public.erase_user_data(uuid) is
  'GDPR Art. 17 / CCPA delete: deletes the user''s analytics rows, removes export links from their requests, logs user_data_erased, then deletes the account (auth.users), whose foreign keys take the one sanctioned de-identification path: consent history kept as proof under the person''s pseudonym (anonymous_id = erased:<pseudonym>), requests kept with user_id NULL, audit rows with user_id/actor_id NULL (hashed pseudonyms untouched, so verify_audit_chain() still passes), pseudonym mapping deleted. The log row ends up naming only the orphaned pseudonym. Returns {format_version, account_found, tables: {table: {action, rows}}}. Idempotent. SECURITY DEFINER, service_role only (call after the erasure request is verified).';
revoke all on function public.erase_user_data(uuid) from public, anon, authenticated;
grant execute on function public.erase_user_data(uuid) to service_role;

------------------------------------------------------------------------------
-- run_retention
------------------------------------------------------------------------------
create function public.run_retention(p_now timestamptz default now())
returns table (table_name text, rows_removed bigint, partitions_dropped integer)
language plpgsql
volatile
security definer
set search_path = ''
set datestyle = 'ISO, YMD'
as $$
#variable_conflict use_column
declare
  v_order constant text[] := '{analytics_events,analytics_page_views,analytics_user_engagement,analytics_sessions,ingestion_logs,privacy_audit_logs}';
  v_policy record;
  v_part record;
  v_cutoff timestamptz;
  v_upper timestamptz;
  v_rows bigint;
  v_parts integer;
  v_n bigint;
  v_first_kept bigint;
  v_through bigint;
  v_through_hash bytea;
  v_results jsonb := '[]'::jsonb;
begin
  if p_now is null then
    raise exception 'run_retention: p_now must not be null' using errcode = '22004';
  end if;

  for v_policy in
    select p.table_name, p.retention_period
      from private.retention_policies p
     where p.enabled
     order by pg_catalog.array_position(v_order, p.table_name)
  loop
    -- Calendar arithmetic in UTC, so the cutoff does not depend on TimeZone.
    v_cutoff := ((p_now at time zone 'UTC') - v_policy.retention_period) at time zone 'UTC';
    v_rows := 0;
    v_parts := 0;

    if v_policy.table_name = 'analytics_events' then
      -- Whole monthly partitions entirely before the cutoff: detach and drop
      -- (no row-by-row delete, no bloat). Bounds are read from the catalog.
      for v_part in
        select c.oid::regclass as rel, pg_catalog.pg_get_expr(c.relpartbound, c.oid) as bound
          from pg_catalog.pg_inherits i
          join pg_catalog.pg_class c on c.oid = i.inhrelid
         where i.inhparent = 'public.analytics_events'::regclass
           and c.relname ~ '^analytics_events_p[0-9]{6}$'
         order by c.relname
      loop
        v_upper := substring(v_part.bound from 'TO \(''([^'']+)''\)')::timestamptz;
        if v_upper is not null and v_upper <= v_cutoff then
          execute pg_catalog.format('select count(*) from %s', v_part.rel) into v_n;
          execute pg_catalog.format('alter table public.analytics_events detach partition %s', v_part.rel);
          execute pg_catalog.format('drop table %s', v_part.rel);
          v_rows := v_rows + v_n;
          v_parts := v_parts + 1;
        end if;
      end loop;
      -- What is left (default partition, the partition holding the cutoff).
      delete from public.analytics_events e where e.occurred_at < v_cutoff;
      get diagnostics v_n = row_count;
      v_rows := v_rows + v_n;
      -- A dropped partition fires no delete trigger, so sessions that outlive
      -- it would keep counting its events. Recount every session that may
      -- have had events before the cutoff (a session lasts at most 7 days).
      if v_parts > 0 then
        perform private.analytics_sessions_recount(array(
          select s.session_id from public.analytics_sessions s
           where s.started_at < v_cutoff + interval '7 days'));
      end if;

    elsif v_policy.table_name = 'analytics_page_views' then
      delete from public.analytics_page_views v where v.viewed_at < v_cutoff;
      get diagnostics v_rows = row_count;

    elsif v_policy.table_name = 'analytics_user_engagement' then
      delete from public.analytics_user_engagement g
       where g.engagement_date < (v_cutoff at time zone 'UTC')::date;
      get diagnostics v_rows = row_count;

    elsif v_policy.table_name = 'analytics_sessions' then
      -- A session goes once it is expired and none of its events or page
      -- views is still kept (otherwise the cascade would remove kept rows).
      delete from public.analytics_sessions s
       where s.started_at < v_cutoff
         and not exists (select 1 from public.analytics_events e
                          where e.session_id = s.session_id and e.owner_key = s.owner_key)
         and not exists (select 1 from public.analytics_page_views v
                          where v.session_id = s.session_id and v.owner_key = s.owner_key);
      get diagnostics v_rows = row_count;

    elsif v_policy.table_name = 'ingestion_logs' then
      delete from public.ingestion_logs g
       where g.started_at < v_cutoff and g.status <> 'running';
      get diagnostics v_rows = row_count;

    elsif v_policy.table_name = 'privacy_audit_logs' then
      -- Remove a prefix of the chain: occurred_at is monotonic along
      -- chain_position, so "older than the cutoff" is a prefix. The chain lock
      -- keeps appends out until commit.
      perform private.audit_chain_lock();
      select l.chain_position into v_first_kept
        from public.privacy_audit_logs l
       where l.occurred_at >= v_cutoff
       order by l.chain_position
       limit 1;
      if v_first_kept is null then
        select max(l.chain_position) into v_through from public.privacy_audit_logs l;
      else
        select max(l.chain_position) into v_through
          from public.privacy_audit_logs l where l.chain_position < v_first_kept;
      end if;
      if v_through is not null then
        select l.row_hash into v_through_hash
          from public.privacy_audit_logs l where l.chain_position = v_through;
        perform pg_catalog.set_config('privacy.audit_retention_cutoff', v_cutoff::text, true);
        delete from public.privacy_audit_logs l where l.chain_position <= v_through;
        get diagnostics v_rows = row_count;
        perform pg_catalog.set_config('privacy.audit_retention_cutoff', '', true);
        insert into private.audit_chain_checkpoints (through_position, through_hash, rows_removed, cutoff)
        values (v_through, v_through_hash, v_rows, v_cutoff);
        -- The checkpoint is vouched for inside the chain (verify_audit_chain checks it).
        perform public.log_privacy_event(
          'audit_log_pruned', 'data_retention', null, 'privacy_audit_logs', null,
          pg_catalog.jsonb_build_object(
            'through_position', v_through,
            'through_hash', pg_catalog.encode(v_through_hash, 'hex'),
            'rows_removed', v_rows,
            'cutoff', v_cutoff),
          null, 'medium', 'compliant');
      end if;
      v_through := null;
    end if;

    v_results := v_results || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
      'table_name', v_policy.table_name, 'rows_removed', v_rows, 'partitions_dropped', v_parts,
      'retention_period', v_policy.retention_period::text, 'cutoff', v_cutoff));
    table_name := v_policy.table_name;
    rows_removed := v_rows;
    partitions_dropped := v_parts;
    return next;
  end loop;

  perform public.log_privacy_event(
    'retention_run', 'data_retention', null, null, null,
    pg_catalog.jsonb_build_object('now', p_now, 'results', v_results),
    null, 'low', 'compliant');
  return;
end;
$$;
comment on function public.run_retention(timestamptz) is
  'GDPR Art. 5(1)(e) storage limitation: applies private.retention_policies relative to p_now (default now(); pass a fixed time to test or to replay). analytics_events: detaches and drops every monthly partition analytics_events_pYYYYMM whose upper bound is at or before the cutoff, then deletes older rows left in other partitions; page views, engagement days, sessions (once none of their events/page views remain), finished ingestion runs: row deletes; privacy_audit_logs: removes the expired prefix of the chain, records a checkpoint (private.audit_chain_checkpoints) and an audit_log_pruned event so verify_audit_chain() keeps passing. Returns one row per table (table_name, rows_removed, partitions_dropped) and logs a retention_run event. SECURITY DEFINER, service_role only (the scheduler).';
revoke all on function public.run_retention(timestamptz) from public, anon, authenticated;
grant execute on function public.run_retention(timestamptz) to service_role;
