/**
 * Every group of the rollups of sql/00014-rollups.sql (and every
 * fec_filings.is_latest marker) that differs from the aggregate computed here
 * from the raw rows, independently of the schema's own functions. Empty when
 * the rollups are right.
 */
import { sql } from '@databases/pg';

export const rollupDrift = sql`
  select 'analytics_daily_event_counts' as rollup, coalesce(r.day, x.day)::text || ' ' || coalesce(r.event_type, x.event_type) as grp,
         r.events::text as stored, x.n::text as actual
    from public.analytics_daily_event_counts r
    full join (select (occurred_at at time zone 'UTC')::date as day, event_type, count(*) as n
                 from public.analytics_events group by 1, 2) x on x.day = r.day and x.event_type = r.event_type
   where r.events is distinct from x.n
  union all
  select 'analytics_daily_session_counts', coalesce(r.day, x.day)::text,
         r.sessions || '/' || r.bounce_sessions, x.n || '/' || x.b
    from public.analytics_daily_session_counts r
    full join (select (started_at at time zone 'UTC')::date as day, count(*) as n, count(*) filter (where is_bounce) as b
                 from public.analytics_sessions group by 1) x on x.day = r.day
   where (r.sessions, r.bounce_sessions) is distinct from (x.n, x.b)
  union all
  select 'analytics_daily_page_views', coalesce(r.day, x.day)::text || ' ' || coalesce(r.page_path, x.page_path),
         r.views::text, x.n::text
    from public.analytics_daily_page_views r
    full join (select (viewed_at at time zone 'UTC')::date as day, page_path, count(*) as n
                 from public.analytics_page_views group by 1, 2) x on x.day = r.day and x.page_path = r.page_path
   where r.views is distinct from x.n
  union all
  select 'fec_filings.is_latest', f.filing_id::text, f.is_latest::text, (not f.is_latest)::text
    from public.fec_filings f
   where f.is_latest is distinct from not exists (select 1 from public.fec_filings a where a.amends_filing_id = f.filing_id)
  union all
  select 'fec_committee_cycle_totals', coalesce(r.committee_id, x.committee_id) || ' ' || coalesce(r.election_cycle, x.election_cycle)::text,
         r.receipts || '/' || r.latest_filings, x.receipts || '/' || x.n
    from public.fec_committee_cycle_totals r
    full join (select f.committee_id, f.election_cycle, sum(f.receipts) as receipts, count(*)::integer as n
                 from public.fec_filings f
                where not exists (select 1 from public.fec_filings a where a.amends_filing_id = f.filing_id)
                group by 1, 2) x on x.committee_id = r.committee_id and x.election_cycle = r.election_cycle
   where (r.receipts, r.latest_filings) is distinct from (x.receipts, x.n)
  order by 1, 2`;
