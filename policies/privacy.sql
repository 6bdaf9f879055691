-- Row-level security and grants for the privacy area (idempotent: re-applied
-- after every migration run).
--
-- Matrix (access.md): own = user_id is the caller, admin = authenticated with
-- app_metadata.role = 'admin' (private.is_admin()), service_role has
-- BYPASSRLS, so for it only grants, triggers and constraints apply.
--   privacy_consent_records  anon I (user_id null) | user S own, I own | admin S all | service S, I
--   privacy_data_requests    anon -                | user S own, I own pending, U own cancel-pending
--                            admin S all, U        | service S, I, U (no D)
--   privacy_audit_logs       anon -                | user S about them | admin S all | service S
--                            (nobody has I/U/D: rows come from triggers and log_privacy_event())
-- One permissive policy per role and action (own-or-admin combined with OR);
-- auth.uid() and private.is_admin() are wrapped in (select ...) so they are
-- evaluated once per statement (initplan), and user_id is indexed on all three.

------------------------------------------------------------------------------
-- privacy_consent_records
------------------------------------------------------------------------------
alter table public.privacy_consent_records enable row level security;
alter table public.privacy_consent_records force row level security;
revoke all on table public.privacy_consent_records from public, anon, authenticated, service_role;
grant insert on table public.privacy_consent_records to anon;
grant select, insert on table public.privacy_consent_records to authenticated;
grant select, insert on table public.privacy_consent_records to service_role;

drop policy if exists privacy_consent_records_insert_anon on public.privacy_consent_records;
create policy privacy_consent_records_insert_anon on public.privacy_consent_records
  as permissive for insert to anon
  with check (user_id is null);

drop policy if exists privacy_consent_records_select_authenticated on public.privacy_consent_records;
create policy privacy_consent_records_select_authenticated on public.privacy_consent_records
  as permissive for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));

drop policy if exists privacy_consent_records_insert_authenticated on public.privacy_consent_records;
create policy privacy_consent_records_insert_authenticated on public.privacy_consent_records
  as permissive for insert to authenticated
  with check (user_id = (select auth.uid()));

comment on policy privacy_consent_records_insert_anon on public.privacy_consent_records is
  'Anonymous visitors record consent without an account (anonymous_id, never a user_id).';
comment on policy privacy_consent_records_select_authenticated on public.privacy_consent_records is
  'Users read their own consent history; admins read all.';
comment on policy privacy_consent_records_insert_authenticated on public.privacy_consent_records is
  'Users record consent decisions for themselves only.';

------------------------------------------------------------------------------
-- privacy_data_requests
------------------------------------------------------------------------------
alter table public.privacy_data_requests enable row level security;
alter table public.privacy_data_requests force row level security;
revoke all on table public.privacy_data_requests from public, anon, authenticated, service_role;
grant select, insert on table public.privacy_data_requests to authenticated;
-- Column-level UPDATE: the workflow columns admins move; ordinary users are
-- further limited to request_status (pending_verification -> cancelled) by
-- the policy below and the trigger privacy_data_requests_guard_update.
grant update (request_status, verification_method, legal_review_notes, rejection_reason,
              export_location, export_expires_at, extended_due_at, extension_reason)
  on table public.privacy_data_requests to authenticated;
grant select, insert, update on table public.privacy_data_requests to service_role;

drop policy if exists privacy_data_requests_select_authenticated on public.privacy_data_requests;
create policy privacy_data_requests_select_authenticated on public.privacy_data_requests
  as permissive for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));

drop policy if exists privacy_data_requests_insert_authenticated on public.privacy_data_requests;
create policy privacy_data_requests_insert_authenticated on public.privacy_data_requests
  as permissive for insert to authenticated
  with check (user_id = (select auth.uid()) and request_status = 'pending_verification');

drop policy if exists privacy_data_requests_update_authenticated on public.privacy_data_requests;
create policy privacy_data_requests_update_authenticated on public.privacy_data_requests
  as permissive for update to authenticated
  using ((user_id = (select auth.uid()) and request_status = 'pending_verification')
         or (select private.is_admin()))
  with check ((user_id = (select auth.uid()) and request_status = 'cancelled')
              or (select private.is_admin()));

comment on policy privacy_data_requests_select_authenticated on public.privacy_data_requests is
  'Users read their own requests; admins read all.';
comment on policy privacy_data_requests_insert_authenticated on public.privacy_data_requests is
  'Users open requests for themselves, in the initial status only.';
comment on policy privacy_data_requests_update_authenticated on public.privacy_data_requests is
  'Users may only cancel their own request while it is pending_verification; admins move any request along the state machine (enforced by trigger).';

------------------------------------------------------------------------------
-- privacy_audit_logs
------------------------------------------------------------------------------
alter table public.privacy_audit_logs enable row level security;
alter table public.privacy_audit_logs force row level security;
revoke all on table public.privacy_audit_logs from public, anon, authenticated, service_role;
grant select on table public.privacy_audit_logs to authenticated;
grant select on table public.privacy_audit_logs to service_role;

drop policy if exists privacy_audit_logs_select_authenticated on public.privacy_audit_logs;
create policy privacy_audit_logs_select_authenticated on public.privacy_audit_logs
  as permissive for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));

comment on policy privacy_audit_logs_select_authenticated on public.privacy_audit_logs is
  'Users read the audit events about them (user_id); admins read all. No write policy exists: no role may write.';

------------------------------------------------------------------------------
-- Views (security_invoker, so the policies above apply to the caller)
------------------------------------------------------------------------------
revoke all on table public.privacy_current_consents from public, anon, authenticated, service_role;
grant select on table public.privacy_current_consents to authenticated, service_role;

revoke all on table public.privacy_open_data_requests from public, anon, authenticated, service_role;
grant select on table public.privacy_open_data_requests to authenticated, service_role;

------------------------------------------------------------------------------
-- Private support tables: owner only (SECURITY DEFINER functions). RLS is
-- enabled and forced with no policy, so even a stray grant exposes nothing.
------------------------------------------------------------------------------
alter table private.audit_subjects enable row level security;
alter table private.audit_subjects force row level security;
revoke all on table private.audit_subjects from public, anon, authenticated, service_role;

alter table private.audit_chain_checkpoints enable row level security;
alter table private.audit_chain_checkpoints force row level security;
revoke all on table private.audit_chain_checkpoints from public, anon, authenticated, service_role;

do $policies$
begin
  -- private.retention_policies is created by 00007-compliance.sql.
  if to_regclass('private.retention_policies') is not null then
    execute 'alter table private.retention_policies enable row level security';
    execute 'alter table private.retention_policies force row level security';
    execute 'revoke all on table private.retention_policies from public, anon, authenticated, service_role';
  end if;
end
$policies$;
