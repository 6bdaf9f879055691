/**
 * The rollups and maintained markers of sql/00014-rollups.sql equal the
 * aggregate of the raw rows after any history of writes: random inserts
 * (several rows per statement, late-arriving rows on old days), updates that
 * move rows between groups, deletes (direct and by cascade), amendments of
 * filings in any order, a retention run (which drops whole partitions,
 * firing no trigger) and a user's erasure. The aggregate is computed here,
 * from the raw tables, independently of the schema's functions.
 *
 * The same property run against a clone whose maintenance triggers are
 * disabled must find a counterexample: the check can fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql, type ConnectionPool, type SQLQuery } from '@databases/pg';
import { freshDatabase, type FreshDatabase } from '../helpers/pg.ts';
import { rollupDrift as drift } from '../helpers/rollups.ts';

const users = ['aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-0000000000a2', 'aaaaaaaa-0000-4000-8000-0000000000a3'] as const;
/** Sessions of the base world: one per user and one anonymous. */
const sessions = [
  { id: 'prop-s1', user: users[0] },
  { id: 'prop-s2', user: users[1] },
  { id: 'prop-s3', user: users[2] },
  { id: 'prop-anon', user: null },
] as const;
const eventTypes = ['click', 'scroll', 'purchase'] as const;
const paths = ['/a', '/b', '/private'] as const;
const committees = ['C00000771', 'C00000772'] as const;

type Operation =
  | { readonly op: 'events'; readonly session: number; readonly type: number; readonly daysAgo: number; readonly rows: number }
  | { readonly op: 'page_views'; readonly session: number; readonly path: number; readonly daysAgo: number; readonly rows: number }
  | { readonly op: 'session'; readonly user: number | null; readonly daysAgo: number; readonly key: number }
  | { readonly op: 'delete_events'; readonly type: number; readonly keep: number }
  | { readonly op: 'delete_page_views'; readonly path: number }
  | { readonly op: 'move_events'; readonly from: number; readonly to: number; readonly days: number }
  | { readonly op: 'delete_session'; readonly session: number }
  | { readonly op: 'filing'; readonly committee: number; readonly cycle: number; readonly receipts: number | null; readonly amendsLatest: boolean }
  | { readonly op: 'delete_filing'; readonly newest: boolean }
  | { readonly op: 'retention'; readonly monthsAhead: number }
  | { readonly op: 'erase'; readonly user: number };

const days = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 300, max: 480 }));
const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('events' as const),
      session: fc.nat({ max: sessions.length + 1 }),
      type: fc.nat({ max: eventTypes.length - 1 }),
      daysAgo: days,
      rows: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('page_views' as const),
      session: fc.nat({ max: sessions.length + 1 }),
      path: fc.nat({ max: paths.length - 1 }),
      daysAgo: days,
      rows: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('session' as const), user: fc.option(fc.nat({ max: users.length - 1 }), { nil: null }), daysAgo: days, key: fc.nat({ max: 1 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete_events' as const), type: fc.nat({ max: eventTypes.length - 1 }), keep: fc.nat({ max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete_page_views' as const), path: fc.nat({ max: paths.length - 1 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('move_events' as const), from: fc.nat({ max: eventTypes.length - 1 }), to: fc.nat({ max: eventTypes.length - 1 }), days: fc.integer({ min: -2, max: 2 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete_session' as const), session: fc.nat({ max: sessions.length + 1 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('filing' as const),
      committee: fc.nat({ max: committees.length - 1 }),
      cycle: fc.constantFrom(2022, 2024),
      receipts: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: null }),
      amendsLatest: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete_filing' as const), newest: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('retention' as const), monthsAhead: fc.nat({ max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('erase' as const), user: fc.nat({ max: users.length - 1 }) }) },
);
const history = fc.array(operation, { minLength: 1, maxLength: 14 });

/** Session keys: the base four, then two that `session` operations may add. */
const sessionKey = (index: number): string => (index < sessions.length ? sessions[index]!.id : `prop-extra-${index - sessions.length}`);
const at = (daysAgo: number): SQLQuery => sql`now() - make_interval(days => ${daysAgo}::int) - interval '1 hour'`;

function statement(step: Operation): SQLQuery {
  switch (step.op) {
    case 'events':
      // The session may be gone (erased, deleted, never added): then nothing is inserted.
      return sql`
        insert into public.analytics_events (user_id, session_id, event_type, event_name, occurred_at)
        select s.user_id, s.session_id, ${eventTypes[step.type]!}, 'prop', ${at(step.daysAgo)} + g * interval '1 minute'
          from public.analytics_sessions s, generate_series(1, ${step.rows}::int) g
         where s.session_id = ${sessionKey(step.session)}`;
    case 'page_views':
      return sql`
        insert into public.analytics_page_views (user_id, session_id, page_url, page_path, viewed_at)
        select s.user_id, s.session_id, 'https://prop.test' || ${paths[step.path]!}, ${paths[step.path]!}, ${at(step.daysAgo)} + g * interval '1 minute'
          from public.analytics_sessions s, generate_series(1, ${step.rows}::int) g
         where s.session_id = ${sessionKey(step.session)}`;
    case 'session':
      return sql`
        insert into public.analytics_sessions (session_id, user_id, started_at)
        select ${sessionKey(sessions.length + step.key)}, u.id, ${at(step.daysAgo)}
          from (select ${step.user === null ? null : users[step.user]!}::uuid as id) u
         where (u.id is null or exists (select 1 from auth.users a where a.id = u.id))
        on conflict (session_id) do nothing`;
    case 'delete_events':
      return sql`
        delete from public.analytics_events e
         where e.event_type = ${eventTypes[step.type]!}
           and e.id not in (select x.id from public.analytics_events x where x.event_type = ${eventTypes[step.type]!}
                             order by x.occurred_at desc, x.id limit ${step.keep}::int)`;
    case 'delete_page_views':
      return sql`delete from public.analytics_page_views v where v.page_path = ${paths[step.path]!}`;
    case 'move_events':
      return sql`
        update public.analytics_events e
           set event_type = ${eventTypes[step.to]!}, occurred_at = e.occurred_at + make_interval(days => ${step.days}::int)
         where e.event_type = ${eventTypes[step.from]!} and e.occurred_at + make_interval(days => ${step.days}::int) <= now()`;
    case 'delete_session':
      return sql`delete from public.analytics_sessions s where s.session_id = ${sessionKey(step.session)}`;
    case 'filing': {
      const committee = committees[step.committee]!;
      return step.amendsLatest
        ? sql`
          insert into public.fec_filings (filing_id, committee_id, form_type, filing_date, election_cycle, receipts, amendment_indicator, amends_filing_id)
          select coalesce((select max(filing_id) from public.fec_filings where filing_id between 77000 and 77999), 77000) + 1,
                 f.committee_id, 'F3', f.filing_date + 1, f.election_cycle, ${step.receipts}::numeric, 'A', f.filing_id
            from public.fec_filings f
           where f.committee_id = ${committee} and f.is_latest and f.filing_id between 77000 and 77999
           order by f.filing_id desc limit 1`
        : sql`
          insert into public.fec_filings (filing_id, committee_id, form_type, filing_date, election_cycle, receipts)
          select coalesce((select max(filing_id) from public.fec_filings where filing_id between 77000 and 77999), 77000) + 1,
                 ${committee}, 'F3', '2024-01-15', ${step.cycle}::smallint, ${step.receipts}::numeric`;
    }
    case 'delete_filing':
      // Only a filing nobody amends can go (the FK): the newest or the oldest such.
      return sql`
        delete from public.fec_filings f
         where f.filing_id = (select x.filing_id from public.fec_filings x
                               where x.filing_id between 77000 and 77999
                                 and not exists (select 1 from public.fec_filings a where a.amends_filing_id = x.filing_id)
                               order by case when ${step.newest} then -x.filing_id else x.filing_id end limit 1)`;
    case 'retention':
      return sql`select count(*) from public.run_retention(now() + make_interval(months => ${step.monthsAhead}::int))`;
    case 'erase':
      return sql`select public.erase_user_data(${users[step.user]!}::uuid)`;
  }
}

const world: readonly SQLQuery[] = [
  sql`insert into auth.users (id, email) select u, 'prop-' || right(u::text, 2) || '@example.test' from unnest(${[...users]}::uuid[]) u`,
  sql`insert into public.analytics_sessions (session_id, user_id, started_at) values
        (${sessions[0].id}, ${sessions[0].user}::uuid, now() - interval '3 days'),
        (${sessions[1].id}, ${sessions[1].user}::uuid, now() - interval '400 days'),
        (${sessions[2].id}, ${sessions[2].user}::uuid, now() - interval '1 day'),
        (${sessions[3].id}, null, now() - interval '20 days')`,
  sql`insert into public.fec_committees (committee_id, committee_name) values (${committees[0]}, 'PROP ONE'), (${committees[1]}, 'PROP TWO')`,
];

class Rollback extends Error {}

/** Apply a history in a transaction that is always rolled back; return the drift it leaves. */
async function driftAfter(db: ConnectionPool, steps: readonly Operation[]): Promise<readonly Record<string, unknown>[]> {
  let found: readonly Record<string, unknown>[] = [];
  try {
    await db.tx(async (tx) => {
      for (const query of world) await tx.query(query);
      for (const step of steps) await tx.query(statement(step));
      found = await tx.query(drift);
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
  return found;
}

const property = (db: ConnectionPool) =>
  fc.asyncProperty(history, async (steps) => {
    const found = await driftAfter(db, steps);
    if (found.length > 0) throw new Error(`rollups differ from the raw rows: ${JSON.stringify(found.slice(0, 5))}`);
  });

const maintenanceTriggers = ['analytics_events', 'analytics_sessions', 'analytics_page_views', 'fec_filings'].flatMap((table) =>
  ['insert', 'update', 'delete'].map((op) => ({ table, trigger: `${table}_rollup_${op}` })),
);

describe('rollups equal the aggregate of the raw rows', () => {
  let maintained: FreshDatabase;
  let disabled: FreshDatabase;

  beforeAll(async () => {
    maintained = await freshDatabase({ purpose: 'rollups' });
    disabled = await freshDatabase({ purpose: 'rollups_off' });
    for (const { table, trigger } of maintenanceTriggers) {
      await disabled.db.query(sql`alter table ${sql.ident('public', table)} disable trigger ${sql.ident(trigger)}`);
    }
  });
  afterAll(async () => {
    await maintained?.drop();
    await disabled?.drop();
  });

  it('after random inserts, late rows, moves, deletes, amendments, retention and erasure', async () => {
    await fc.assert(property(maintained.db), { numRuns: 60, seed: 17 });
  });

  it('a fixed history touching every rollup leaves no drift, and the rollups are not empty', async () => {
    const steps: Operation[] = [
      { op: 'events', session: 0, type: 0, daysAgo: 2, rows: 3 },
      { op: 'events', session: 3, type: 1, daysAgo: 420, rows: 2 },
      { op: 'page_views', session: 0, path: 2, daysAgo: 2, rows: 2 },
      { op: 'events', session: 2, type: 1, daysAgo: 5, rows: 2 },
      { op: 'page_views', session: 3, path: 0, daysAgo: 1, rows: 1 },
      { op: 'filing', committee: 0, cycle: 2024, receipts: 100, amendsLatest: false },
      { op: 'filing', committee: 0, cycle: 2024, receipts: 40, amendsLatest: true },
      { op: 'move_events', from: 0, to: 2, days: -1 },
      { op: 'retention', monthsAhead: 0 },
      { op: 'erase', user: 0 },
    ];
    expect(await driftAfter(maintained.db, steps)).toEqual([]);
    // The same history with the maintenance off drifts in every rollup.
    const rollups = new Set((await driftAfter(disabled.db, steps)).map((row) => row.rollup));
    expect([...rollups].sort(), JSON.stringify(await driftAfter(disabled.db, steps))).toEqual([
      'analytics_daily_event_counts',
      'analytics_daily_page_views',
      'analytics_daily_session_counts',
      'fec_committee_cycle_totals',
      'fec_filings.is_latest',
    ]);
  });

  it('fails, with a counterexample, when the maintenance triggers are disabled', async () => {
    const result = await fc.check(property(disabled.db), { numRuns: 60, seed: 17 });
    expect(result.failed).toBe(true);
    expect(result.counterexample).not.toBeNull();
    const [steps] = result.counterexample!;
    expect((await driftAfter(disabled.db, steps)).length).toBeGreaterThan(0);
  });
});
