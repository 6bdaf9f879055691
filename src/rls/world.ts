/**
 * Random worlds: 2-6 users (one of them claims admin in user_metadata, which
 * must change nothing), one admin, anon and service; rows in every table
 * owned by random users, the admin or nobody. A world is loaded as the
 * superuser (it must not depend on the policies under test) with one
 * multi-statement round trip; ids are minted fresh each time it is loaded.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql, type SQLQuery } from '@databases/pg';
import type { JwtClaims } from '../postgres/index.ts';
import { insertStatement, type RowValues } from './factories.ts';
import { renderSql } from './literal.ts';

/** Index into the world's people (users then the admin, taken modulo their count), or null: no owner. */
export type OwnerRef = number | null;

export interface ClaimVariety {
  readonly is_anonymous: boolean;
  readonly aal: 'aal1' | 'aal2';
  readonly email_verified: boolean;
  readonly expired: boolean;
  readonly app_metadata: JwtClaims;
  readonly user_metadata: JwtClaims;
}

export const requestStatuses = ['pending_verification', 'verified', 'in_progress', 'legal_review', 'completed', 'rejected', 'cancelled'] as const;
export const eventMonths = ['current', 'previous', 'five_months_ago', 'default_partition'] as const;

export interface WorldShape {
  readonly users: readonly ClaimVariety[];
  readonly admin: ClaimVariety;
  readonly sessions: readonly OwnerRef[];
  readonly events: readonly { readonly owner: OwnerRef; readonly month: (typeof eventMonths)[number] }[];
  readonly pageViews: readonly OwnerRef[];
  readonly engagement: readonly number[];
  readonly consents: readonly { readonly owner: OwnerRef; readonly status: 'granted' | 'denied' | 'withdrawn' }[];
  readonly requests: readonly { readonly owner: OwnerRef; readonly status: (typeof requestStatuses)[number] }[];
  readonly audit: readonly { readonly subject: OwnerRef; readonly actor: OwnerRef }[];
  readonly fec: { readonly candidates: number; readonly committees: number; readonly links: number; readonly filings: number };
  readonly ingestion: { readonly logs: number; readonly cursors: number };
}

const claimVariety = (forced: Partial<ClaimVariety> = {}): fc.Arbitrary<ClaimVariety> =>
  fc
    .record({
      is_anonymous: fc.boolean(),
      aal: fc.constantFrom('aal1' as const, 'aal2' as const),
      email_verified: fc.boolean(),
      expired: fc.boolean(),
      app_metadata: fc.constantFrom<JwtClaims>({}, { provider: 'email' }, { provider: 'email', role: 'user' }, { providers: ['github'], role: 'authenticated' }),
      user_metadata: fc.constantFrom<JwtClaims>({}, { role: 'admin' }, { is_admin: true, name: 'Mallory' }, { app_metadata: { role: 'admin' } }),
    })
    .map((value) => ({ ...value, ...forced }));

const owner = fc.option(fc.nat({ max: 6 }), { nil: null, freq: 4 });

export function worldArbitrary(options: { readonly maxRowsPerTable?: number } = {}): fc.Arbitrary<WorldShape> {
  const max = options.maxRowsPerTable ?? 4;
  return fc.record({
    users: fc.tuple(claimVariety({ user_metadata: { role: 'admin' } }), fc.array(claimVariety(), { minLength: 1, maxLength: 5 })).map(([first, rest]) => [first, ...rest]),
    admin: claimVariety(),
    sessions: fc.array(owner, { maxLength: max }),
    events: fc.array(fc.record({ owner, month: fc.constantFrom(...eventMonths) }), { minLength: 1, maxLength: max }),
    pageViews: fc.array(owner, { maxLength: max }),
    engagement: fc.array(fc.nat({ max: 6 }), { maxLength: max }),
    consents: fc.array(fc.record({ owner, status: fc.constantFrom('granted' as const, 'denied' as const, 'withdrawn' as const) }), { maxLength: max }),
    // Requests in the initial status are the only ones a user may change
    // (cancel while pending), so they are drawn about half of the time: with
    // a uniform status (1 in 7) a mutant that breaks only that right survived
    // 16 worlds now and then.
    requests: fc.array(fc.record({ owner, status: fc.oneof(
      { arbitrary: fc.constant(requestStatuses[0]), weight: 3 },
      { arbitrary: fc.constantFrom(...requestStatuses), weight: 4 },
    ) }), { maxLength: max + 2 }),
    audit: fc.array(fc.record({ subject: owner, actor: owner }), { maxLength: max }),
    fec: fc.record({ candidates: fc.nat({ max: 3 }), committees: fc.nat({ max: 3 }), links: fc.nat({ max: 3 }), filings: fc.nat({ max: 3 }) }),
    ingestion: fc.record({ logs: fc.nat({ max: 3 }), cursors: fc.nat({ max: 3 }) }),
  });
}

export interface Person {
  readonly label: string;
  readonly id: string;
  readonly kind: 'user' | 'admin';
  readonly claims: JwtClaims;
}

export interface LoadedWorld {
  readonly shape: WorldShape;
  readonly people: readonly Person[];
  /** Label of an owner id ("user1", "admin"), for readable reports. */
  labelOf(id: string | null): string;
  /** The SQL that loads it (for the counterexample). */
  readonly sql: string;
}

let keyCounter = Math.floor(Math.random() * 1_000_000);
const nextKey = (): number => {
  keyCounter = (keyCounter + 1) % 10_000_000;
  return keyCounter;
};
const digits = (value: number, width: number): string => String(value).padStart(width, '0').slice(-width);

function claimsOf(variety: ClaimVariety): JwtClaims {
  const now = Math.floor(Date.now() / 1000);
  return {
    is_anonymous: variety.is_anonymous,
    aal: variety.aal,
    email_verified: variety.email_verified,
    exp: variety.expired ? now - 3600 : now + 3600,
    app_metadata: variety.app_metadata,
    user_metadata: variety.user_metadata,
  };
}

/** Build people and the loading SQL for a world shape (fresh ids every call). */
export function planWorld(shape: WorldShape): LoadedWorld {
  const people: Person[] = [
    ...shape.users.map((variety, index) => ({ label: `user${index + 1}`, id: randomUUID(), kind: 'user' as const, claims: claimsOf(variety) })),
    { label: 'admin', id: randomUUID(), kind: 'admin' as const, claims: claimsOf(shape.admin) },
  ];
  const ownerId = (ref: OwnerRef): string | null => (ref === null ? null : people[ref % people.length]!.id);
  const statements: SQLQuery[] = [];
  const insert = (table: string, values: RowValues): void => {
    statements.push(sql`${insertStatement(sql.ident('public', table), values)};`);
  };
  for (const person of people) {
    statements.push(
      sql`insert into auth.users (id, email, is_anonymous, raw_app_meta_data, raw_user_meta_data) values (${person.id}, ${`${person.label}-${person.id.slice(0, 8)}@example.test`}, ${person.claims.is_anonymous === true}, ${JSON.stringify(person.claims.app_metadata ?? {})}::jsonb, ${JSON.stringify(person.claims.user_metadata ?? {})}::jsonb);`,
    );
  }
  // Sessions: the explicit ones, plus one per owner whose events or page views need a session.
  const sessionOf = new Map<string, string>();
  const addSession = (ref: OwnerRef): string => {
    const sessionId = `w${nextKey()}`;
    const id = ownerId(ref);
    insert('analytics_sessions', { session_id: sessionId, user_id: id });
    if (!sessionOf.has(String(id))) sessionOf.set(String(id), sessionId);
    return sessionId;
  };
  for (const ref of shape.sessions) addSession(ref);
  const sessionFor = (ref: OwnerRef): string => sessionOf.get(String(ownerId(ref))) ?? addSession(ref);
  const monthOffset = { current: "now()", previous: "now() - interval '1 month'", five_months_ago: "now() - interval '5 months'", default_partition: "now() - interval '6 years'" } as const;
  for (const event of shape.events) {
    insert('analytics_events', {
      user_id: ownerId(event.owner),
      session_id: sessionFor(event.owner),
      event_type: 'page_view',
      event_name: 'world event',
      occurred_at: sql.__dangerous__rawValue(monthOffset[event.month]),
    });
  }
  for (const ref of shape.pageViews) {
    insert('analytics_page_views', { user_id: ownerId(ref), session_id: sessionFor(ref), page_url: 'https://example.test/world', page_path: '/world' });
  }
  const engagementDays = new Map<string, number>();
  for (const ref of shape.engagement) {
    const id = ownerId(ref)!;
    const day = (engagementDays.get(id) ?? 0) + 1;
    engagementDays.set(id, day);
    insert('analytics_user_engagement', { user_id: id, engagement_date: sql`current_date - ${day}::int`, engagement_score: 10 * day, total_sessions: 1 });
  }
  for (const consent of shape.consents) {
    const id = ownerId(consent.owner);
    insert('privacy_consent_records', {
      user_id: id,
      anonymous_id: id === null ? `visitor-${nextKey()}` : null,
      consent_type: 'analytics',
      consent_status: consent.status,
      consent_version: '2025-01',
      regulation: 'gdpr',
      source: 'banner',
    });
  }
  for (const request of shape.requests) {
    insert('privacy_data_requests', {
      user_id: ownerId(request.owner),
      request_type: 'access',
      regulation: 'gdpr',
      request_status: request.status,
      verification_method: 'email',
      rejection_reason: request.status === 'rejected' ? 'world: not verifiable' : null,
    });
  }
  for (const entry of shape.audit) {
    const actor = ownerId(entry.actor);
    statements.push(sql`select set_config('request.jwt.claims', ${actor === null ? '' : JSON.stringify({ sub: actor, role: 'authenticated' })}, true);`);
    statements.push(sql`select public.log_privacy_event('world_data_access', 'data_access', ${ownerId(entry.subject)}::uuid);`);
  }
  if (shape.audit.length > 0) statements.push(sql`select set_config('request.jwt.claims', '', true);`);
  const candidates: string[] = [];
  const committees: string[] = [];
  const addCandidate = (): string => {
    const candidateId = `H${digits(nextKey(), 8)}`;
    insert('fec_candidates', { candidate_id: candidateId, name: 'WORLD, CANDIDATE', office: 'H', state: 'TX', election_year: 2024 });
    candidates.push(candidateId);
    return candidateId;
  };
  const addCommittee = (): string => {
    const committeeId = `C${digits(nextKey(), 8)}`;
    insert('fec_committees', { committee_id: committeeId, committee_name: 'WORLD COMMITTEE' });
    committees.push(committeeId);
    return committeeId;
  };
  for (let index = 0; index < shape.fec.candidates; index += 1) addCandidate();
  for (let index = 0; index < shape.fec.committees; index += 1) addCommittee();
  for (let index = 0; index < shape.fec.links; index += 1) {
    const candidateId = candidates[index % Math.max(candidates.length, 1)] ?? addCandidate();
    const committeeId = committees[index % Math.max(committees.length, 1)] ?? addCommittee();
    insert('fec_candidate_committees', { linkage_id: nextKey() + 1, candidate_id: candidateId, committee_id: committeeId, candidate_election_year: 2024, fec_election_year: 2024 });
  }
  for (let index = 0; index < shape.fec.filings; index += 1) {
    const committeeId = committees[index % Math.max(committees.length, 1)] ?? addCommittee();
    insert('fec_filings', { filing_id: nextKey() + 1, committee_id: committeeId, form_type: 'F3', filing_date: '2024-04-15', election_cycle: 2024 });
  }
  for (let index = 0; index < shape.ingestion.logs; index += 1) {
    insert('ingestion_logs', {
      source: 'world',
      stream: `s${nextKey()}`,
      ingestion_type: 'full',
      status: 'succeeded',
      started_at: sql.__dangerous__rawValue("now() - interval '1 hour'"),
      finished_at: sql.__dangerous__rawValue('now()'),
    });
  }
  for (let index = 0; index < shape.ingestion.cursors; index += 1) {
    insert('ingestion_cursors', { source: 'world', stream: `c${nextKey()}`, cursor_type: 'page' });
  }
  const labels = new Map(people.map((person) => [person.id, person.label]));
  return {
    shape,
    people,
    labelOf: (id) => (id === null ? 'nobody' : (labels.get(id) ?? id)),
    sql: renderSql(sql.join(statements, sql`\n`)),
  };
}
