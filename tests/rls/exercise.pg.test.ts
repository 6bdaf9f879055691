/**
 * No verdict without the work behind it: a relation no world has rows of, an
 * operation no case tried, a rule never seen both allowing and refusing, and
 * a spec naming a relation the database lacks are each reported, never a
 * silent pass. Runs on the todo fixture project.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSchemaproofError, exitCodeFor } from '../../src/errors/index.ts';
import { parseAccessSpec, runRls } from '../../src/rls/index.ts';
import { testServer } from '../helpers/pg.ts';
import { fixtureProject, projectsDir, type FixtureProject } from './projects/fixture.ts';

const rawSpec = () => JSON.parse(readFileSync(resolve(projectsDir, 'todo/tests/access/access-spec.json'), 'utf8'));
const own = { select: 'own', insert: 'own', update: 'own', delete: 'own' };
const none = { select: 'none', insert: 'none', update: 'none', delete: 'none' };
const all = { select: 'all', insert: 'all', update: 'all', delete: 'all' };

describe('coverage of what a run exercised', () => {
  let project: FixtureProject;
  beforeAll(async () => {
    project = await fixtureProject('todo');
  });
  afterAll(async () => {
    await project?.drop();
  });

  it('a rule that never refused (or never allowed) in the run fails coverage, naming the rule and the side', async () => {
    const raw = rawSpec();
    // Always false for anon (no user id): it agrees with the policies, but its allowing side is never tested.
    raw.relations.todo_lists.rules.anon.select = { where: 'row.owner_id = auth.uid()' };
    const result = await runRls({ server: testServer(), template: project.template.name, spec: parseAccessSpec(raw), runs: 3, seed: 8 });
    const coverage = result.properties.find((property) => property.name === 'coverage')!;
    expect(coverage.passed).toBe(false);
    expect(coverage.counterexample!.coverage).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'rule_unexercised', object: 'public.todo_lists', detail: expect.stringMatching(/^anon SELECT .*never allowed/) })]),
    );
    // Every other property held: only the evidence was missing.
    expect(result.properties.filter((property) => !property.passed).map((property) => property.name)).toEqual(['coverage']);
  });

  it('a relation no row can be built for fails coverage with the reason; a hint in the spec fixes it', async () => {
    const shaped = await project.withChange(
      'todo_shapes',
      `
      create table public.shapes (
        id uuid primary key default gen_random_uuid(),
        owner_id uuid not null references auth.users (id) on delete cascade,
        outline point not null
      );
      alter table public.shapes enable row level security;
      alter table public.shapes force row level security;
      revoke all on public.shapes from public, anon, authenticated, service_role;
      grant select, insert, update, delete on public.shapes to authenticated, service_role;
      create policy shapes_own on public.shapes for all to authenticated using (owner_id = (select auth.uid())) with check (owner_id = (select auth.uid()));`,
    );
    const raw = rawSpec();
    raw.relations.shapes = { kind: 'table', ownerColumn: 'owner_id', rules: { anon: none, user: own, service: all } };
    const without = await runRls({ server: testServer(), template: shaped.name, spec: parseAccessSpec(raw), runs: 2, seed: 8 });
    const findings = without.properties.find((property) => property.name === 'coverage')!.counterexample!.coverage!;
    expect(findings).toEqual([expect.objectContaining({ kind: 'no_rows', object: 'public.shapes', detail: expect.stringContaining('outline') })]);
    expect(without.rowNotes.shapes?.join(' ')).toMatch(/hint/);

    raw.relations.shapes.hints = { columns: { outline: { sql: 'point(1, 2)' } } };
    const hinted = await runRls({ server: testServer(), template: shaped.name, spec: parseAccessSpec(raw), runs: 3, seed: 8 });
    expect(hinted.properties.filter((property) => !property.passed).map((property) => property.counterexample?.rendered ?? property.error)).toEqual([]);
    expect(hinted.observedMatrix.some((cell) => cell.relation === 'shapes' && cell.operation === 'update' && (cell.observed.own ?? []).some((outcome) => outcome.endsWith('allowed')))).toBe(true);
  });

  it('a spec naming a relation the database lacks is invalid input (exit 6), not a failed check', async () => {
    const raw = rawSpec();
    raw.relations.no_such_table = { kind: 'table', ownerColumn: null, rules: { anon: none, user: none, service: all } };
    let caught: unknown;
    try {
      await runRls({ server: testServer(), template: project.template.name, spec: parseAccessSpec(raw), specFile: 'spec.json', runs: 1, seed: 1 });
    } catch (error) {
      caught = error;
    }
    expect(isSchemaproofError(caught) && caught.detail.code).toBe('access_spec_invalid');
    expect(isSchemaproofError(caught) && exitCodeFor(caught.detail)).toBe(6);
    expect(isSchemaproofError(caught) && caught.detail.code === 'access_spec_invalid' && caught.detail.problems).toEqual(['relations.no_such_table: no relation public.no_such_table in the database']);
  });

  it('a where rule that is not valid SQL over its relation is invalid input too', async () => {
    const raw = rawSpec();
    raw.relations.todos.rules.user.select = { where: 'row.no_such_column = auth.uid()' };
    await expect(runRls({ server: testServer(), template: project.template.name, spec: parseAccessSpec(raw), runs: 1, seed: 1 })).rejects.toMatchObject({ detail: { code: 'access_spec_invalid' } });
  });
});
