-- 00013 admin_search_analytics_events(): look at recent partitions first
--
-- Why: query 4 asks for the newest p_limit events containing a key/value.
-- The GIN index answers "which rows contain it" but not in time order, so
-- the one-statement search fetched every match in every monthly partition
-- and sorted them: for a mid-frequency campaign at medium scale (3,520 of
-- 1,000,000 events) 3,392 heap pages and 11.3 ms. Events are mostly recent,
-- so the newest matches sit in the newest rows: the search now tries
-- widening windows that end at p_to (or now) - the last 1, 7, 30 and 365
-- days, then everything - and stops at the first window holding p_limit
-- matches. A window is a range on the partition key, so the older
-- partitions are pruned. Correctness: a window contains every event newer
-- than its lower bound, so if it holds p_limit matches they are the newest
-- p_limit overall. A rare filter ends in the last, unbounded window, i.e. the
-- old statement, after a few cheap probes of the recent partitions.
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
  v_end timestamptz := coalesce(p_to, pg_catalog.now());
  v_days integer;
  v_lower timestamptz;
  v_rows public.analytics_events[];
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
  foreach v_days in array array[1, 7, 30, 365, 0] loop
    -- 0 = no lower bound beyond p_from (the whole range).
    v_lower := case when v_days = 0 then p_from
                    else greatest(p_from, v_end - pg_catalog.make_interval(days => v_days)) end;
    select pg_catalog.array_agg(s.ev order by (s.ev).occurred_at desc, (s.ev).id desc) into v_rows
      from (select e as ev from public.analytics_events e
             where e.event_data @> p_filter
               and (v_lower is null or e.occurred_at >= v_lower)
               and (p_to is null or e.occurred_at < p_to)
             order by e.occurred_at desc, e.id desc
             limit p_limit) s;
    exit when v_days = 0 or v_lower is not distinct from p_from
           or coalesce(pg_catalog.cardinality(v_rows), 0) >= p_limit;
  end loop;
  return query select u.* from pg_catalog.unnest(v_rows) u order by u.occurred_at desc, u.id desc;
end;
$$;
comment on function public.admin_search_analytics_events(jsonb, timestamptz, timestamptz, integer) is
  'Query 4 for admins: events whose event_data contains p_filter (jsonb @>), optionally within [p_from, p_to), newest first (ties by id), at most p_limit (1-10000). Searches widening windows back from p_to/now (1, 7, 30, 365 days, then all) and stops at the first holding p_limit matches, so recent partitions are read first. Raises 42501 unless the caller''s JWT has app_metadata.role = admin. SECURITY DEFINER (empty search_path) so the GIN jsonb_path_ops index is usable: through RLS the non-leakproof @> operator cannot be an index condition. EXECUTE for authenticated only (service_role bypasses RLS and queries the table directly).';
