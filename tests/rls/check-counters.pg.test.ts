/**
 * A unique integer column gets a fresh counter value per row, unless a CHECK
 * on the column refuses the counter's values: then it draws values the
 * server accepted, and worlds still load. A table of this project (the
 * committee totals' election_cycle: even years from 1976, part of a unique
 * key) needs no hint for it.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from '@databases/pg';
import { learnRows, loadAccessSpec, runRls } from '../../src/rls/index.ts';
import { freshDatabase, testServer, type FreshDatabase } from '../helpers/pg.ts';

const spec = loadAccessSpec(resolve(import.meta.dirname, '../access/access-spec.json'));

describe('counters and CHECK constraints', () => {
  let fresh: FreshDatabase;
  beforeAll(async () => {
    fresh = await freshDatabase({ purpose: 'rls_check_counters' });
  });
  afterAll(async () => {
    await fresh?.drop();
  });

  it('a unique column whose CHECK refuses the counter takes accepted values; one without keeps its counter', async () => {
    const model = await learnRows(fresh.db, spec, { seed: 42 });
    const totals = [...model.recipes.values()].find((recipe) => recipe.relation === 'fec_committee_cycle_totals')!;
    expect(totals.slots.has('election_cycle')).toBe(false);
    const cycles = model.pools.acceptedValues(totals.model.qualified, 'election_cycle').map(Number);
    expect(cycles.length).toBeGreaterThan(0);
    for (const cycle of cycles) expect(cycle >= 1976 && cycle % 2 === 0).toBe(true);
    // A plain unique integer (no CHECK) still gets a fresh counter value per row.
    await fresh.db.query(sql`create table public.sp_plain_counter (id uuid primary key default gen_random_uuid(), n integer not null unique)`);
    const plainSpec = { ...spec, relations: { sp_plain_counter: { ...spec.relations.ingestion_cursors!, ownerColumn: null, hints: { columns: {}, sameOwner: [] } } } } as typeof spec;
    const plain = await learnRows(fresh.db, plainSpec, { seed: 42 });
    expect([...plain.recipes.values()].find((recipe) => recipe.relation === 'sp_plain_counter')?.slots.get('n')).toBe('counter');
  });

  it('the rollup gets INSERT cases for admin and service without a hint, and they agree with the spec', async () => {
    const result = await runRls({ server: testServer(), template: inject('pg').template, spec, runs: 3, seed: 42, properties: ['coverage', 'write_isolation'], focus: ['fec_committee_cycle_totals'] });
    expect(result.properties.every((property) => property.passed)).toBe(true);
    const inserts = result.observedMatrix.filter((cell) => cell.relation === 'fec_committee_cycle_totals' && cell.operation === 'insert' && (cell.actor === 'admin' || cell.actor === 'service'));
    expect(inserts.length).toBe(2);
    // Cases were built (rows for INSERT exist) and they agree with the spec (the rollup is written only by its triggers).
    for (const cell of inserts) expect(cell).toMatchObject({ agrees: true, cases: expect.any(Number) });
    for (const cell of inserts) expect(cell.cases).toBeGreaterThan(0);
  });
});
