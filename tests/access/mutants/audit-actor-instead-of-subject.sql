-- name: audit_actor_instead_of_subject
-- description: users read the audit rows they caused (actor_id) instead of the rows about them (user_id): an admin's actions on someone's data become visible to the admin-as-user and hidden from the data subject
alter policy privacy_audit_logs_select_authenticated on public.privacy_audit_logs
  using (actor_id = (select auth.uid()) or (select private.is_admin()));
