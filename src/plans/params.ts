/**
 * How catalogue parameters are picked from the loaded data. Each picker is
 * one SQL query run as the database owner before the benchmark; the picked
 * values are reported with the results so a run can be replayed.
 */
import { sql, type Queryable, type SQLQuery } from '@databases/pg';

export const pickerNames = [
  'heavy_user',
  'heavy_user_session',
  'mid_event_type',
  'event_data_filter',
  'latest_engagement_date',
  'busy_candidate',
  'busy_candidate_state',
  'busy_candidate_office',
  'busy_candidate_year',
  'candidate_name_pattern',
  'busy_committee',
  'committee_name_pattern',
  'busiest_cycle',
  'cursor_source',
  'cursor_stream',
] as const;
export type PickerName = (typeof pickerNames)[number];

const heavyUser = sql`(select s.user_id from public.analytics_sessions s where s.user_id is not null
                        group by s.user_id order by count(*) desc, s.user_id limit 1)`;
const busyCandidate = sql`(select l.candidate_id from public.fec_candidate_committees l
                            group by l.candidate_id order by count(*) desc, l.candidate_id limit 1)`;
const busyCommittee = sql`(select f.committee_id from public.fec_filings f
                            group by f.committee_id order by count(*) desc, f.committee_id limit 1)`;
const latestCursor = sql`(select c.id from public.ingestion_cursors c order by c.last_success_at desc nulls last, c.id limit 1)`;

const pickers: Readonly<Record<PickerName, SQLQuery>> = {
  heavy_user: sql`select ${heavyUser}::text as value`,
  heavy_user_session: sql`select s.session_id as value from public.analytics_sessions s
                           where s.user_id = ${heavyUser} order by s.event_count desc, s.started_at desc limit 1`,
  mid_event_type: sql`select event_type as value from (
                        select e.event_type, count(*) as n from public.analytics_events e
                         where e.occurred_at >= now() - interval '30 days' group by e.event_type
                         order by n desc, e.event_type offset 4 limit 1) x`,
  event_data_filter: sql`select jsonb_build_object('campaign', c)::text as value from (
                           select e.event_data ->> 'campaign' as c, count(*) as n from public.analytics_events e
                            where e.event_data ? 'campaign' group by 1 order by n desc, 1 offset 40 limit 1) x`,
  latest_engagement_date: sql`select max(engagement_date)::text as value from public.analytics_user_engagement`,
  busy_candidate: sql`select ${busyCandidate} as value`,
  busy_candidate_state: sql`select c.state as value from public.fec_candidates c where c.candidate_id = ${busyCandidate}`,
  busy_candidate_office: sql`select c.office::text as value from public.fec_candidates c where c.candidate_id = ${busyCandidate}`,
  busy_candidate_year: sql`select c.election_year::text as value from public.fec_candidates c where c.candidate_id = ${busyCandidate}`,
  candidate_name_pattern: sql`select '%' || lower(substr(split_part(c.name, ',', 1), 1, 5)) || '%' as value
                                from public.fec_candidates c where c.candidate_id = ${busyCandidate}`,
  busy_committee: sql`select ${busyCommittee} as value`,
  // The rarest word (5+ letters) of the busiest committee's name across all committee names.
  committee_name_pattern: sql`select '%' || lower(w.word) || '%' as value
                                from public.fec_committees m
                                cross join lateral regexp_split_to_table(m.committee_name, '[^A-Za-z]+') as w(word)
                               where m.committee_id = ${busyCommittee} and length(w.word) >= 5
                               order by (select count(*) from public.fec_committees o where o.committee_name ilike '%' || w.word || '%'), w.word
                               limit 1`,
  busiest_cycle: sql`select election_cycle::text as value from public.fec_filings group by election_cycle order by count(*) desc, election_cycle desc limit 1`,
  cursor_source: sql`select c.source as value from public.ingestion_cursors c where c.id = ${latestCursor}`,
  cursor_stream: sql`select c.stream as value from public.ingestion_cursors c where c.id = ${latestCursor}`,
};

/** Resolve the pickers used by a set of queries; a picker that finds nothing yields null. */
export async function pickParams(db: Queryable, names: Iterable<PickerName>): Promise<Record<string, string | null>> {
  const values: Record<string, string | null> = {};
  for (const name of new Set(names)) {
    const rows = await db.query(pickers[name]);
    const value = rows[0]?.value;
    values[name] = value === undefined || value === null ? null : String(value);
  }
  return values;
}

/** The actor ids of the benchmark: the heavy user and an admin user. */
export async function benchActors(db: Queryable): Promise<{ heavyUserId: string | null; adminUserId: string | null }> {
  const rows = await db.query(sql`
    select ${heavyUser}::text as heavy,
           (select u.id::text from auth.users u where u.raw_app_meta_data ->> 'role' = 'admin' order by u.id limit 1) as admin`);
  return { heavyUserId: (rows[0]?.heavy as string | null) ?? null, adminUserId: (rows[0]?.admin as string | null) ?? null };
}
