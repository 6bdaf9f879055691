/**
 * Every catalogue query at `small` scale, run as its production actor, is
 * served by the index the catalogue expects.
 *
 * Why enable_seqscan = off: at small scale most tables hold a few hundred to
 * a few thousand rows, where a seq scan is the planner's right choice, so the
 * default plan says nothing about indexing. With seq scans priced out the
 * planner picks an index whenever one can serve the query *under the actor's
 * RLS quals* (a qual that RLS keeps out of the index — a non-LEAKPROOF
 * operator — still forces a full scan). The medium-scale bench then checks
 * what the planner really chooses at volume (no settings changed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { generateData, loadRecipe, type Recipe } from '../../src/datagen/index.ts';
import { expectedIndexesAt, loadCatalogue, runCatalogue, type CatalogueQuery, type CatalogueRun } from '../../src/plans/index.ts';
import { freshDatabase, type FreshDatabase } from '../helpers/pg.ts';

const gates = { p95Ms: 10, aggregateP95Ms: 100, rlsRatio: 1.2, rlsFloorMs: 0.5, slowdownFactor: 2, seqScanRowLimit: 10_000, timingsGate: true };
const catalogue = loadCatalogue(resolve(import.meta.dirname, 'catalogue.json'));

describe('catalogue plans at small scale', () => {
  let database: FreshDatabase;
  let run: CatalogueRun;

  beforeAll(async () => {
    database = await freshDatabase({ purpose: 'plans' });
    await generateData(database.db, { recipe: loadRecipe(resolve(import.meta.dirname, '../data/recipe.json')) as Recipe, scale: 'small', seed: 7 });
    run = await runCatalogue(database.db, catalogue.queries, { runs: 20, warmup: 0, gates, timings: false, scale: 'small', plannerSettings: { enable_seqscan: 'off' } });
  });
  afterAll(async () => {
    await database.drop();
  });

  it('picks real parameters from the generated data and a real heavy user', () => {
    expect(run.actors.heavyUserId).toMatch(/^[0-9a-f-]{36}$/);
    for (const [name, value] of Object.entries(run.picked)) expect(value, name).not.toBeNull();
  });

  for (const query of catalogue.queries) {
    const expected = expectedIndexesAt(query, 'small');
    it(`${query.id} ${query.title} (as ${query.actor}) uses ${expected.join(' + ')}`, () => {
      const result = run.queries.find((entry) => entry.id === query.id);
      expect(result, query.id).toBeDefined();
      for (const index of expected) expect(result?.planNodes.indexes, `${query.id}: ${result?.failures.join('; ')} (nodes: ${result?.planNodes.nodeTypes.join(' > ')}; seq scans: ${JSON.stringify(result?.seqScans)})`).toContain(index);
      expect(result?.seqScans.filter((scan) => scan.rows > gates.seqScanRowLimit)).toEqual([]);
      expect(result?.failures).toEqual([]);
    });
  }

  it('why q04 goes through a SECURITY DEFINER function: through the admin policy, jsonb @> (not leakproof) cannot use the GIN index', async () => {
    const q04 = catalogue.queries.find((query) => query.id === 'q04') as CatalogueQuery;
    const direct: CatalogueQuery = { ...q04, sql: q04.plan?.sql ?? q04.sql, plan: undefined };
    const underRls = await runCatalogue(database.db, [direct], { runs: 20, warmup: 0, gates, timings: false, plannerSettings: { enable_seqscan: 'off' } });
    expect(underRls.queries[0]?.planNodes.indexes).not.toContain('analytics_events_event_data_idx');
    const bypass = await runCatalogue(database.db, [{ ...direct, actor: 'service' }], { runs: 20, warmup: 0, gates, timings: false, plannerSettings: { enable_seqscan: 'off' } });
    expect(bypass.queries[0]?.planNodes.indexes).toContain('analytics_events_event_data_idx');
  });
});
