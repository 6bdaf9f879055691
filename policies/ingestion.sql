-- policies/ingestion.sql: row-level security and grants for the ingestion area.
--
-- Idempotent: re-applied after every migration run. Implements exactly the
-- access matrix (shared/spec/access.md): admin-only tables.
--   anon: none; user: none (grants exist only because admins are
--   `authenticated`; every policy requires private.is_admin());
--   admin: S, I, U, D; service_role: S, I, U, D (BYPASSRLS, grants only).

-- ---------------------------------------------------------------------------
-- ingestion_logs
-- ---------------------------------------------------------------------------
alter table public.ingestion_logs enable row level security;
alter table public.ingestion_logs force row level security;
revoke all on table public.ingestion_logs from public, anon, authenticated, service_role;
grant select, insert, update, delete on table public.ingestion_logs to authenticated;
grant select, insert, update, delete on table public.ingestion_logs to service_role;

drop policy if exists ingestion_logs_select_admin on public.ingestion_logs;
create policy ingestion_logs_select_admin on public.ingestion_logs
  for select to authenticated
  using ((select private.is_admin()));

drop policy if exists ingestion_logs_insert_admin on public.ingestion_logs;
create policy ingestion_logs_insert_admin on public.ingestion_logs
  for insert to authenticated
  with check ((select private.is_admin()));

drop policy if exists ingestion_logs_update_admin on public.ingestion_logs;
create policy ingestion_logs_update_admin on public.ingestion_logs
  for update to authenticated
  using ((select private.is_admin()))
  with check ((select private.is_admin()));

drop policy if exists ingestion_logs_delete_admin on public.ingestion_logs;
create policy ingestion_logs_delete_admin on public.ingestion_logs
  for delete to authenticated
  using ((select private.is_admin()));

-- ---------------------------------------------------------------------------
-- ingestion_cursors
-- ---------------------------------------------------------------------------
alter table public.ingestion_cursors enable row level security;
alter table public.ingestion_cursors force row level security;
revoke all on table public.ingestion_cursors from public, anon, authenticated, service_role;
grant select, insert, update, delete on table public.ingestion_cursors to authenticated;
grant select, insert, update, delete on table public.ingestion_cursors to service_role;

drop policy if exists ingestion_cursors_select_admin on public.ingestion_cursors;
create policy ingestion_cursors_select_admin on public.ingestion_cursors
  for select to authenticated
  using ((select private.is_admin()));

drop policy if exists ingestion_cursors_insert_admin on public.ingestion_cursors;
create policy ingestion_cursors_insert_admin on public.ingestion_cursors
  for insert to authenticated
  with check ((select private.is_admin()));

drop policy if exists ingestion_cursors_update_admin on public.ingestion_cursors;
create policy ingestion_cursors_update_admin on public.ingestion_cursors
  for update to authenticated
  using ((select private.is_admin()))
  with check ((select private.is_admin()));

drop policy if exists ingestion_cursors_delete_admin on public.ingestion_cursors;
create policy ingestion_cursors_delete_admin on public.ingestion_cursors
  for delete to authenticated
  using ((select private.is_admin()));
