/**
 * The scenario of issue 16: a new user-owned table whose SELECT policy is
 * `using (true)`, listed in the spec as "own" for users. The engine builds
 * its rows from the catalog (no code knows the table), so the leak is found:
 * the failure names the table, the actor and a leaked row, with a replay.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from '@databases/pg';
import { createTemplate, templateHandle, type Template } from '../../src/postgres/index.ts';
import { defaultRlsSeed, parseAccessSpec, runRls, type AccessSpec } from '../../src/rls/index.ts';
import { testServer } from '../helpers/pg.ts';

const own = { select: 'own', insert: 'own', update: 'own', delete: 'own' };
const none = { select: 'none', insert: 'none', update: 'none', delete: 'none' };
const all = { select: 'all', insert: 'all', update: 'all', delete: 'all' };

describe('a new user-owned table with a SELECT policy using (true)', () => {
  let template: Template;
  beforeAll(async () => {
    const server = testServer();
    template = await createTemplate(
      server,
      'rls_new_table',
      async (db) => {
        await db.query(sql`
        create table public.notes (
          id uuid primary key default gen_random_uuid(),
          user_id uuid not null references auth.users (id) on delete cascade,
          body text not null check (char_length(body) between 1 and 500),
          created_at timestamptz not null default now()
        );
        create index notes_user_id_idx on public.notes (user_id);
        alter table public.notes enable row level security;
        alter table public.notes force row level security;
        revoke all on public.notes from public, anon, authenticated, service_role;
        grant select, insert, update, delete on public.notes to authenticated, service_role;
        create policy notes_select on public.notes for select to authenticated using (true);
        create policy notes_write on public.notes for all to authenticated using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
      `);
      },
      { from: templateHandle(server, inject('pg').template) },
    );
  });
  afterAll(async () => {
    await template?.drop();
  });

  const specWithNotes = (): AccessSpec => {
    const raw = JSON.parse(readFileSync(resolve(import.meta.dirname, '../access/access-spec.json'), 'utf8'));
    raw.relations.notes = { kind: 'table', ownerColumn: 'user_id', rules: { anon: none, user: own, admin: own, service: all } };
    return parseAccessSpec(raw);
  };

  it('fails rls, naming the table, the actor and a leaked row, with a replay command', async () => {
    const spec = specWithNotes();
    const result = await runRls({ server: testServer(), template: template.name, spec, runs: 5, seed: 3, properties: ['coverage', 'visibility'] });
    expect(result.passed).toBe(false);
    const visibility = result.properties.find((property) => property.name === 'visibility')!;
    const violation = visibility.counterexample!.violation!;
    expect(violation.relation).toBe('notes');
    expect(violation.actorKind).toMatch(/^(user|admin)$/);
    expect(violation.problem).toMatch(/^leak: \d+ row\(s\) the spec forbids are visible/);
    const leaked = violation.observedIds!.filter((id) => !violation.expectedIds!.includes(id));
    expect(leaked.length).toBeGreaterThan(0);
    expect(visibility.counterexample!.rendered).toContain(leaked[0]!.slice(-8));
    expect(visibility.counterexample!.worldSql).toContain('insert into "public"."notes"');
    expect(visibility.replay).toBe(`schemaproof rls --property visibility --seed ${visibility.seed} --path ${visibility.path}`);
    expect(result.observedMatrix.some((cell) => cell.relation === 'notes' && cell.operation === 'select' && !cell.agrees)).toBe(true);
  }, 900_000);

  it('gives the same verdict on every run without --seed: the default seed is fixed and recorded', async () => {
    const spec = specWithNotes();
    const verdicts = [];
    for (let run = 0; run < 2; run += 1) {
      const result = await runRls({ server: testServer(), template: template.name, spec, runs: 5, properties: ['visibility'] });
      const visibility = result.properties[0]!;
      const violation = visibility.counterexample?.violation;
      expect(result.seed).toBe(defaultRlsSeed);
      verdicts.push({ passed: result.passed, seed: visibility.seed, path: visibility.path, cases: result.cases, relation: violation?.relation, actor: violation?.actor, variant: violation?.variant });
    }
    expect(verdicts[0]!.passed).toBe(false);
    expect(verdicts[1]).toEqual(verdicts[0]);
  }, 900_000);
});
