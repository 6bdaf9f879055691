/**
 * A dropped index is caught as a plan regression against a saved baseline:
 * run, save the report, drop the index, run again -> the comparison fails,
 * naming the query and the index it lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from '@databases/pg';
import { generateData, loadRecipe, type Recipe } from '../../src/datagen/index.ts';
import { compareToBaseline, loadCatalogue, readBaseline, runCatalogue, selectQueries } from '../../src/plans/index.ts';
import { freshDatabase, type FreshDatabase } from '../helpers/pg.ts';

const gates = { p95Ms: 10, aggregateP95Ms: 100, rlsRatio: 1.2, rlsFloorMs: 0.5, slowdownFactor: 2, seqScanRowLimit: 10_000, timingsGate: false };
const queries = selectQueries(loadCatalogue(resolve(import.meta.dirname, 'catalogue.json')), ['q01', 'q05', 'q14']);
// Plan shapes only (see catalogue.pg.test.ts for why seq scans are priced out at small scale).
const options = { runs: 20, warmup: 0, gates, timings: false, plannerSettings: { enable_seqscan: 'off' } } as const;

describe('baseline regression check', () => {
  let database: FreshDatabase;
  let baselineFile: string;

  beforeAll(async () => {
    database = await freshDatabase({ purpose: 'baseline' });
    const recipe = loadRecipe(resolve(import.meta.dirname, '../data/recipe.json')) as Recipe;
    await generateData(database.db, { recipe, scale: 'small', seed: 11, rows: { 'public.analytics_events': 2_000, 'public.analytics_page_views': 500, 'public.privacy_audit_logs': 0, 'fec reports': 77 } });
    const first = await runCatalogue(database.db, queries, options);
    baselineFile = join(mkdtempSync(join(tmpdir(), 'sp-baseline-')), 'bench.json');
    writeFileSync(baselineFile, JSON.stringify({ version: 1, queries: first.queries }));
  });
  afterAll(async () => {
    await database.drop();
  });

  it('an unchanged schema matches its baseline', async () => {
    const again = await runCatalogue(database.db, queries, options);
    expect(compareToBaseline(again.queries, readBaseline(baselineFile), gates, baselineFile).findings).toEqual([]);
  });

  it('dropping analytics_events_user_id_occurred_at_idx fails q01 with the lost index named', async () => {
    await database.db.query(sql`drop index public.analytics_events_user_id_occurred_at_idx`);
    const after = await runCatalogue(database.db, queries, options);
    const comparison = compareToBaseline(after.queries, readBaseline(baselineFile), gates, baselineFile);
    expect(comparison.passed).toBe(false);
    const lost = comparison.findings.filter((finding) => finding.kind === 'lost_index');
    const q01Lost = lost.filter((finding) => finding.queryId === 'q01');
    expect(q01Lost).toHaveLength(1);
    expect(q01Lost[0]?.detail).toContain('analytics_events_user_id_occurred_at_idx');
    const q01 = after.queries.find((query) => query.id === 'q01');
    expect(q01?.expectedIndexMissing).toEqual(['analytics_events_user_id_occurred_at_idx']);
    expect(q01?.passed).toBe(false);
  });

  it('a baseline that is not a bench report is baseline_invalid', () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'sp-baseline-')), 'bad.json');
    writeFileSync(bad, JSON.stringify({ version: 1, queries: [{ id: 'q01' }] }));
    expect(() => readBaseline(bad)).toThrowError(expect.objectContaining({ detail: expect.objectContaining({ code: 'baseline_invalid' }) }));
  });
});
