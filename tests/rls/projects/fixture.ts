/**
 * A fixture project (tests/fixtures/projects/<name>: sql/, policies/,
 * tests/access/access-spec.json) migrated into a template on the run's
 * cluster — the way any project plugs in, with no harness change.
 */
import { resolve } from 'node:path';
import { sql } from '@databases/pg';
import { createTemplate, templateHandle, type Template } from '../../../src/postgres/index.ts';
import { loadAccessSpec, type AccessSpec } from '../../../src/rls/index.ts';
import { buildMigratedTemplate } from '../../../src/workspace/index.ts';
import { testServer } from '../../helpers/pg.ts';

export const projectsDir = resolve(import.meta.dirname, '../../fixtures/projects');

export interface FixtureProject {
  readonly spec: AccessSpec;
  readonly template: Template;
  /** A template with `statement` applied on top (e.g. a leaking policy). */
  withChange(purpose: string, statement: string): Promise<Template>;
  drop(): Promise<void>;
}

export async function fixtureProject(name: string): Promise<FixtureProject> {
  const root = resolve(projectsDir, name);
  const server = testServer();
  const { template } = await buildMigratedTemplate(server, { sqlDir: resolve(root, 'sql'), policiesDir: resolve(root, 'policies'), root }, `fixture_${name}`);
  const extra: Template[] = [];
  return {
    spec: loadAccessSpec(resolve(root, 'tests/access/access-spec.json')),
    template,
    async withChange(purpose, statement) {
      const changed = await createTemplate(
        server,
        purpose,
        async (db) => {
          await db.query(sql.__dangerous__rawValue(statement));
        },
        { from: templateHandle(server, template.name) },
      );
      extra.push(changed);
      return changed;
    },
    async drop() {
      for (const changed of extra) await changed.drop();
      await template.drop();
    },
  };
}
