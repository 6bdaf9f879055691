/**
 * `init` on the todo fixture project, changed so that one table is owned
 * (its policy compares owner_id with auth.uid()), one is public for reading
 * although it has an owner column (SELECT policy `using (true)`), and one is
 * revoked from the API roles: the draft says what the database does.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { findNodeAtLocation, parseTree } from 'jsonc-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { draftAccessSpec, type InitResult } from '../../src/init/index.ts';
import { isSchemaproofError } from '../../src/errors/index.ts';
import type { Template } from '../../src/postgres/index.ts';
import { parseAccessSpec, runRls } from '../../src/rls/index.ts';
import { testServer } from '../helpers/pg.ts';
import { fixtureProject, projectsDir, type FixtureProject } from '../rls/projects/fixture.ts';

const noticesTable = `
create table public.notices (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references auth.users (id) on delete cascade,
  body text not null check (char_length(body) between 1 and 200)
);
alter table public.notices enable row level security;
alter table public.notices force row level security;
revoke all on table public.notices from public, anon, authenticated, service_role;
grant select on table public.notices to anon, authenticated;
grant select, insert, update, delete on table public.notices to service_role;
create policy notices_read on public.notices for select to anon, authenticated using (true);
`;

const revokeTodos = 'revoke all on table public.todos from anon, authenticated;';

/** The text of `relations.<name>` in a spec file, as it is written. */
function entryText(text: string, name: string): string {
  const node = findNodeAtLocation(parseTree(text)!, ['relations', name])!;
  return text.slice(node.offset, node.offset + node.length);
}

describe('schemaproof init: a draft spec of what the database does', () => {
  let project: FixtureProject;
  let changed: Template;
  let draft: InitResult;
  beforeAll(async () => {
    project = await fixtureProject('todo');
    changed = await project.withChange('init_', `${noticesTable}\n${revokeTodos}`);
    draft = await draftAccessSpec({ server: testServer(), template: changed.name, runs: 3, seed: 7 });
  }, 300_000);
  afterAll(async () => {
    await project?.drop();
  });

  it('drafts every reachable table with its guessed owner column and the observed rules, each unreviewed', () => {
    const spec = parseAccessSpec(JSON.parse(draft.text));
    expect(Object.keys(spec.relations).sort()).toEqual(['notices', 'todo_lists', 'todos']);
    expect(Object.values(spec.relations).map((relation) => relation.reviewed)).toEqual([false, false, false]);
    expect(spec.relations.todo_lists!.ownerColumn).toBe('owner_id');
    expect(spec.relations.notices!.ownerColumn).toBe('owner_id');
    // owner_id = auth.uid(): own, for every operation
    expect(spec.relations.todo_lists!.rules.user).toEqual({ select: 'own', insert: 'own', update: 'own', delete: 'own' });
    expect(spec.relations.todo_lists!.rules.anon).toEqual({ select: 'none', insert: 'none', update: 'none', delete: 'none' });
    // using (true) although there is an owner column: what IS, every row
    expect(spec.relations.notices!.rules.user!.select).toBe('all');
    expect(spec.relations.notices!.rules.anon!.select).toBe('all');
    expect(spec.relations.notices!.rules.user!.insert).toBe('none');
    // revoked from the API roles: nothing; the service role still everything
    expect(spec.relations.todos!.rules.user).toEqual({ select: 'none', insert: 'none', update: 'none', delete: 'none' });
    expect(spec.relations.todos!.rules.service).toEqual({ select: 'all', insert: 'all', update: 'all', delete: 'all' });
    expect(draft.settled).toBe(true);
  });

  it('the draft runs under rls: it agrees with the database, with the unreviewed relations counted', async () => {
    const spec = parseAccessSpec(JSON.parse(draft.text));
    const result = await runRls({ server: testServer(), template: changed.name, spec, runs: 4, seed: 3, properties: ['visibility', 'write_isolation'] });
    expect(result.properties.filter((property) => !property.passed).map((property) => property.counterexample?.rendered ?? property.error)).toEqual([]);
    expect([...result.unreviewed].sort()).toEqual(['notices', 'todo_lists', 'todos']);
  }, 300_000);

  it('--update keeps a reviewed relation byte for byte, adds the new table, and reports one that disappeared', async () => {
    const original = readFileSync(resolve(projectsDir, 'todo/tests/access/access-spec.json'), 'utf8');
    // A relation the database does not have: reported and kept, never dropped silently.
    const withGone = original.replace(
      '"relations": {',
      '"relations": {\n    "gone_table": { "kind": "table", "ownerColumn": null, "rules": { "anon": { "select": "none", "insert": "none", "update": "none", "delete": "none" }, "user": { "select": "none", "insert": "none", "update": "none", "delete": "none" }, "service": { "select": "all", "insert": "all", "update": "all", "delete": "all" } } },',
    );
    const updated = await draftAccessSpec({ server: testServer(), template: changed.name, existing: { file: 'access-spec.json', text: withGone }, runs: 3, seed: 7 });
    expect(updated.added.map((relation) => relation.name)).toEqual(['notices']);
    expect(updated.disappeared).toEqual(['gone_table']);
    for (const name of ['todo_lists', 'todos', 'gone_table']) expect(entryText(updated.text, name)).toBe(entryText(withGone, name));
    // Everything before the new entry is the file as it was.
    const end = withGone.lastIndexOf(entryText(withGone, 'todos')) + entryText(withGone, 'todos').length;
    expect(updated.text.slice(0, end)).toBe(withGone.slice(0, end));
    const spec = parseAccessSpec(JSON.parse(updated.text));
    expect(spec.relations.notices).toMatchObject({ reviewed: false, ownerColumn: 'owner_id' });
    // The spec's own actors: anon, user, service (no admin)
    expect(Object.keys(spec.relations.notices!.rules)).toEqual(['anon', 'user', 'service']);
    expect(spec.relations.todo_lists!.reviewed).toBe(true);
  }, 300_000);

  it('a project whose tables grant the API roles nothing has no API actors: api_roles_missing', async () => {
    const plain = await project.withChange('init_plain_', 'revoke all on all tables in schema public from anon, authenticated;');
    const failure = await draftAccessSpec({ server: testServer(), template: plain.name, runs: 1, seed: 1 }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(isSchemaproofError(failure) && failure.code).toBe('api_roles_missing');
  }, 120_000);

  it('actors whose roles the database lacks: api_roles_missing', async () => {
    const existing = readFileSync(resolve(projectsDir, 'todo/tests/access/access-spec.json'), 'utf8').replace('"role": "authenticated"', '"role": "app_member"');
    const failure = await draftAccessSpec({ server: testServer(), template: changed.name, existing: { file: 'access-spec.json', text: existing }, runs: 1, seed: 1 }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(isSchemaproofError(failure) && failure.code).toBe('api_roles_missing');
  }, 120_000);
});
