import { describe, expect, it } from 'vitest';
import { classifyChange, type WatchedProject } from '../../src/watch/index.ts';

const project: WatchedProject = {
  root: '/p',
  schema: ['/p/sql', '/p/policies', '/p/supabase/seed.sql'],
  spec: ['/p/tests/access/access-spec.json', '/p/tests/access/mutants'],
  pgtap: ['/p/tests/pgtap'],
  pgtapExtensions: ['.sql', '.pg'],
};

describe('what a changed file affects', () => {
  it.each([
    ['/p/sql/00002-more.sql', 'schema'],
    ['/p/policies/area.sql', 'schema'],
    ['/p/supabase/seed.sql', 'schema'],
    ['/p/tests/access/access-spec.json', 'spec'],
    ['/p/tests/access/mutants/extra.sql', 'spec'],
    ['/p/tests/pgtap/nested/a.sql', 'pgtap'],
    ['/p/tests/pgtap/b.pg', 'pgtap'],
    ['/p/tests/pgtap/notes.md', null],
    ['/p/sqlx/not-a-migration.sql', null],
    ['/p/tests/access/access-spec.json.swp', null],
    ['/p/README.md', null],
  ])('%s → %s', (path, kind) => {
    expect(classifyChange(project, path)).toBe(kind);
  });
});
