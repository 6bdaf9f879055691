import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from '@databases/pg';
import { createTemplate, templateHandle, type Template } from '../../src/postgres/index.ts';
import { loadAccessSpec, runRls } from '../../src/rls/index.ts';
import { testServer } from '../helpers/pg.ts';

const spec = loadAccessSpec(resolve(import.meta.dirname, '../access/access-spec.json'));

describe('a deliberately broken policy', () => {
  let broken: Template;
  beforeAll(async () => {
    const server = testServer();
    // Users may read every data request (an extra permissive policy).
    broken = await createTemplate(
      server,
      'rls_broken',
      async (db) => {
        await db.query(sql`create policy sp_broken_open on public.privacy_data_requests as permissive for select to authenticated using (true)`);
      },
      { from: templateHandle(server, inject('pg').template) },
    );
  });
  afterAll(async () => {
    await broken?.drop();
  });

  it('yields a shrunk counterexample with a replay command, and replaying seed and path reproduces it', async () => {
    const first = await runRls({ server: testServer(), template: broken.name, spec, runs: 20, seed: 7, properties: ['visibility'], maxRowsPerTable: 3 });
    const failed = first.properties[0]!;
    expect(failed.passed).toBe(false);
    expect(failed.path).toBeDefined();
    expect(failed.replay).toBe(`schemaproof rls --property visibility --seed ${failed.seed} --path ${failed.path}`);
    const violation = failed.counterexample!.violation!;
    expect(violation.relation).toMatch(/^privacy_(data_requests|open_data_requests)$/);
    expect(violation.operation).toBe('select');
    expect(violation.problem).toMatch(/^leak:/);
    expect(violation.observedIds!.length).toBeGreaterThan(violation.expectedIds!.length);
    expect(failed.counterexample!.rendered).toContain(violation.sql);
    // Shrunk: the world that exposes it is small (the fewest people; each owns a request, plus at most two more).
    expect(failed.counterexample!.people.length).toBe(3);
    expect(failed.counterexample!.world.privacy_data_requests!.length).toBeLessThanOrEqual(failed.counterexample!.people.length + 2);
    expect(first.observedMatrix.some((cell) => !cell.agrees && cell.relation === violation.relation)).toBe(true);

    const replay = await runRls({ server: testServer(), template: broken.name, spec, runs: 20, seed: failed.seed, path: failed.path!, properties: ['visibility'], maxRowsPerTable: 3 });
    const again = replay.properties[0]!;
    expect(again.passed).toBe(false);
    expect(again.counterexample!.violation).toMatchObject({ relation: violation.relation, actor: violation.actor, operation: 'select', variant: violation.variant });
    expect(again.counterexample!.world.privacy_data_requests!.map((row) => row.owner)).toEqual(failed.counterexample!.world.privacy_data_requests!.map((row) => row.owner));
  });
});
