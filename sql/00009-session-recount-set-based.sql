-- 00009 private.analytics_sessions_recount(null): one grouped pass
--
-- Why: the full repair (null = every session) ran two correlated count(*)
-- subqueries per session, each probing every analytics_events partition. At
-- medium scale (200,000 sessions, 1,000,000 events, 500,000 page views) that
-- took 20.0 s. Counting each child table once, grouped by session, and
-- joining the totals back takes a fraction of it (see the generator's
-- 'session counters' step in bench output). Repairing named sessions keeps
-- the per-session probes, which are the right plan for a handful of keys.
-- Same signature, same result, same privileges (CREATE OR REPLACE keeps the
-- function's grants and owner).
create or replace function private.analytics_sessions_recount(p_session_ids text[] default null)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  fixed integer;
begin
  if p_session_ids is null then
    update public.analytics_sessions s
       set event_count = coalesce(e.n, 0), page_view_count = coalesce(v.n, 0)
      from public.analytics_sessions x
      left join (select session_id, count(*)::integer as n
                   from public.analytics_events where session_id is not null group by session_id) e
             on e.session_id = x.session_id
      left join (select session_id, count(*)::integer as n
                   from public.analytics_page_views where session_id is not null group by session_id) v
             on v.session_id = x.session_id
     where s.session_id = x.session_id
       and (s.event_count, s.page_view_count) is distinct from (coalesce(e.n, 0), coalesce(v.n, 0));
  else
    update public.analytics_sessions s
       set event_count = c.events, page_view_count = c.page_views
      from (select x.session_id,
                   (select count(*) from public.analytics_events e where e.session_id = x.session_id)::integer as events,
                   (select count(*) from public.analytics_page_views v where v.session_id = x.session_id)::integer as page_views
              from public.analytics_sessions x
             where x.session_id = any (p_session_ids)) c
     where s.session_id = c.session_id
       and (s.event_count, s.page_view_count) is distinct from (c.events, c.page_views);
  end if;
  get diagnostics fixed = row_count;
  return fixed;
end;
$$;
comment on function private.analytics_sessions_recount(text[]) is
  'Repair path for the session counters: recomputes event_count and page_view_count from scratch for the given session keys (all sessions when null: one grouped pass over each child table) and returns how many rows were corrected. Needed only after bulk operations that bypass row and statement triggers: DROP/DETACH of an analytics_events partition (retention), TRUNCATE, or a bulk load with triggers disabled. Same definition as the incremental maintenance. SECURITY DEFINER with an empty search_path; EXECUTE for service_role only.';
