/**
 * The benchmark runs another project's catalogue with no harness change: a
 * fixture project (schema `work`, a membership helper in its policies, its
 * own actor and values) is migrated, seeded, and benched; its per-row
 * variant of the policy fails the RLS work gate. (Before the catalogue
 * became data this died with `schema "private" does not exist`.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { sql } from '@databases/pg';
import { resolveSettings } from '../../src/config/index.ts';
import { buildMigratedTemplate } from '../../src/workspace/index.ts';
import { createTemplate, type Template } from '../../src/postgres/index.ts';
import { loadCatalogue, runCatalogue, type CatalogueRun } from '../../src/plans/index.ts';
import { testServer } from '../helpers/pg.ts';

const project = resolve(import.meta.dirname, 'fixtures/tasks');
const file = resolve(project, 'catalogue.json');
const catalogue = loadCatalogue(file);
const gates = resolveSettings({}, project, null).bench.gates;

let migrated: Template;
let seeded: Template;

async function bench(change?: string): Promise<CatalogueRun> {
  const clone = await seeded.clone('tasks_bench');
  const db = clone.connect();
  try {
    if (change) await db.query(sql.__dangerous__rawValue(change));
    return await runCatalogue(db, catalogue, catalogue.queries, { runs: 20, warmup: 0, gates, file, timings: false, connect: () => clone.connect({ poolSize: 1 }) });
  } finally {
    await db.dispose();
    await clone.drop();
  }
}

describe('another project benches with no harness change', () => {
  beforeAll(async () => {
    const server = testServer();
    ({ template: migrated } = await buildMigratedTemplate(server, { sqlDir: resolve(project, 'sql'), policiesDir: resolve(project, 'policies'), root: project }, 'tasks'));
    seeded = await createTemplate(
      server,
      'tasks_seeded',
      async (db) => {
        await db.query(sql.__dangerous__rawValue(readFileSync(resolve(project, 'seed.sql'), 'utf8')));
      },
      { from: migrated },
    );
  });
  afterAll(async () => {
    await seeded?.drop();
    await migrated?.drop();
  });

  it('resolves its values and actor from its own data and passes every gate', async () => {
    const run = await bench();
    expect(run.actors.member?.role).toBe('authenticated');
    expect(run.actors.member?.claims?.sub).toBe(run.values.busiest_member);
    expect(run.queries.map((query) => [query.id, query.area, query.failures])).toEqual([
      ['t1', 'planning board', []],
      ['t2', 'ops', []],
    ]);
    expect(run.queries[0]?.planNodes.indexes).toEqual(['tasks_team_id_due_on_idx']);
    expect(run.queries[1]?.params).toEqual({ team: '7' });
    // Once per statement, not per row: my_teams() once, and auth.uid() inside it twice (the planner evaluates the stable call to estimate the index condition, then the executor runs it).
    expect(run.queries[0]?.work?.functionCalls).toBeLessThanOrEqual(3);
  });

  it('its membership helper called per row fails the RLS work gate', async () => {
    const run = await bench('alter policy tasks_select_member on work.tasks using (work.my_teams() @> array[team_id])');
    const t1 = run.queries.find((query) => query.id === 't1');
    expect(t1?.passed).toBe(false);
    expect(t1?.failures.join(' ')).toMatch(/RLS work ratio .* per row/);
  });
});
