-- 00014 rollups and maintained markers: aggregate queries whose read cost
-- follows the window asked for, not the size of the history
--
-- Why: at 10x the medium volume, queries 3, 6, 7, 23 and 24 read every raw
-- row of their window (or of a committee's whole history) on each call, so
-- their cost grew with traffic and history (issue 17: q06 32 -> 530 ms,
-- q07 43 -> 405 ms, q24 43 -> 363 ms, q03 16 -> 91 ms, q23 8 -> 85 ms).
-- They now read small pre-aggregated tables and a maintained marker:
--
--   rollup (one row per ...)               source                serves
--   analytics_daily_event_counts            analytics_events      q03
--     (UTC day, event_type)
--   analytics_daily_session_counts          analytics_sessions    q06
--     (UTC day of started_at): sessions, bounce_sessions
--   analytics_daily_page_views              analytics_page_views  q07
--     (UTC day, page_path)
--   fec_committee_cycle_totals              fec_filings           q24
--     (committee_id, election_cycle): receipts and count of the latest
--     version of each report
--   fec_filings.is_latest (marker column)   fec_filings           q23, q24
--     true when no filing amends this one (the end of its amendment chain)
--
-- Definitions (what the property test checks against the raw rows):
--   * every rollup row is exactly the aggregate of the raw rows that exist
--     now; a group with no raw row has no rollup row (no zero rows);
--   * days are UTC calendar days; a window "the last N days" is N calendar
--     days ending today (UTC), the form a dashboard shows;
--   * is_latest = not exists (a filing whose amends_filing_id is this one).
--
-- Maintenance (3NF rule: summaries of other rows are maintained by one
-- documented function each):
--   * AFTER ... FOR EACH STATEMENT triggers with transition tables on the
--     sources: one grouped upsert per statement, whatever its row count.
--     Counts are applied as deltas (commutative, so concurrent writers
--     only queue on the rollup row they share); a group reaching zero is
--     deleted. That queue is the price under concurrency: transactions
--     writing today's rows of the same event type or path hold that rollup
--     row until they commit. Ingestion commits per batch, so it is short;
--     if it ever is not, the next step is append-only delta rows folded in
--     by a scheduled job, not a wider lock. Session rows are updated by every event and page view
--     statement (their counters, 00003); only the few updates that change a
--     session's day or bounce flag reach the rollup, through a row-level
--     trigger whose WHEN clause filters the rest without a function call.
--   * fec_filings: the marker and the totals are recomputed for the
--     affected filings and (committee, cycle) groups, not applied as deltas:
--     an amendment flips the marker of another row. Writers take turns on
--     one lock of the totals table (readers are not blocked), so two
--     concurrent loads cannot both compute from a stale snapshot.
--     Any write to a filing re-derives its marker, so is_latest cannot be
--     set by hand (a value written directly is corrected at statement end).
--   * private.rebuild_rollups() recomputes every rollup and marker from the
--     raw rows. Bulk loads run with triggers off (session_replication_role
--     = replica) and must call it after loading; so must anything else that
--     bypasses triggers (TRUNCATE of a source, a partition dropped by hand).
--   * Retention: run_retention() drops whole analytics_events partitions,
--     which fires no trigger; it now also removes the event rollup days
--     before its cutoff (every raw event of those days is gone by then).
--     Row deletes (the rest of retention, erase_user_data, FK cascades from
--     auth.users and sessions) go through the triggers.
--
-- Personal data: none. The rollups hold counts per day and event type, day,
-- page path, and committee/cycle; no user id, session or device. They are
-- defined as aggregates of the rows that exist, so retention and a user's
-- erasure remove that user's contribution (a page only the erased user saw
-- disappears from the page rollup, so a path carrying personal data does
-- not outlive the raw rows). Access: analytics rollups are admin-only like
-- their sources' "S all" (policies/analytics.sql); committee totals are
-- public reference data like fec_filings (policies/fec.sql). Nobody writes
-- a rollup through the API, service_role included: only the maintenance
-- functions (SECURITY DEFINER, owner) do.
--
-- Write-path price: see scripts/rollup-write-price.mts (events and page
-- views inserted with and without the maintenance triggers, one run).

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------
create table public.analytics_daily_event_counts (
  id uuid primary key default gen_random_uuid(),
  day date not null,
  event_type text not null,
  events bigint not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint analytics_daily_event_counts_event_type_day_key unique (event_type, day),
  constraint analytics_daily_event_counts_event_type_check check (event_type ~ '^[a-z][a-z0-9_]{0,63}$'),
  constraint analytics_daily_event_counts_events_check check (events > 0)
);
comment on table public.analytics_daily_event_counts is
  'Rollup of analytics_events: events per UTC day (of occurred_at) and event_type. Maintained only by private.rollup_analytics_events() (statement triggers) and private.rebuild_rollups(). No personal data. Serves query 3.';
comment on column public.analytics_daily_event_counts.id is 'Surrogate primary key (random UUID v4).';
comment on column public.analytics_daily_event_counts.day is 'UTC calendar day of occurred_at.';
comment on column public.analytics_daily_event_counts.event_type is 'The event type (same format as analytics_events.event_type).';
comment on column public.analytics_daily_event_counts.events is 'Number of analytics_events rows of that type that occurred that day (> 0: an empty group has no row).';
comment on column public.analytics_daily_event_counts.created_at is 'When the group first got a row.';
comment on column public.analytics_daily_event_counts.updated_at is 'When the count last changed.';
comment on index public.analytics_daily_event_counts_event_type_day_key is
  'One row per (event_type, day); the upsert target of the maintenance and the range scan of query 3 (one type, a window of days).';

create table public.analytics_daily_session_counts (
  id uuid primary key default gen_random_uuid(),
  day date not null,
  sessions bigint not null,
  bounce_sessions bigint not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint analytics_daily_session_counts_day_key unique (day),
  constraint analytics_daily_session_counts_sessions_check check (sessions > 0),
  constraint analytics_daily_session_counts_bounce_sessions_check check (bounce_sessions >= 0 and bounce_sessions <= sessions)
);
comment on table public.analytics_daily_session_counts is
  'Rollup of analytics_sessions: sessions and bounce sessions (is_bounce) per UTC day of started_at. Maintained only by private.rollup_analytics_sessions() (triggers) and private.rebuild_rollups(). No personal data. Serves query 6 (bounce rate = bounce_sessions / sessions).';
comment on column public.analytics_daily_session_counts.id is 'Surrogate primary key (random UUID v4).';
comment on column public.analytics_daily_session_counts.day is 'UTC calendar day of started_at.';
comment on column public.analytics_daily_session_counts.sessions is 'Sessions that started that day (> 0).';
comment on column public.analytics_daily_session_counts.bounce_sessions is 'Of those, sessions with is_bounce (at most one page view).';
comment on column public.analytics_daily_session_counts.created_at is 'When the day first got a row.';
comment on column public.analytics_daily_session_counts.updated_at is 'When the counts last changed.';
comment on index public.analytics_daily_session_counts_day_key is 'One row per day; the upsert target and the range scan of query 6.';

create table public.analytics_daily_page_views (
  id uuid primary key default gen_random_uuid(),
  day date not null,
  page_path text not null,
  views bigint not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint analytics_daily_page_views_day_page_path_key unique (day, page_path),
  constraint analytics_daily_page_views_page_path_check check (octet_length(page_path) between 1 and 1024),
  constraint analytics_daily_page_views_views_check check (views > 0)
);
comment on table public.analytics_daily_page_views is
  'Rollup of analytics_page_views: views per UTC day (of viewed_at) and page_path. Maintained only by private.rollup_analytics_page_views() (statement triggers) and private.rebuild_rollups(). No personal data (a path seen only by an erased user disappears with their rows). Serves query 7.';
comment on column public.analytics_daily_page_views.id is 'Surrogate primary key (random UUID v4).';
comment on column public.analytics_daily_page_views.day is 'UTC calendar day of viewed_at.';
comment on column public.analytics_daily_page_views.page_path is 'The page path (same bound as analytics_page_views.page_path).';
comment on column public.analytics_daily_page_views.views is 'Page views of that path that day (> 0).';
comment on column public.analytics_daily_page_views.created_at is 'When the group first got a row.';
comment on column public.analytics_daily_page_views.updated_at is 'When the count last changed.';
comment on index public.analytics_daily_page_views_day_page_path_key is
  'One row per (day, page_path): the upsert target of the maintenance and the range scan of query 7 (the last 7 days: about 7 x the number of paths, fetched from the heap). views is deliberately not in any index, so the counter updates stay HOT.';

alter table public.fec_filings add column is_latest boolean not null default true;
comment on column public.fec_filings.is_latest is
  'Maintained marker: true when no filing amends this one (the latest version of its report), i.e. not exists (select 1 from fec_filings a where a.amends_filing_id = filing_id). Derived from other rows, so written only by private.rollup_fec_filings() (statement triggers) and private.rebuild_rollups(); a value written directly is re-derived at the end of the statement.';
-- At medium scale (194,000 filings) the build takes well under a second. On a
-- live table with millions of filings, build it first by hand with CREATE
-- INDEX CONCURRENTLY (same definition); IF NOT EXISTS then skips it here.
create index if not exists fec_filings_committee_id_latest_idx
  on public.fec_filings (committee_id, filing_date desc, filing_id desc)
  include (report_type, amendment_indicator, election_cycle, receipts)
  where is_latest;
comment on index public.fec_filings_committee_id_latest_idx is
  'Partial (is_latest): query 23, the latest version of each report of a committee, as an index-only scan of the answer alone; also the recomputation of one committee''s cycle totals.';

create table public.fec_committee_cycle_totals (
  id uuid primary key default gen_random_uuid(),
  committee_id text not null references public.fec_committees (committee_id) on delete cascade,
  election_cycle smallint not null,
  receipts numeric(14,2),
  latest_filings integer not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint fec_committee_cycle_totals_committee_id_election_cycle_key unique (committee_id, election_cycle),
  constraint fec_committee_cycle_totals_committee_id_check check (committee_id ~ '^C[0-9]{8}$'),
  constraint fec_committee_cycle_totals_election_cycle_check check (election_cycle between 1976 and 2999 and election_cycle % 2 = 0),
  constraint fec_committee_cycle_totals_latest_filings_check check (latest_filings > 0)
);
comment on table public.fec_committee_cycle_totals is
  'Rollup of fec_filings: per committee and election cycle, the sum of receipts over the latest version of each report (is_latest) and how many such filings there are. Maintained only by private.rollup_fec_filings() (statement triggers) and private.rebuild_rollups(). Public reference data. Serves query 24.';
comment on column public.fec_committee_cycle_totals.id is 'Surrogate primary key (random UUID v4).';
comment on column public.fec_committee_cycle_totals.committee_id is 'The committee; FK to fec_committees.committee_id (a committee with filings cannot be deleted, so the cascade only follows an emptied committee).';
comment on column public.fec_committee_cycle_totals.election_cycle is 'Two-year election cycle of the filings.';
comment on column public.fec_committee_cycle_totals.receipts is 'sum(receipts) of the latest filings (USD); null when none of them reports receipts.';
comment on column public.fec_committee_cycle_totals.latest_filings is 'Number of latest filings of the committee in the cycle (> 0).';
comment on column public.fec_committee_cycle_totals.created_at is 'When the group first got a row.';
comment on column public.fec_committee_cycle_totals.updated_at is 'When the totals last changed.';
comment on index public.fec_committee_cycle_totals_committee_id_election_cycle_key is
  'One row per (committee, cycle): the upsert target and the FK index for committee_id.';
create index fec_committee_cycle_totals_cycle_receipts_idx
  on public.fec_committee_cycle_totals (election_cycle, receipts desc nulls last) include (committee_id);
comment on index public.fec_committee_cycle_totals_cycle_receipts_idx is
  'Query 24 (top committees by receipts in a cycle): reads the first rows of one cycle in answer order, index-only.';

create trigger analytics_daily_event_counts_set_updated_at
  before update on public.analytics_daily_event_counts
  for each row execute function private.set_updated_at();
create trigger analytics_daily_session_counts_set_updated_at
  before update on public.analytics_daily_session_counts
  for each row execute function private.set_updated_at();
create trigger analytics_daily_page_views_set_updated_at
  before update on public.analytics_daily_page_views
  for each row execute function private.set_updated_at();
create trigger fec_committee_cycle_totals_set_updated_at
  before update on public.fec_committee_cycle_totals
  for each row execute function private.set_updated_at();

-- ---------------------------------------------------------------------------
-- Maintenance: analytics (deltas from the statement's transition tables)
-- ---------------------------------------------------------------------------
-- Each function: INSERT adds the new rows' groups, DELETE subtracts the old
-- rows', UPDATE applies new minus old (groups whose deltas are all zero are
-- skipped, so updates that move nothing, like most session counter updates,
-- write nothing). One statement per trigger call: positive deltas upsert,
-- the others update, and groups that reach zero are deleted (the CTEs touch
-- disjoint rows). A negative delta larger than the stored count (a rollup
-- not rebuilt after a trigger-less load) fails the CHECK instead of being
-- hidden.

create function private.rollup_analytics_events()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    insert into public.analytics_daily_event_counts as t (day, event_type, events)
    select (r.occurred_at at time zone 'UTC')::date, r.event_type, count(*)
      from new_rows r
     group by 1, 2
    on conflict (event_type, day) do update set events = t.events + excluded.events;
  elsif tg_op = 'DELETE' then
    with d as (
      select c.day, c.event_type, sum(c.events) as events
        from (select (r.occurred_at at time zone 'UTC')::date as day, r.event_type as event_type, -1 as events from old_rows r) c
       group by c.day, c.event_type
    ), ins as (
      insert into public.analytics_daily_event_counts as t (day, event_type, events)
      select d.day, d.event_type, d.events from d where d.events > 0
      on conflict (event_type, day) do update set events = t.events + excluded.events
      returning 1
    ), upd as (
      update public.analytics_daily_event_counts t set events = t.events + d.events
        from d
       where d.events <= 0 and t.day = d.day and t.event_type = d.event_type and t.events + d.events <> 0
      returning 1
    )
    delete from public.analytics_daily_event_counts t
     using d
     where d.events < 0 and t.day = d.day and t.event_type = d.event_type and t.events + d.events = 0;
  elsif tg_op = 'UPDATE' then
    with d as (
      select c.day, c.event_type, sum(c.events) as events
        from (select (r.occurred_at at time zone 'UTC')::date as day, r.event_type as event_type, 1 as events from new_rows r
              union all
              select (r.occurred_at at time zone 'UTC')::date as day, r.event_type as event_type, -1 as events from old_rows r) c
       group by c.day, c.event_type
      having sum(c.events) <> 0
    ), ins as (
      insert into public.analytics_daily_event_counts as t (day, event_type, events)
      select d.day, d.event_type, d.events from d where d.events > 0
      on conflict (event_type, day) do update set events = t.events + excluded.events
      returning 1
    ), upd as (
      update public.analytics_daily_event_counts t set events = t.events + d.events
        from d
       where d.events <= 0 and t.day = d.day and t.event_type = d.event_type and t.events + d.events <> 0
      returning 1
    )
    delete from public.analytics_daily_event_counts t
     using d
     where d.events < 0 and t.day = d.day and t.event_type = d.event_type and t.events + d.events = 0;
  end if;
  return null;
end;
$$;
comment on function private.rollup_analytics_events() is
  'The one function maintaining public.analytics_daily_event_counts (events per UTC day and event_type) from public.analytics_events: AFTER INSERT/UPDATE/DELETE FOR EACH STATEMENT triggers with transition tables; one grouped upsert per statement (INSERT +, DELETE -, UPDATE new minus old, zero deltas skipped); a group reaching zero is deleted. SECURITY DEFINER (API writers have no right on the rollup), empty search_path, not executable by any API role. Repair: private.rebuild_rollups().';

create function private.rollup_analytics_sessions()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_level = 'ROW' then
    -- UPDATE of one session that moved it between groups (the trigger's
    -- WHEN clause: started_at's day or is_bounce changed). Most session
    -- updates are counter updates that move nothing and never get here.
    -- The usual case, a bounce flag flipping within the same day (the
    -- session's second page view, or a deletion back to one): one UPDATE.
    if (old.started_at at time zone 'UTC')::date = (new.started_at at time zone 'UTC')::date then
      update public.analytics_daily_session_counts t
         set bounce_sessions = t.bounce_sessions + case when new.is_bounce then 1 else 0 end - case when old.is_bounce then 1 else 0 end
       where t.day = (new.started_at at time zone 'UTC')::date;
      return null;
    end if;
    update public.analytics_daily_session_counts t
       set sessions = t.sessions - 1, bounce_sessions = t.bounce_sessions - case when old.is_bounce then 1 else 0 end
     where t.day = (old.started_at at time zone 'UTC')::date and t.sessions > 1;
    if not found then
      delete from public.analytics_daily_session_counts t
       where t.day = (old.started_at at time zone 'UTC')::date and t.sessions = 1;
    end if;
    insert into public.analytics_daily_session_counts as t (day, sessions, bounce_sessions)
    values ((new.started_at at time zone 'UTC')::date, 1, case when new.is_bounce then 1 else 0 end)
    on conflict (day) do update set sessions = t.sessions + 1, bounce_sessions = t.bounce_sessions + excluded.bounce_sessions;
    return null;
  end if;
  if tg_op = 'INSERT' then
    insert into public.analytics_daily_session_counts as t (day, sessions, bounce_sessions)
    select (r.started_at at time zone 'UTC')::date, count(*), sum(case when r.is_bounce then 1 else 0 end)
      from new_rows r
     group by 1
    on conflict (day) do update set sessions = t.sessions + excluded.sessions, bounce_sessions = t.bounce_sessions + excluded.bounce_sessions;
  elsif tg_op = 'DELETE' then
    with d as (
      select c.day, sum(c.sessions) as sessions, sum(c.bounce_sessions) as bounce_sessions
        from (select (r.started_at at time zone 'UTC')::date as day, -1 as sessions, -(case when r.is_bounce then 1 else 0 end) as bounce_sessions from old_rows r) c
       group by c.day
    ), ins as (
      insert into public.analytics_daily_session_counts as t (day, sessions, bounce_sessions)
      select d.day, d.sessions, d.bounce_sessions from d where d.sessions > 0
      on conflict (day) do update set sessions = t.sessions + excluded.sessions, bounce_sessions = t.bounce_sessions + excluded.bounce_sessions
      returning 1
    ), upd as (
      update public.analytics_daily_session_counts t set sessions = t.sessions + d.sessions, bounce_sessions = t.bounce_sessions + d.bounce_sessions
        from d
       where d.sessions <= 0 and t.day = d.day and t.sessions + d.sessions <> 0
      returning 1
    )
    delete from public.analytics_daily_session_counts t
     using d
     where d.sessions < 0 and t.day = d.day and t.sessions + d.sessions = 0;
  end if;
  return null;
end;
$$;
comment on function private.rollup_analytics_sessions() is
  'The one function maintaining public.analytics_daily_session_counts (sessions and bounce sessions per UTC day of started_at) from public.analytics_sessions: AFTER INSERT/DELETE FOR EACH STATEMENT triggers with transition tables (one grouped upsert per statement) and an AFTER UPDATE FOR EACH ROW trigger whose WHEN clause lets through only sessions that change day or bounce flag (counter updates that move nothing never call it); a group reaching zero is deleted. SECURITY DEFINER (API writers have no right on the rollup), empty search_path, not executable by any API role. Repair: private.rebuild_rollups().';

create function private.rollup_analytics_page_views()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    insert into public.analytics_daily_page_views as t (day, page_path, views)
    select (r.viewed_at at time zone 'UTC')::date, r.page_path, count(*)
      from new_rows r
     group by 1, 2
    on conflict (day, page_path) do update set views = t.views + excluded.views;
  elsif tg_op = 'DELETE' then
    with d as (
      select c.day, c.page_path, sum(c.views) as views
        from (select (r.viewed_at at time zone 'UTC')::date as day, r.page_path as page_path, -1 as views from old_rows r) c
       group by c.day, c.page_path
    ), ins as (
      insert into public.analytics_daily_page_views as t (day, page_path, views)
      select d.day, d.page_path, d.views from d where d.views > 0
      on conflict (day, page_path) do update set views = t.views + excluded.views
      returning 1
    ), upd as (
      update public.analytics_daily_page_views t set views = t.views + d.views
        from d
       where d.views <= 0 and t.day = d.day and t.page_path = d.page_path and t.views + d.views <> 0
      returning 1
    )
    delete from public.analytics_daily_page_views t
     using d
     where d.views < 0 and t.day = d.day and t.page_path = d.page_path and t.views + d.views = 0;
  elsif tg_op = 'UPDATE' then
    with d as (
      select c.day, c.page_path, sum(c.views) as views
        from (select (r.viewed_at at time zone 'UTC')::date as day, r.page_path as page_path, 1 as views from new_rows r
              union all
              select (r.viewed_at at time zone 'UTC')::date as day, r.page_path as page_path, -1 as views from old_rows r) c
       group by c.day, c.page_path
      having sum(c.views) <> 0
    ), ins as (
      insert into public.analytics_daily_page_views as t (day, page_path, views)
      select d.day, d.page_path, d.views from d where d.views > 0
      on conflict (day, page_path) do update set views = t.views + excluded.views
      returning 1
    ), upd as (
      update public.analytics_daily_page_views t set views = t.views + d.views
        from d
       where d.views <= 0 and t.day = d.day and t.page_path = d.page_path and t.views + d.views <> 0
      returning 1
    )
    delete from public.analytics_daily_page_views t
     using d
     where d.views < 0 and t.day = d.day and t.page_path = d.page_path and t.views + d.views = 0;
  end if;
  return null;
end;
$$;
comment on function private.rollup_analytics_page_views() is
  'The one function maintaining public.analytics_daily_page_views (views per UTC day and page_path) from public.analytics_page_views: AFTER INSERT/UPDATE/DELETE FOR EACH STATEMENT triggers with transition tables; one grouped upsert per statement (INSERT +, DELETE -, UPDATE new minus old, zero deltas skipped); a group reaching zero is deleted. SECURITY DEFINER (API writers have no right on the rollup), empty search_path, not executable by any API role. Repair: private.rebuild_rollups().';

revoke all on function private.rollup_analytics_events(), private.rollup_analytics_sessions(),
  private.rollup_analytics_page_views() from public, anon, authenticated, service_role;

-- Transition tables allow one event per trigger, hence three per table.
create trigger analytics_events_rollup_insert after insert on public.analytics_events
  referencing new table as new_rows for each statement execute function private.rollup_analytics_events();
create trigger analytics_events_rollup_update after update on public.analytics_events
  referencing old table as old_rows new table as new_rows for each statement execute function private.rollup_analytics_events();
create trigger analytics_events_rollup_delete after delete on public.analytics_events
  referencing old table as old_rows for each statement execute function private.rollup_analytics_events();
create trigger analytics_sessions_rollup_insert after insert on public.analytics_sessions
  referencing new table as new_rows for each statement execute function private.rollup_analytics_sessions();
-- Sessions are updated far more often than they move between groups: every
-- event or page view statement updates its sessions' counters (00003). A
-- row-level trigger whose WHEN clause is evaluated without calling the
-- function keeps that path free; only a session whose day or bounce flag
-- changes (is_bounce flips at most twice per session) runs the function.
create trigger analytics_sessions_rollup_update after update on public.analytics_sessions
  for each row
  when ((old.started_at at time zone 'UTC')::date is distinct from (new.started_at at time zone 'UTC')::date
        or old.is_bounce is distinct from new.is_bounce)
  execute function private.rollup_analytics_sessions();
create trigger analytics_sessions_rollup_delete after delete on public.analytics_sessions
  referencing old table as old_rows for each statement execute function private.rollup_analytics_sessions();
create trigger analytics_page_views_rollup_insert after insert on public.analytics_page_views
  referencing new table as new_rows for each statement execute function private.rollup_analytics_page_views();
create trigger analytics_page_views_rollup_update after update on public.analytics_page_views
  referencing old table as old_rows new table as new_rows for each statement execute function private.rollup_analytics_page_views();
create trigger analytics_page_views_rollup_delete after delete on public.analytics_page_views
  referencing old table as old_rows for each statement execute function private.rollup_analytics_page_views();

-- ---------------------------------------------------------------------------
-- Maintenance: FEC (recompute the affected filings and groups)
-- ---------------------------------------------------------------------------
-- Affected by a statement: its filings' own markers (a direct write of
-- is_latest is undone), the markers of the filings they amend or amended,
-- and the (committee, cycle) totals of every filing written or whose marker
-- flipped. The marker UPDATE below fires this trigger once more for the
-- flipped rows (their markers are then already right: nothing changes).
create function private.rollup_fec_filings()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids bigint[] := '{}';
  v_committees text[] := '{}';
  v_cycles smallint[] := '{}';
  v_more_ids bigint[];
  v_more_committees text[];
  v_more_cycles smallint[];
begin
  -- Statement triggers fire for statements that touch no row, including the
  -- marker UPDATE below when it changes nothing: stop there (no recursion).
  if tg_op = 'DELETE' then
    if not exists (select 1 from old_rows) then return null; end if;
  elsif not exists (select 1 from new_rows) then
    return null;
  end if;
  if tg_op <> 'DELETE' then
    select coalesce(pg_catalog.array_agg(k.id), '{}') into v_more_ids
      from (select r.filing_id as id from new_rows r
            union select r.amends_filing_id from new_rows r where r.amends_filing_id is not null) k;
    select coalesce(pg_catalog.array_agg(g.committee_id), '{}'), coalesce(pg_catalog.array_agg(g.election_cycle), '{}')
      into v_more_committees, v_more_cycles
      from (select distinct r.committee_id, r.election_cycle from new_rows r) g;
    v_ids := v_ids || v_more_ids;
    v_committees := v_committees || v_more_committees;
    v_cycles := v_cycles || v_more_cycles;
  end if;
  if tg_op <> 'INSERT' then
    select coalesce(pg_catalog.array_agg(k.id), '{}') into v_more_ids
      from (select r.amends_filing_id as id from old_rows r where r.amends_filing_id is not null) k;
    select coalesce(pg_catalog.array_agg(g.committee_id), '{}'), coalesce(pg_catalog.array_agg(g.election_cycle), '{}')
      into v_more_committees, v_more_cycles
      from (select distinct r.committee_id, r.election_cycle from old_rows r) g;
    v_ids := v_ids || v_more_ids;
    v_committees := v_committees || v_more_committees;
    v_cycles := v_cycles || v_more_cycles;
  end if;

  -- 1. Markers. Filings whose marker flips add their groups.
  with flipped as (
    update public.fec_filings f
       set is_latest = not f.is_latest
     where f.filing_id = any (v_ids)
       and f.is_latest = exists (select 1 from public.fec_filings a where a.amends_filing_id = f.filing_id)
    returning f.committee_id, f.election_cycle
  )
  select coalesce(pg_catalog.array_agg(x.committee_id), '{}'), coalesce(pg_catalog.array_agg(x.election_cycle), '{}')
    into v_more_committees, v_more_cycles
    from (select distinct committee_id, election_cycle from flipped) x;
  v_committees := v_committees || v_more_committees;
  v_cycles := v_cycles || v_more_cycles;

  -- 2. Totals of the affected groups. Writers of filings take turns here
  --    (SHARE ROW EXCLUSIVE conflicts with itself, not with readers; held to
  --    commit) and recompute with a snapshot taken after the lock, which
  --    sees every earlier writer's committed filings: two concurrent loads
  --    cannot both write totals computed without the other's rows. One lock
  --    rather than one per group: a load touches thousands of groups.
  if pg_catalog.cardinality(v_committees) = 0 then
    return null;
  end if;
  lock table public.fec_committee_cycle_totals in share row exclusive mode;
  with groups as (
    select distinct u.committee_id, u.election_cycle
      from rows from (pg_catalog.unnest(v_committees), pg_catalog.unnest(v_cycles)) as u(committee_id, election_cycle)
  ), totals as (
    select g.committee_id, g.election_cycle, sum(f.receipts) as receipts, count(f.filing_id)::integer as latest_filings
      from groups g
      left join public.fec_filings f
        on f.committee_id = g.committee_id and f.election_cycle = g.election_cycle and f.is_latest
     group by g.committee_id, g.election_cycle
  ), upserted as (
    insert into public.fec_committee_cycle_totals as t (committee_id, election_cycle, receipts, latest_filings)
    select x.committee_id, x.election_cycle, x.receipts, x.latest_filings from totals x where x.latest_filings > 0
    on conflict (committee_id, election_cycle) do update
       set receipts = excluded.receipts, latest_filings = excluded.latest_filings
     where (t.receipts, t.latest_filings) is distinct from (excluded.receipts, excluded.latest_filings)
    returning 1
  )
  delete from public.fec_committee_cycle_totals t
   using totals x
   where x.latest_filings = 0 and t.committee_id = x.committee_id and t.election_cycle = x.election_cycle;
  return null;
end;
$$;
comment on function private.rollup_fec_filings() is
  'The one function maintaining fec_filings.is_latest and public.fec_committee_cycle_totals: AFTER INSERT/UPDATE/DELETE FOR EACH STATEMENT triggers with transition tables on fec_filings re-derive the marker of every filing the statement wrote or whose amendment link it changed, then recompute the totals of every affected (committee, cycle) after taking a SHARE ROW EXCLUSIVE lock on the totals (FEC writers take turns; readers are not blocked). Run FEC writes at READ COMMITTED (the default): the recomputation needs a snapshot taken after that lock. SECURITY DEFINER, empty search_path, not executable by any API role. Repair: private.rebuild_rollups().';
revoke all on function private.rollup_fec_filings() from public, anon, authenticated, service_role;

create trigger fec_filings_rollup_insert after insert on public.fec_filings
  referencing new table as new_rows for each statement execute function private.rollup_fec_filings();
create trigger fec_filings_rollup_update after update on public.fec_filings
  referencing old table as old_rows new table as new_rows for each statement execute function private.rollup_fec_filings();
create trigger fec_filings_rollup_delete after delete on public.fec_filings
  referencing old table as old_rows for each statement execute function private.rollup_fec_filings();

-- ---------------------------------------------------------------------------
-- Rebuild: every rollup and marker from the raw rows
-- ---------------------------------------------------------------------------
create function private.rebuild_rollups()
returns table (rollup text, rows_written bigint)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_n bigint;
  v_gone bigint;
begin
  -- Writers of the sources wait until the rebuild commits (readers do not),
  -- so no trigger delta can land between the recount and the commit.
  lock table public.analytics_events, public.analytics_sessions, public.analytics_page_views,
             public.fec_filings in share mode;
  lock table public.analytics_daily_event_counts, public.analytics_daily_session_counts,
             public.analytics_daily_page_views, public.fec_committee_cycle_totals in exclusive mode;

  -- Each rollup: upsert the groups whose value differs, delete the groups
  -- that no longer exist. A consistent rollup is not written at all; an
  -- empty one (after a bulk load) is only inserted into (no dead rows for
  -- the unique checks to step over), in key order, so a window of days sits
  -- on few pages as it does when rows arrive day by day (q07 at medium: 585
  -- buffers for 7 days of paths inserted in hash order). Readers keep seeing
  -- committed rows.
  with agg as (
    select (e.occurred_at at time zone 'UTC')::date as day, e.event_type, count(*) as events
      from public.analytics_events e group by 1, 2
  ), upserted as (
    insert into public.analytics_daily_event_counts as t (day, event_type, events)
    select a.day, a.event_type, a.events from agg a order by a.day, a.event_type
    on conflict (event_type, day) do update set events = excluded.events
     where t.events is distinct from excluded.events
    returning 1
  ), gone as (
    delete from public.analytics_daily_event_counts t
     where not exists (select 1 from agg a where a.event_type = t.event_type and a.day = t.day)
    returning 1
  )
  select (select count(*) from upserted), (select count(*) from gone) into v_n, v_gone;
  rollup := 'analytics_daily_event_counts'; rows_written := v_n + v_gone; return next;

  with agg as (
    select (s.started_at at time zone 'UTC')::date as day, count(*) as sessions,
           count(*) filter (where s.is_bounce) as bounce_sessions
      from public.analytics_sessions s group by 1
  ), upserted as (
    insert into public.analytics_daily_session_counts as t (day, sessions, bounce_sessions)
    select a.day, a.sessions, a.bounce_sessions from agg a order by a.day
    on conflict (day) do update set sessions = excluded.sessions, bounce_sessions = excluded.bounce_sessions
     where (t.sessions, t.bounce_sessions) is distinct from (excluded.sessions, excluded.bounce_sessions)
    returning 1
  ), gone as (
    delete from public.analytics_daily_session_counts t
     where not exists (select 1 from agg a where a.day = t.day)
    returning 1
  )
  select (select count(*) from upserted), (select count(*) from gone) into v_n, v_gone;
  rollup := 'analytics_daily_session_counts'; rows_written := v_n + v_gone; return next;

  with agg as (
    select (v.viewed_at at time zone 'UTC')::date as day, v.page_path, count(*) as views
      from public.analytics_page_views v group by 1, 2
  ), upserted as (
    insert into public.analytics_daily_page_views as t (day, page_path, views)
    select a.day, a.page_path, a.views from agg a order by a.day, a.page_path
    on conflict (day, page_path) do update set views = excluded.views
     where t.views is distinct from excluded.views
    returning 1
  ), gone as (
    delete from public.analytics_daily_page_views t
     where not exists (select 1 from agg a where a.day = t.day and a.page_path = t.page_path)
    returning 1
  )
  select (select count(*) from upserted), (select count(*) from gone) into v_n, v_gone;
  rollup := 'analytics_daily_page_views'; rows_written := v_n + v_gone; return next;

  -- Only markers that are wrong are written (after a bulk load: the amended
  -- versions, still at the default true). The trigger this fires also
  -- recomputes the totals of those groups; they are checked right after.
  update public.fec_filings f
     set is_latest = not f.is_latest
   where f.is_latest = exists (select 1 from public.fec_filings a where a.amends_filing_id = f.filing_id);
  get diagnostics v_n = row_count;
  rollup := 'fec_filings.is_latest'; rows_written := v_n; return next;

  with agg as (
    select f.committee_id, f.election_cycle, sum(f.receipts) as receipts, count(*)::integer as latest_filings
      from public.fec_filings f where f.is_latest group by 1, 2
  ), upserted as (
    insert into public.fec_committee_cycle_totals as t (committee_id, election_cycle, receipts, latest_filings)
    select a.committee_id, a.election_cycle, a.receipts, a.latest_filings from agg a order by a.election_cycle, a.committee_id
    on conflict (committee_id, election_cycle) do update
       set receipts = excluded.receipts, latest_filings = excluded.latest_filings
     where (t.receipts, t.latest_filings) is distinct from (excluded.receipts, excluded.latest_filings)
    returning 1
  ), gone as (
    delete from public.fec_committee_cycle_totals t
     where not exists (select 1 from agg a where a.committee_id = t.committee_id and a.election_cycle = t.election_cycle)
    returning 1
  )
  select (select count(*) from upserted), (select count(*) from gone) into v_n, v_gone;
  rollup := 'fec_committee_cycle_totals'; rows_written := v_n + v_gone; return next;
  return;
end;
$$;
comment on function private.rebuild_rollups() is
  'Recomputes every rollup (analytics_daily_event_counts, analytics_daily_session_counts, analytics_daily_page_views, fec_committee_cycle_totals) and the fec_filings.is_latest marker from the raw rows, under SHARE locks on the sources (writers wait, readers do not). Writes only what differs (upserts changed groups, deletes vanished ones), so a consistent rollup is left untouched; returns the rows written per rollup (for the marker: markers corrected). Must run after anything that bypasses the maintenance triggers: a bulk load with session_replication_role = replica, TRUNCATE of a source, a partition dropped by hand. Idempotent. SECURITY DEFINER, empty search_path; EXECUTE for service_role only.';
revoke all on function private.rebuild_rollups() from public, anon, authenticated, service_role;
grant execute on function private.rebuild_rollups() to service_role;

-- ---------------------------------------------------------------------------
-- run_retention: the event rollup follows dropped partitions
-- ---------------------------------------------------------------------------
-- Same function as in 00007 (CREATE OR REPLACE keeps owner and grants) with
-- one step added after the analytics_events partitions are dropped.
create or replace function public.run_retention(p_now timestamptz default now())
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
      -- Rollup days before the cutoff's day have no raw event left (dropped
      -- with their partitions, which fires no trigger, or deleted above,
      -- which did): remove them so the rollup stays the aggregate of the
      -- kept rows (00014).
      delete from public.analytics_daily_event_counts d
       where d.day < (v_cutoff at time zone 'UTC')::date;

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
  'GDPR Art. 5(1)(e) storage limitation: applies private.retention_policies relative to p_now (default now(); pass a fixed time to test or to replay). analytics_events: detaches and drops every monthly partition analytics_events_pYYYYMM whose upper bound is at or before the cutoff, then deletes older rows left in other partitions; page views, engagement days, sessions (once none of their events/page views remain), finished ingestion runs: row deletes; privacy_audit_logs: removes the expired prefix of the chain, records a checkpoint (private.audit_chain_checkpoints) and an audit_log_pruned event so verify_audit_chain() keeps passing. Also removes the analytics_daily_event_counts days before the events cutoff (a dropped partition fires no trigger; every other removal reaches the rollups through their triggers). Returns one row per table (table_name, rows_removed, partitions_dropped) and logs a retention_run event. SECURITY DEFINER, service_role only (the scheduler).';
