-- 00013 admin_search_analytics_events(): look at recent partitions first
--
-- Why: query 4 asks for the newest p_limit events containing a key/value.
-- The GIN index answers "which rows contain it" but not in time order, so
-- the one-statement search fetched every match in every monthly partition
-- and sorted them: for a mid-frequency campaign at medium scale (3,520 of
-- 1,000,000 events) 3,392 heap pages and 11.3 ms. Events are mostly recent,
-- so the newest matches usually sit in the newest partition: the search now
-- first reads only the current calendar month (UTC, the partitions' bounds)
-- up to p_to (or now, open towards the future), and only if that holds
-- fewer than p_limit matches, everything older in one more statement.
--
-- Two statements at most, and each partition is read once: a filter with
-- fewer matches than p_limit costs about what the one statement did. Two
-- designs measured and not kept: widening windows from now (1, 7, 30, 365
-- days) re-read the newest partition once per window (3x the one statement
-- at small scale, where no window filled); a walk month by month planned one
-- statement per month (2x at small scale).
--
-- Correctness: the two steps cover disjoint, adjacent ranges, newest first,
-- each returning its newest matches in (occurred_at, id) descending order,
-- so the rows, in the order returned, are the newest p_limit overall.
create or replace function public.admin_search_analytics_events(
  p_filter jsonb,
  p_from timestamptz default null,
  p_to timestamptz default null,
  p_limit integer default 100
)
returns setof public.analytics_events
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_hi timestamptz := p_to;
  -- The current calendar month (UTC, as the partitions are cut) of p_to or now.
  v_lo timestamptz := greatest(p_from, pg_catalog.date_trunc('month', coalesce(p_to, pg_catalog.now()), 'UTC'));
  v_found integer := 0;
  v_step_rows integer;
begin
  if not coalesce((select private.is_admin()), false) then
    raise exception 'admin_search_analytics_events: admin only' using errcode = '42501';
  end if;
  if p_filter is null or pg_catalog.jsonb_typeof(p_filter) <> 'object' then
    raise exception 'admin_search_analytics_events: p_filter must be a JSON object' using errcode = '22023';
  end if;
  if p_limit is null or p_limit < 1 or p_limit > 10000 then
    raise exception 'admin_search_analytics_events: p_limit must be between 1 and 10000' using errcode = '22023';
  end if;
  -- [v_lo, v_hi): first the current month (open towards the future unless
  -- p_to bounds it), then everything older down to p_from. Rows are returned
  -- as found: the second range is older than the first.
  loop
    return query
      select e.* from public.analytics_events e
       where e.event_data @> p_filter
         and (v_lo is null or e.occurred_at >= v_lo)
         and (v_hi is null or e.occurred_at < v_hi)
       order by e.occurred_at desc, e.id desc
       limit p_limit - v_found;
    get diagnostics v_step_rows = row_count;
    v_found := v_found + v_step_rows;
    exit when v_found >= p_limit or v_lo is not distinct from p_from;
    v_hi := v_lo;
    v_lo := p_from;
  end loop;
end;
$$;
comment on function public.admin_search_analytics_events(jsonb, timestamptz, timestamptz, integer) is
  'Query 4 for admins: events whose event_data contains p_filter (jsonb @>), optionally within [p_from, p_to), newest first (ties by id), at most p_limit (1-10000). Reads the current month (partition) first and everything older only if that month holds fewer than p_limit matches, so each partition is read at most once. Raises 42501 unless the caller''s JWT has app_metadata.role = admin. SECURITY DEFINER (empty search_path) so the GIN jsonb_path_ops index is usable: through RLS the non-leakproof @> operator cannot be an index condition. EXECUTE for authenticated only (service_role bypasses RLS and queries the table directly).';
