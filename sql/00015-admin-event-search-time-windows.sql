-- 00015 admin_search_analytics_events(): time windows, newest first
--
-- Why: 00013 reads the current month's partition first. Its GIN index says
-- which rows of the month contain the filter, but not when they happened, so
-- the search read every match of the month to keep the newest p_limit. The
-- cost grew with the month's traffic: at the large scale (10x medium), a
-- mid-frequency campaign cost 11,991 buffers and 67.5 ms p50 for 100 rows.
--
-- Now the search walks back from p_to (or now) in disjoint windows, newest
-- first, and stops as soon as it holds p_limit rows. The first window is the
-- last minute; each next one is sized from the rate of matches found so far
-- (half as long again as the missing rows should take, at least as long as
-- all the windows before it, at most fifteen times as long); past 256 hours,
-- or when the first 16 hours hold no match (a sparse filter), the last step
-- reads everything older. A BRIN index on occurred_at bounds each window:
-- the planner ANDs its bitmap with the GIN index's, so a step reads the pages
-- holding matches of its window, not of its month. The rows read are about
-- the answer's, whatever the history or the month's traffic.
--
-- Measured with `schemaproof bench` on an idle machine (q04: a
-- mid-frequency campaign, 100 rows, p_to just after the newest event),
-- 00013 -> this: medium 1,166 -> 152 buffers (p50/p95 now 2.21/2.48 ms;
-- 00013 measured 4.05/6.41 ms); large 11,991 -> 228 buffers (p50/p95 now
-- 4.87/5.09 ms; 00013 measured 67.5/105 ms at load 12). A first window of
-- one hour read 947 buffers at large (9.6/12.2 ms): the data's last hour
-- held 28,600 events on 897 pages, 948 of them matches, and a bitmap heap
-- scan reads every page of its window before it sorts. A first window of
-- one minute holds about the answer there, and costs a sparse filter two
-- more steps (a BRIN and a GIN scan each).
--
-- An earlier version of the walk (first window one hour, windows growing
-- sixteenfold, the same BRIN index), measured filter by filter on the
-- medium data against 00013: a frequent campaign 3,690 -> 528 buffers, a
-- rare one (2,346 matches in a year) 880 -> 144, a filter matching nothing
-- 82 -> 90. At small scale (10,000 events) the walk reads about 108 buffers
-- against the one statement's 80.
--
-- Why BRIN and not a btree: events are written in about time order (the
-- partition's occurred_at correlation is 1.0 in the generated data; the
-- column allows one day of client clock skew), so a BRIN index of 16 pages
-- per range bounds a window as well as a btree would, at almost no cost per
-- insert. autosummarize asks autovacuum to summarize each filled range, so
-- recent pages do not stay unsummarized (an unsummarized range matches every
-- window: slower, never wrong). A backfill far out of time order makes the
-- index less selective, never the results wrong. A btree was tried first: the
-- planner's estimate for @> (36 rows for 1,205) made it skip the intersection
-- and read every match of the month.
--
-- plan_cache_mode = force_generic_plan: each step's statement is planned
-- once per session, with run-time partition pruning on its bounds, instead
-- of once per step per call; at small scale the planning of custom plans
-- read more buffers than the search itself (170 against the statement's 80).
-- So the statements never test a bound for null (a generic plan of
-- "(lo is null or occurred_at >= lo)" could neither prune nor use the
-- index): open bounds are infinities. The last step reads whole partitions,
-- so its upper bound is written so that no index serves it (a filter on the
-- few rows of the newest partition it reaches); otherwise the planner would
-- AND a BRIN scan of every older partition into the GIN bitmaps for nothing.
--
-- Correctness: the windows are disjoint and adjacent, newest first, each
-- returning its newest matches in (occurred_at, id) descending order, so the
-- rows, in the order returned, are the newest p_limit overall.
--
-- Price on the write path: none measurable. 50,000 events inserted at
-- medium, three times each way, alternating: 3.47-4.08 s without the index,
-- 2.64-3.33 s with it (noise larger than the effect). The build blocks
-- writes to events while it reads the table once: 1.0 s at medium, so about
-- ten seconds at ten million events (CONCURRENTLY is not available here:
-- Postgres 15 cannot build an index concurrently on a partitioned table, and
-- the migration runs in one transaction).

create index analytics_events_occurred_at_brin_idx on public.analytics_events using brin (occurred_at) with (pages_per_range = 16, autosummarize = on);
comment on index public.analytics_events_occurred_at_brin_idx is 'BRIN (16 pages per range, autosummarize): bounds the time windows of admin_search_analytics_events (query 4), so a search reads the matches of its window rather than of its month. Relies on events arriving in about time order; out-of-order rows cost selectivity, not correctness.';

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
set plan_cache_mode = force_generic_plan
as $$
declare
  v_anchor timestamptz := coalesce(p_to, pg_catalog.now());
  -- The first window is open towards the future unless p_to bounds it.
  v_hi timestamptz := p_to;
  v_lo timestamptz;
  v_span interval := interval '1 minute';
  v_found integer := 0;
  v_step_rows integer;
  v_rest boolean;
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
  loop
    -- [v_lo, v_hi): the next window back (the first is the last minute); past
    -- 256 hours, or when the first 16 hours found nothing (a sparse filter:
    -- more windows would only add steps), everything older down to p_from;
    -- never before p_from.
    v_rest := v_span > interval '256 hours' or (v_found = 0 and v_span > interval '16 hours');
    v_lo := case when v_rest then p_from else v_anchor - v_span end;
    if p_from is not null and v_lo < p_from then
      v_lo := p_from;
    end if;
    -- The last step reads whole partitions: its upper bound is written so
    -- that no index serves it (a filter on the few rows of the newest
    -- partition it reaches), or the planner would AND a BRIN scan of every
    -- older partition into the GIN bitmaps for nothing.
    if v_rest then
      return query
        select e.* from public.analytics_events e
         where e.event_data @> p_filter
           and e.occurred_at >= coalesce(v_lo, '-infinity')
           and e.occurred_at + interval '0 seconds' < coalesce(v_hi, 'infinity')
         order by e.occurred_at desc, e.id desc
         limit p_limit - v_found;
    else
      return query
        select e.* from public.analytics_events e
         where e.event_data @> p_filter
           and e.occurred_at >= v_lo
           and e.occurred_at < coalesce(v_hi, 'infinity')
         order by e.occurred_at desc, e.id desc
         limit p_limit - v_found;
    end if;
    get diagnostics v_step_rows = row_count;
    v_found := v_found + v_step_rows;
    exit when v_found >= p_limit or v_lo is not distinct from p_from;
    v_hi := v_lo;
    -- The next window is sized from the rate found so far: half as long
    -- again as the time the missing rows should take at that rate, at least
    -- as long as all the windows so far (so the steps stay few) and at most
    -- fifteen times as long; sixteen times when nothing was found yet.
    v_span := (v_anchor - v_lo) * (1 + case
      when v_found = 0 then 15
      else least(15, greatest(1, ceil(1.5 * (p_limit - v_found) / v_found)))
    end);
  end loop;
end;
$$;
comment on function public.admin_search_analytics_events(jsonb, timestamptz, timestamptz, integer) is
  'Query 4 for admins: events whose event_data contains p_filter (jsonb @>), optionally within [p_from, p_to), newest first (ties by id), at most p_limit (1-10000). Walks back from p_to (or now) in disjoint windows (the last minute first, each next one sized from the rate of matches so far), then everything older, and stops once it holds p_limit rows: it reads about the matches it returns, whatever the history. Raises 42501 unless the caller''s JWT has app_metadata.role = admin. SECURITY DEFINER (empty search_path) so the GIN jsonb_path_ops index is usable: through RLS the non-leakproof @> operator cannot be an index condition. EXECUTE for authenticated only (service_role bypasses RLS and queries the table directly).';
