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
import { resolveSettings } from '../../src/config/index.ts';
import { expectedIndexesAt, loadCatalogue, runCatalogue, type CatalogueQuery, type CatalogueRun } from '../../src/plans/index.ts';
import { freshDatabase, testServer, type FreshDatabase } from '../helpers/pg.ts';

const gates = resolveSettings({}, process.cwd(), null).bench.gates;
const file = resolve(import.meta.dirname, 'catalogue.json');
const catalogue = loadCatalogue(file);

describe('catalogue plans at small scale', () => {
  let database: FreshDatabase;
  let run: CatalogueRun;

  beforeAll(async () => {
    database = await freshDatabase({ purpose: 'plans' });
    await generateData(database.db, { recipe: loadRecipe(resolve(import.meta.dirname, '../data/recipe.json')) as Recipe, scale: 'small', seed: 7 });
    run = await runCatalogue(database.db, catalogue, catalogue.queries, {
      runs: 20,
      warmup: 0,
      gates,
      file,
      timings: false,
      scale: 'small',
      plannerSettings: { enable_seqscan: 'off' },
      connect: () => testServer().connect(database.name, { poolSize: 1 }),
    });
  });
  afterAll(async () => {
    await database.drop();
  });

  it('resolves every value from the generated data, and the actors from the catalogue', () => {
    expect(run.actors.user?.claims?.sub).toMatch(/^[0-9a-f-]{36}$/);
    expect(run.actors.user?.claims?.sub).toBe(run.values.heavy_user);
    expect(run.actors.admin?.claims).toMatchObject({ role: 'authenticated', app_metadata: { role: 'admin' } });
    expect(run.actors.service).toEqual({ name: 'service', role: 'service_role', claims: { role: 'service_role' } });
    expect(Object.keys(run.values).sort()).toEqual(Object.keys(catalogue.values).sort());
    for (const [name, value] of Object.entries(run.values)) expect(value, name).not.toBeNull();
    expect(run.functionCallsCounted).toBe(true);
  });

  for (const query of catalogue.queries) {
    const expected = expectedIndexesAt(query, 'small');
    it(`${query.id} ${query.title} (as ${query.actor}) uses ${expected.join(' + ')}`, () => {
      const result = run.queries.find((entry) => entry.id === query.id);
      expect(result, query.id).toBeDefined();
      for (const index of expected)
        expect(result?.planNodes.indexes, `${query.id}: ${result?.failures.join('; ')} (nodes: ${result?.planNodes.nodeTypes.join(' > ')}; seq scans: ${JSON.stringify(result?.seqScans)})`).toContain(
          index,
        );
      expect(result?.seqScans.filter((scan) => scan.rows > gates.seqScanRowLimit)).toEqual([]);
      expect(result?.failures).toEqual([]);
    });
  }

  it('why q04 goes through a SECURITY DEFINER function: through the admin policy, jsonb @> (not leakproof) cannot use the GIN index', async () => {
    const q04 = catalogue.queries.find((query) => query.id === 'q04') as CatalogueQuery;
    const direct: CatalogueQuery = { ...q04, sql: q04.plan?.sql ?? q04.sql, plan: undefined };
    const options = { runs: 20, warmup: 0, gates, file, timings: false, plannerSettings: { enable_seqscan: 'off' } } as const;
    const underRls = await runCatalogue(database.db, catalogue, [direct], options);
    expect(underRls.queries[0]?.planNodes.indexes).not.toContain('analytics_events_event_data_idx');
    const bypass = await runCatalogue(database.db, catalogue, [{ ...direct, actor: 'service' }], options);
    expect(bypass.queries[0]?.planNodes.indexes).toContain('analytics_events_event_data_idx');
  });
});
