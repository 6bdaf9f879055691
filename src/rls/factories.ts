/**
 * Row factories, keyed by table name: how to build a valid row of each table
 * (so that a refused write is refused by the access rules, never by a NOT
 * NULL, CHECK or foreign key), and which harmless UPDATEs to try on a row.
 * The spec lists the tables; this file knows their columns.
 */
import { randomUUID } from 'node:crypto';
import { sql, type SQLQuery } from '@databases/pg';

/** Values for one INSERT; a value may be raw SQL (e.g. now()). */
export type RowValues = Readonly<Record<string, unknown>>;

export interface InsertContext {
  /** The owner the new row claims (null: no owner / anonymous). */
  readonly owner: string | null;
  /** A row of the same partition/table whose partition key the new row copies (direct partition inserts). */
  readonly partitionKey?: Readonly<Record<string, string>>;
}

export interface InsertPlan {
  readonly variant: string;
  readonly id: string;
  /** Run as the superuser first (inside the probe, rolled back): parents the row needs. */
  readonly setup: SQLQuery | null;
  readonly values: RowValues;
}

export interface UpdateContext {
  readonly ownerColumn: string | null;
  readonly state: string | null;
  readonly owner: string | null;
}

export interface UpdatePlan {
  readonly variant: string;
  readonly set: RowValues;
  /** For transitions of a state machine: the new state. */
  readonly toState?: string;
  /** SQL run as the superuser before the statement (inside the rolled-back transaction). */
  readonly setup?: SQLQuery;
}

export interface RowFactory {
  readonly ownerNullable: boolean;
  /**
   * Rows reference a session that must belong to the same owner (composite
   * FK): moving only the owner column always fails on the FK, so an owner
   * move must also move the row to a session of the new owner to test the
   * policy's WITH CHECK rather than the FK.
   */
  readonly sessionBound?: boolean;
  /** Expression over alias `t` whose value groups rows for target selection. */
  readonly state?: SQLQuery;
  /** Columns of the partition key (partitioned tables). */
  readonly partitionKey?: readonly string[];
  insert(context: InsertContext): readonly InsertPlan[];
  updates(context: UpdateContext): readonly UpdatePlan[];
}

const raw = (text: string): SQLQuery => sql.__dangerous__rawValue(text);
export const sessionSetup = (owner: string | null, sessionId: string): SQLQuery =>
  sql`insert into public.analytics_sessions (session_id, user_id) values (${sessionId}, ${owner});`;
const session = (owner: string | null, sessionId: string): SQLQuery =>
  sql`insert into public.analytics_sessions (session_id, user_id) values (${sessionId}, ${owner});`;
const candidate = (candidateId: string): SQLQuery =>
  sql`insert into public.fec_candidates (candidate_id, name, office, state, election_year) values (${candidateId}, 'PROBE, CANDIDATE', 'H', 'CA', 2024);`;
const committee = (committeeId: string): SQLQuery =>
  sql`insert into public.fec_committees (committee_id, committee_name) values (${committeeId}, 'PROBE COMMITTEE');`;

function single(values: RowValues, setup: SQLQuery | null = null, variant = 'row'): readonly InsertPlan[] {
  const id = randomUUID();
  return [{ variant, id, setup, values: { id, ...values } }];
}

const touch = (column: string, value: unknown): readonly UpdatePlan[] => [{ variant: 'touch', set: { [column]: value } }];

export const rowFactories: Readonly<Record<string, RowFactory>> = {
  analytics_sessions: {
    ownerNullable: true,
    // Sessions with children cannot change owner without breaking the composite FK: target both kinds.
    state: sql`case when exists (select 1 from public.analytics_events e where e.session_id = t.session_id)
                      or exists (select 1 from public.analytics_page_views v where v.session_id = t.session_id)
                    then 'with_children' else 'leaf' end`,
    insert: ({ owner }) => single({ session_id: 'probe_session_new', user_id: owner, entry_page: '/probe' }),
    updates: () => touch('exit_page', '/probe-exit'),
  },
  analytics_events: {
    ownerNullable: true,
    sessionBound: true,
    partitionKey: ['occurred_at'],
    insert: ({ owner, partitionKey }) =>
      single(
        {
          user_id: owner,
          session_id: 'probe_session_parent',
          event_type: 'probe_event',
          event_data: { probe: true },
          ...(partitionKey?.occurred_at ? { occurred_at: partitionKey.occurred_at } : {}),
        },
        session(owner, 'probe_session_parent'),
      ),
    updates: () => touch('event_name', 'probe'),
  },
  analytics_page_views: {
    ownerNullable: true,
    sessionBound: true,
    insert: ({ owner }) =>
      single({ user_id: owner, session_id: 'probe_session_parent', page_url: 'https://example.test/probe', page_path: '/probe' }, session(owner, 'probe_session_parent')),
    updates: () => touch('page_title', 'Probe'),
  },
  analytics_user_engagement: {
    ownerNullable: false,
    insert: ({ owner }) => single({ user_id: owner, engagement_date: '1999-12-31', engagement_score: 50 }),
    updates: () => touch('engagement_score', 99),
  },
  privacy_consent_records: {
    ownerNullable: true,
    insert: ({ owner }) =>
      single({
        user_id: owner,
        anonymous_id: owner === null ? 'probe-visitor' : null,
        consent_type: 'marketing',
        consent_status: 'granted',
        consent_version: '2025-01',
        regulation: 'gdpr',
        source: 'banner',
      }),
    updates: () => touch('consent_version', '2025-02'),
  },
  privacy_data_requests: {
    ownerNullable: true,
    state: sql`t.request_status::text`,
    insert: ({ owner }) => {
      const base = { user_id: owner, request_type: 'access', regulation: 'gdpr', verification_method: 'email' };
      const initial = randomUUID();
      const later = randomUUID();
      return [
        { variant: 'initial', id: initial, setup: null, values: { id: initial, ...base } },
        { variant: 'non_initial', id: later, setup: null, values: { id: later, ...base, request_status: 'verified' } },
      ];
    },
    updates: ({ state }) => {
      const plans: UpdatePlan[] = [{ variant: 'touch', set: { legal_review_notes: 'probe note' } }];
      if (state !== 'cancelled') plans.push({ variant: 'to_cancelled', set: { request_status: 'cancelled' }, toState: 'cancelled' });
      if (state !== 'verified') plans.push({ variant: 'to_verified', set: { request_status: 'verified', verification_method: 'email' }, toState: 'verified' });
      if (state !== 'rejected') plans.push({ variant: 'to_rejected', set: { request_status: 'rejected', rejection_reason: 'probe' }, toState: 'rejected' });
      return plans;
    },
  },
  privacy_audit_logs: {
    ownerNullable: true,
    insert: ({ owner }) =>
      single({ user_id: owner, actor_role: 'probe', event_type: 'probe_event', event_category: 'security', row_hash: raw("decode(repeat('00', 32), 'hex')"), chain_position: 999999 }),
    updates: () => touch('details', { tampered: true }),
  },
  fec_candidates: {
    ownerNullable: true,
    insert: () => single({ candidate_id: 'S9PROBE01', name: 'PROBE, NEW', office: 'S', state: 'NY', election_year: 2024 }),
    updates: () => touch('name', 'PROBE, RENAMED'),
  },
  fec_committees: {
    ownerNullable: true,
    insert: () => single({ committee_id: 'C99999991', committee_name: 'PROBE NEW COMMITTEE' }),
    updates: () => touch('committee_name', 'PROBE RENAMED'),
  },
  fec_candidate_committees: {
    ownerNullable: true,
    insert: () =>
      single(
        { linkage_id: 999999991, candidate_id: 'H9PROBE02', committee_id: 'C99999992', candidate_election_year: 2024, fec_election_year: 2024 },
        sql.join([candidate('H9PROBE02'), committee('C99999992')], sql` `),
      ),
    updates: () => touch('candidate_election_year', 2026),
  },
  fec_filings: {
    ownerNullable: true,
    insert: () =>
      single(
        { filing_id: 999999993, committee_id: 'C99999993', form_type: 'F3', filing_date: '2024-04-15', election_cycle: 2024 },
        committee('C99999993'),
      ),
    updates: () => touch('report_type', 'Q2'),
  },
  // Rollups (sql/00014-rollups.sql): no API role may write them; the probes
  // prove it (groups far in the past, so they never collide with a world's).
  analytics_daily_event_counts: {
    ownerNullable: true,
    insert: () => single({ day: '2001-01-01', event_type: 'probe_event', events: 1 }),
    updates: () => touch('events', 7),
  },
  analytics_daily_session_counts: {
    ownerNullable: true,
    insert: () => single({ day: '2001-01-01', sessions: 1, bounce_sessions: 0 }),
    updates: () => touch('bounce_sessions', 0),
  },
  analytics_daily_page_views: {
    ownerNullable: true,
    insert: () => single({ day: '2001-01-01', page_path: '/probe', views: 1 }),
    updates: () => touch('views', 7),
  },
  fec_committee_cycle_totals: {
    ownerNullable: true,
    insert: () => single({ committee_id: 'C99999994', election_cycle: 2000, latest_filings: 1 }, committee('C99999994')),
    updates: () => touch('receipts', 1),
  },
  ingestion_cursors: {
    ownerNullable: true,
    insert: () => single({ source: 'probe', stream: 'probe_new', cursor_type: 'page' }),
    updates: () => touch('cursor_value', 'probe'),
  },
  ingestion_logs: {
    ownerNullable: true,
    insert: () => single({ source: 'probe', stream: 'probe_new', ingestion_type: 'full', status: 'running' }),
    updates: () => touch('error_message', 'probe'),
  },
};

/** `insert into <relation> (<columns>) values (<values>)` with every identifier escaped. */
export function insertStatement(relation: SQLQuery, values: RowValues): SQLQuery {
  const columns = Object.keys(values);
  return sql`insert into ${relation} (${sql.join(columns.map((column) => sql.ident(column)), ', ')}) values (${sql.join(
    columns.map((column) => valueSql(values[column])),
    ', ',
  )})`;
}

export function valueSql(value: unknown): SQLQuery {
  if (sql.isSqlQuery(value)) return value;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) return sql`${JSON.stringify(value)}::jsonb`;
  return sql`${value}`;
}

export function setClause(values: RowValues): SQLQuery {
  return sql.join(Object.keys(values).map((column) => sql`${sql.ident(column)} = ${valueSql(values[column])}`), ', ');
}
