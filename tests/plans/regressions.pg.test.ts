/**
 * The plan gates are deterministic and still catch real regressions. On
 * small-scale data (one generated template, a clone per case), each case is
 * measured twice and must give the same verdict with the same work both
 * times:
 *   - the unchanged schema passes, and matches its own baseline;
 *   - a dropped index fails the query (expected index not used) and the
 *     baseline (lost index);
 *   - a non-sargable rewrite that reads ~5× the pages through the same index
 *     passes the plan check but fails the baseline (more work);
 *   - an RLS helper evaluated per row — private.is_admin() not wrapped in
 *     (select …), or auth.uid() unwrapped (inlined by the planner, so only
 *     the filter's per-row calls show it) — fails the RLS work gate.
 * No timing is asserted or gated.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolve } from 'node:path';
import { sql } from '@databases/pg';
import { resolveSettings } from '../../src/config/index.ts';
import { generateData, loadRecipe, type Recipe } from '../../src/datagen/index.ts';
import { createTemplate, templateHandle, type Template } from '../../src/postgres/index.ts';
import { compareToBaseline, loadCatalogue, runCatalogue, selectQueries, type Baseline, type Catalogue, type CatalogueRun, type QueryBenchResult } from '../../src/plans/index.ts';
import { testServer } from '../helpers/pg.ts';

const file = resolve(import.meta.dirname, 'catalogue.json');
// q03 and q06 as they read the raw history before the rollups (sql/00014):
// scans with volume and an RLS policy per row, so a non-sargable rewrite or
// an unwrapped helper is measurable at small scale. The catalogue now reads
// the rollups; the gates under test are the same.
const catalogue = withQueries(loadCatalogue(file), {
  q03: {
    sql: "select date_trunc('day', occurred_at) as day, count(*) as events from public.analytics_events where event_type = :event_type and occurred_at >= now() - interval '30 days' group by 1 order by 1",
    expectedIndexes: ['analytics_events_event_type_occurred_at_idx'],
  },
  q06: {
    sql: "select date_trunc('day', started_at) as day, round(avg(case when is_bounce then 1 else 0 end), 4) as bounce_rate, count(*) as sessions from public.analytics_sessions where started_at >= now() - interval '30 days' group by 1 order by 1",
    expectedIndexes: ['analytics_sessions_started_at_idx'],
  },
});

function withQueries(base: Catalogue, replaced: Readonly<Record<string, { sql: string; expectedIndexes: string[] }>>): Catalogue {
  return { ...base, queries: base.queries.map((query) => (replaced[query.id] ? { ...query, ...replaced[query.id] } : query)) };
}
const gates = resolveSettings({}, process.cwd(), null).bench.gates;
const ids = ['q01', 'q03', 'q04', 'q05', 'q06', 'q15'];

let data: Template;
let baseline: Baseline;
let unchanged: [CatalogueRun, CatalogueRun];

/** Two runs of `queryIds` on a fresh clone of the data, after `change` (DDL on the clone). */
async function twice(queryIds: readonly string[], change?: string, using: Catalogue = catalogue): Promise<[CatalogueRun, CatalogueRun]> {
  const clone = await data.clone('regression');
  const db = clone.connect();
  try {
    if (change) await db.query(sql.__dangerous__rawValue(change));
    const options = { runs: 20, warmup: 0, gates, file, timings: false, scale: 'small' as const, connect: () => clone.connect({ poolSize: 1 }) };
    const first = await runCatalogue(db, using, selectQueries(using, queryIds), options);
    const second = await runCatalogue(db, using, selectQueries(using, queryIds), options);
    return [first, second];
  } finally {
    await db.dispose();
    await clone.drop();
  }
}

function byId(run: CatalogueRun, id: string): QueryBenchResult {
  const found = run.queries.find((query) => query.id === id);
  if (!found) throw new Error(`${id} did not run`);
  return found;
}

/** The verdict-relevant part of a result: identical on every run. */
function verdict(result: QueryBenchResult) {
  return { passed: result.passed, failures: result.failures, work: result.work, bypassWork: result.bypassWork, indexes: result.planNodes.indexes };
}

describe('deterministic plan gates', () => {
  beforeAll(async () => {
    const server = testServer();
    data = await createTemplate(
      server,
      'bench_data',
      async (db) => {
        await generateData(db, { recipe: loadRecipe(resolve(import.meta.dirname, '../data/recipe.json')) as Recipe, scale: 'small', seed: 11 });
      },
      { from: templateHandle(server, inject('pg').template) },
    );
    unchanged = await twice(ids);
    baseline = { version: 2, queries: unchanged[0].queries };
  });
  afterAll(async () => {
    await data?.drop();
  });

  it('the unchanged schema passes every gate, with the same work on every run, and matches its own baseline', async () => {
    const [first, second] = unchanged;
    for (const id of ids) {
      expect(verdict(byId(first, id)), id).toEqual(verdict(byId(second, id)));
      expect(byId(first, id).failures, id).toEqual([]);
      expect(byId(first, id).work?.buffers, id).toBeGreaterThan(0);
    }
    expect(compareToBaseline(second.queries, baseline, gates, 'baseline.json').findings).toEqual([]);
  });

  it('a dropped index fails the query and the baseline, on every run', async () => {
    const runs = await twice(['q01'], 'drop index public.analytics_events_user_id_occurred_at_idx');
    for (const run of runs) {
      const q01 = byId(run, 'q01');
      expect(q01.passed).toBe(false);
      expect(q01.expectedIndexMissing).toEqual(['analytics_events_user_id_occurred_at_idx']);
      const findings = compareToBaseline(run.queries, baseline, gates, 'baseline.json').findings;
      expect(findings.filter((finding) => finding.kind === 'lost_index').map((finding) => finding.queryId)).toEqual(['q01']);
    }
    expect(verdict(byId(runs[0], 'q01'))).toEqual(verdict(byId(runs[1], 'q01')));
  });

  it('a non-sargable rewrite reading several times the pages through the same index fails the baseline on work, on every run', async () => {
    const rewritten = structuredClone(catalogue);
    const q03 = rewritten.queries.find((query) => query.id === 'q03') as { sql: string };
    q03.sql = q03.sql.replace("occurred_at >= now() - interval '30 days'", 'occurred_at::date >= current_date - 30');
    expect(q03.sql).toContain('occurred_at::date');
    const runs = await twice(['q03'], undefined, rewritten);
    const before = baseline.queries.find((query) => query.id === 'q03');
    for (const run of runs) {
      const now = byId(run, 'q03');
      // Same index, so the plan check alone would let it through ...
      expect(now.planNodes.indexes).toContain('analytics_events_event_type_occurred_at_idx');
      expect(now.expectedIndexMissing).toEqual([]);
      // ... the work does not.
      expect(now.work!.buffers).toBeGreaterThanOrEqual(3 * before!.work!.buffers);
      const findings = compareToBaseline(run.queries, baseline, gates, 'baseline.json').findings;
      expect(findings.map((finding) => finding.kind)).toContain('more_work');
    }
    expect(verdict(byId(runs[0], 'q03'))).toEqual(verdict(byId(runs[1], 'q03')));
  });

  it('an RLS helper called per row (private.is_admin() unwrapped) fails the RLS work gate on every run, while the buffers stay the same', async () => {
    const runs = await twice(['q03'], 'alter policy analytics_events_select_authenticated on public.analytics_events using (user_id = (select auth.uid()) or private.is_admin())');
    const before = baseline.queries.find((query) => query.id === 'q03');
    for (const run of runs) {
      const q03 = byId(run, 'q03');
      expect(q03.passed).toBe(false);
      expect(q03.failures.join(' ')).toMatch(/RLS work ratio .* per row/);
      expect(q03.work!.buffers).toBe(before!.work!.buffers);
      expect(q03.work!.functionCalls).toBeGreaterThan(100);
    }
    expect(verdict(byId(runs[0], 'q03'))).toEqual(verdict(byId(runs[1], 'q03')));
  });

  it('auth.uid() unwrapped, which the planner inlines so no function counter sees it, fails the RLS work gate through its per-row filter calls', async () => {
    const runs = await twice(['q06'], 'alter policy analytics_sessions_select_authenticated on public.analytics_sessions using (user_id = auth.uid() or (select private.is_admin()))');
    for (const run of runs) {
      const q06 = byId(run, 'q06');
      expect(q06.passed).toBe(false);
      expect(q06.failures.join(' ')).toMatch(/RLS work ratio/);
      expect(q06.work!.filterCalls).toBeGreaterThan(q06.bypassWork!.filterCalls + gates.rlsFloorWork);
    }
    expect(verdict(byId(runs[0], 'q06'))).toEqual(verdict(byId(runs[1], 'q06')));
  });
});
