-- policies/fec.sql: row-level security and grants for the FEC area.
--
-- Idempotent: re-applied after every migration run. Implements exactly the
-- access matrix (shared/spec/access.md) for public reference data:
--   anon: S all; user: S all; admin: S, I, U, D; service_role: S, I, U, D.
-- Admin is an authenticated caller with app_metadata.role = 'admin'
-- (private.is_admin(), wrapped in (select ...) to run once per statement).
-- service_role has BYPASSRLS: only its grants limit it.
-- One permissive policy per (role, action).

-- ---------------------------------------------------------------------------
-- fec_candidates
-- ---------------------------------------------------------------------------
alter table public.fec_candidates enable row level security;
alter table public.fec_candidates force row level security;
revoke all on table public.fec_candidates from public, anon, authenticated, service_role;
grant select on table public.fec_candidates to anon;
grant select, insert, update, delete on table public.fec_candidates to authenticated;
grant select, insert, update, delete on table public.fec_candidates to service_role;

drop policy if exists fec_candidates_select_anon on public.fec_candidates;
create policy fec_candidates_select_anon on public.fec_candidates
  for select to anon
  using (true);

drop policy if exists fec_candidates_select_authenticated on public.fec_candidates;
create policy fec_candidates_select_authenticated on public.fec_candidates
  for select to authenticated
  using (true);

drop policy if exists fec_candidates_insert_admin on public.fec_candidates;
create policy fec_candidates_insert_admin on public.fec_candidates
  for insert to authenticated
  with check ((select private.is_admin()));

drop policy if exists fec_candidates_update_admin on public.fec_candidates;
create policy fec_candidates_update_admin on public.fec_candidates
  for update to authenticated
  using ((select private.is_admin()))
  with check ((select private.is_admin()));

drop policy if exists fec_candidates_delete_admin on public.fec_candidates;
create policy fec_candidates_delete_admin on public.fec_candidates
  for delete to authenticated
  using ((select private.is_admin()));

-- ---------------------------------------------------------------------------
-- fec_committees
-- ---------------------------------------------------------------------------
alter table public.fec_committees enable row level security;
alter table public.fec_committees force row level security;
revoke all on table public.fec_committees from public, anon, authenticated, service_role;
grant select on table public.fec_committees to anon;
grant select, insert, update, delete on table public.fec_committees to authenticated;
grant select, insert, update, delete on table public.fec_committees to service_role;

drop policy if exists fec_committees_select_anon on public.fec_committees;
create policy fec_committees_select_anon on public.fec_committees
  for select to anon
  using (true);

drop policy if exists fec_committees_select_authenticated on public.fec_committees;
create policy fec_committees_select_authenticated on public.fec_committees
  for select to authenticated
  using (true);

drop policy if exists fec_committees_insert_admin on public.fec_committees;
create policy fec_committees_insert_admin on public.fec_committees
  for insert to authenticated
  with check ((select private.is_admin()));

drop policy if exists fec_committees_update_admin on public.fec_committees;
create policy fec_committees_update_admin on public.fec_committees
  for update to authenticated
  using ((select private.is_admin()))
  with check ((select private.is_admin()));

drop policy if exists fec_committees_delete_admin on public.fec_committees;
create policy fec_committees_delete_admin on public.fec_committees
  for delete to authenticated
  using ((select private.is_admin()));

-- ---------------------------------------------------------------------------
-- fec_candidate_committees
-- ---------------------------------------------------------------------------
alter table public.fec_candidate_committees enable row level security;
alter table public.fec_candidate_committees force row level security;
revoke all on table public.fec_candidate_committees from public, anon, authenticated, service_role;
grant select on table public.fec_candidate_committees to anon;
grant select, insert, update, delete on table public.fec_candidate_committees to authenticated;
grant select, insert, update, delete on table public.fec_candidate_committees to service_role;

drop policy if exists fec_candidate_committees_select_anon on public.fec_candidate_committees;
create policy fec_candidate_committees_select_anon on public.fec_candidate_committees
  for select to anon
  using (true);

drop policy if exists fec_candidate_committees_select_authenticated on public.fec_candidate_committees;
create policy fec_candidate_committees_select_authenticated on public.fec_candidate_committees
  for select to authenticated
  using (true);

drop policy if exists fec_candidate_committees_insert_admin on public.fec_candidate_committees;
create policy fec_candidate_committees_insert_admin on public.fec_candidate_committees
  for insert to authenticated
  with check ((select private.is_admin()));

drop policy if exists fec_candidate_committees_update_admin on public.fec_candidate_committees;
create policy fec_candidate_committees_update_admin on public.fec_candidate_committees
  for update to authenticated
  using ((select private.is_admin()))
  with check ((select private.is_admin()));

drop policy if exists fec_candidate_committees_delete_admin on public.fec_candidate_committees;
create policy fec_candidate_committees_delete_admin on public.fec_candidate_committees
  for delete to authenticated
  using ((select private.is_admin()));

-- ---------------------------------------------------------------------------
-- fec_filings
-- ---------------------------------------------------------------------------
alter table public.fec_filings enable row level security;
alter table public.fec_filings force row level security;
revoke all on table public.fec_filings from public, anon, authenticated, service_role;
grant select on table public.fec_filings to anon;
grant select, insert, update, delete on table public.fec_filings to authenticated;
grant select, insert, update, delete on table public.fec_filings to service_role;

drop policy if exists fec_filings_select_anon on public.fec_filings;
create policy fec_filings_select_anon on public.fec_filings
  for select to anon
  using (true);

drop policy if exists fec_filings_select_authenticated on public.fec_filings;
create policy fec_filings_select_authenticated on public.fec_filings
  for select to authenticated
  using (true);

drop policy if exists fec_filings_insert_admin on public.fec_filings;
create policy fec_filings_insert_admin on public.fec_filings
  for insert to authenticated
  with check ((select private.is_admin()));

drop policy if exists fec_filings_update_admin on public.fec_filings;
create policy fec_filings_update_admin on public.fec_filings
  for update to authenticated
  using ((select private.is_admin()))
  with check ((select private.is_admin()));

drop policy if exists fec_filings_delete_admin on public.fec_filings;
create policy fec_filings_delete_admin on public.fec_filings
  for delete to authenticated
  using ((select private.is_admin()));

-- ---------------------------------------------------------------------------
-- fec_committee_cycle_totals (rollup of fec_filings, sql/00014-rollups.sql)
-- ---------------------------------------------------------------------------
-- Public reference data like fec_filings: anon and users read. Nobody writes
-- through the API, admin and service_role included: the totals are derived,
-- written only by the maintenance trigger and private.rebuild_rollups().
alter table public.fec_committee_cycle_totals enable row level security;
alter table public.fec_committee_cycle_totals force row level security;
revoke all on table public.fec_committee_cycle_totals from public, anon, authenticated, service_role;
grant select on table public.fec_committee_cycle_totals to anon, authenticated, service_role;

drop policy if exists fec_committee_cycle_totals_select_anon on public.fec_committee_cycle_totals;
create policy fec_committee_cycle_totals_select_anon on public.fec_committee_cycle_totals
  for select to anon
  using (true);

drop policy if exists fec_committee_cycle_totals_select_authenticated on public.fec_committee_cycle_totals;
create policy fec_committee_cycle_totals_select_authenticated on public.fec_committee_cycle_totals
  for select to authenticated
  using (true);
