-- policies/analytics.sql: row-level security and grants for the analytics area.
--
-- Idempotent: re-applied after every migration run. Implements exactly the
-- access matrix (shared/spec/access.md):
--   table                      anon                    user (authenticated)        admin     service_role
--   analytics_events           I, user_id null         S, I, D own                 S all     S, I, U, D
--   analytics_sessions         I, user_id null         S, I, U, D own (U keeps     S all     S, I, U, D
--                                                      user_id: WITH CHECK)
--   analytics_page_views       I, user_id null         S, I, U, D own              S all     S, I, U, D
--   analytics_user_engagement  -                       S own                       S all     S, I, U, D
-- Admin is an authenticated caller with app_metadata.role = 'admin'
-- (private.is_admin()); admin is also a user, so own-row rights apply too.
-- service_role has BYPASSRLS: only its grants limit it.
-- One permissive policy per (role, action): own-or-admin is one OR.
-- Helper calls are wrapped in (select ...) so they run once per statement.
-- Session ownership on insert/update is completed by the composite FK
-- (session_id, owner_key) declared in sql/00003-analytics.sql.

-- ---------------------------------------------------------------------------
-- analytics_events
-- ---------------------------------------------------------------------------
alter table public.analytics_events enable row level security;
alter table public.analytics_events force row level security;
revoke all on table public.analytics_events from public, anon, authenticated, service_role;
grant insert on table public.analytics_events to anon;
grant select, insert, delete on table public.analytics_events to authenticated;
grant select, insert, update, delete on table public.analytics_events to service_role;

drop policy if exists analytics_events_insert_anon on public.analytics_events;
create policy analytics_events_insert_anon on public.analytics_events
  for insert to anon
  with check (user_id is null);

drop policy if exists analytics_events_select_authenticated on public.analytics_events;
create policy analytics_events_select_authenticated on public.analytics_events
  for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));

drop policy if exists analytics_events_insert_own on public.analytics_events;
create policy analytics_events_insert_own on public.analytics_events
  for insert to authenticated
  with check (user_id = (select auth.uid()));

drop policy if exists analytics_events_delete_own on public.analytics_events;
create policy analytics_events_delete_own on public.analytics_events
  for delete to authenticated
  using (user_id = (select auth.uid()));

-- Partitions: queried only through the parent. Re-apply the hardening (RLS
-- enabled + forced with no policy, no grants) to every existing partition,
-- including any created since the last run.
do $$
declare
  part regclass;
begin
  for part in
    select i.inhrelid::regclass from pg_catalog.pg_inherits i
     where i.inhparent = 'public.analytics_events'::regclass
     order by 1
  loop
    perform private.analytics_events_harden_partition(part);
  end loop;
end
$$;

-- ---------------------------------------------------------------------------
-- analytics_sessions
-- ---------------------------------------------------------------------------
alter table public.analytics_sessions enable row level security;
alter table public.analytics_sessions force row level security;
revoke all on table public.analytics_sessions from public, anon, authenticated, service_role;
grant insert on table public.analytics_sessions to anon;
grant select, insert, update, delete on table public.analytics_sessions to authenticated;
grant select, insert, update, delete on table public.analytics_sessions to service_role;

drop policy if exists analytics_sessions_insert_anon on public.analytics_sessions;
create policy analytics_sessions_insert_anon on public.analytics_sessions
  for insert to anon
  with check (user_id is null);

drop policy if exists analytics_sessions_select_authenticated on public.analytics_sessions;
create policy analytics_sessions_select_authenticated on public.analytics_sessions
  for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));

drop policy if exists analytics_sessions_insert_own on public.analytics_sessions;
create policy analytics_sessions_insert_own on public.analytics_sessions
  for insert to authenticated
  with check (user_id = (select auth.uid()));

-- USING picks the caller's rows; WITH CHECK requires the new row to still be
-- the caller's, so user_id cannot be changed (neither given away nor cleared).
drop policy if exists analytics_sessions_update_own on public.analytics_sessions;
create policy analytics_sessions_update_own on public.analytics_sessions
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

drop policy if exists analytics_sessions_delete_own on public.analytics_sessions;
create policy analytics_sessions_delete_own on public.analytics_sessions
  for delete to authenticated
  using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------------------
-- analytics_page_views
-- ---------------------------------------------------------------------------
alter table public.analytics_page_views enable row level security;
alter table public.analytics_page_views force row level security;
revoke all on table public.analytics_page_views from public, anon, authenticated, service_role;
grant insert on table public.analytics_page_views to anon;
grant select, insert, update, delete on table public.analytics_page_views to authenticated;
grant select, insert, update, delete on table public.analytics_page_views to service_role;

drop policy if exists analytics_page_views_insert_anon on public.analytics_page_views;
create policy analytics_page_views_insert_anon on public.analytics_page_views
  for insert to anon
  with check (user_id is null);

drop policy if exists analytics_page_views_select_authenticated on public.analytics_page_views;
create policy analytics_page_views_select_authenticated on public.analytics_page_views
  for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));

drop policy if exists analytics_page_views_insert_own on public.analytics_page_views;
create policy analytics_page_views_insert_own on public.analytics_page_views
  for insert to authenticated
  with check (user_id = (select auth.uid()));

drop policy if exists analytics_page_views_update_own on public.analytics_page_views;
create policy analytics_page_views_update_own on public.analytics_page_views
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

drop policy if exists analytics_page_views_delete_own on public.analytics_page_views;
create policy analytics_page_views_delete_own on public.analytics_page_views
  for delete to authenticated
  using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------------------
-- analytics_user_engagement (written only by refresh_user_engagement)
-- ---------------------------------------------------------------------------
alter table public.analytics_user_engagement enable row level security;
alter table public.analytics_user_engagement force row level security;
revoke all on table public.analytics_user_engagement from public, anon, authenticated, service_role;
grant select on table public.analytics_user_engagement to authenticated;
grant select, insert, update, delete on table public.analytics_user_engagement to service_role;

drop policy if exists analytics_user_engagement_select_authenticated on public.analytics_user_engagement;
create policy analytics_user_engagement_select_authenticated on public.analytics_user_engagement
  for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));

-- ---------------------------------------------------------------------------
-- Rollups (sql/00014-rollups.sql): admin-only reads, like their sources'
-- "S all" for admin. Users get no row: the rollups aggregate everyone's
-- traffic. Nobody writes through the API, service_role included: only the
-- maintenance triggers and private.rebuild_rollups() (SECURITY DEFINER).
-- ---------------------------------------------------------------------------
alter table public.analytics_daily_event_counts enable row level security;
alter table public.analytics_daily_event_counts force row level security;
revoke all on table public.analytics_daily_event_counts from public, anon, authenticated, service_role;
grant select on table public.analytics_daily_event_counts to authenticated, service_role;

drop policy if exists analytics_daily_event_counts_select_admin on public.analytics_daily_event_counts;
create policy analytics_daily_event_counts_select_admin on public.analytics_daily_event_counts
  for select to authenticated
  using ((select private.is_admin()));

alter table public.analytics_daily_session_counts enable row level security;
alter table public.analytics_daily_session_counts force row level security;
revoke all on table public.analytics_daily_session_counts from public, anon, authenticated, service_role;
grant select on table public.analytics_daily_session_counts to authenticated, service_role;

drop policy if exists analytics_daily_session_counts_select_admin on public.analytics_daily_session_counts;
create policy analytics_daily_session_counts_select_admin on public.analytics_daily_session_counts
  for select to authenticated
  using ((select private.is_admin()));

alter table public.analytics_daily_page_views enable row level security;
alter table public.analytics_daily_page_views force row level security;
revoke all on table public.analytics_daily_page_views from public, anon, authenticated, service_role;
grant select on table public.analytics_daily_page_views to authenticated, service_role;

drop policy if exists analytics_daily_page_views_select_admin on public.analytics_daily_page_views;
create policy analytics_daily_page_views_select_admin on public.analytics_daily_page_views
  for select to authenticated
  using ((select private.is_admin()));
