/**
 * Files cannot leak into each other: leak-a.sql commits a table, leak-b.sql
 * asserts it is absent. Run one after the other (jobs 1) both pass, because
 * each file has its own clone. The control run proves leak-b.sql would catch
 * the table if it were there.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { join, resolve } from 'node:path';
import { sql } from '@databases/pg';
import { createTemplate, type Template } from '../../src/postgres/index.ts';
import { runPgtap } from '../../src/pgtap/index.ts';
import { testServer } from '../helpers/pg.ts';

const fixtures = resolve(import.meta.dirname, 'fixtures');
const binDir = (): { psqlPath?: string } => {
  const dir = inject('pg').binDir;
  return dir ? { psqlPath: join(dir, 'psql') } : {};
};

let clean: Template;
let leaky: Template;

beforeAll(async () => {
  clean = await createTemplate(testServer(), 'pgtap_isolation', async (db) => {
    await db.query(sql`create schema if not exists extensions`);
    await db.query(sql`create extension pgtap schema extensions`);
  });
  // What a shared database would look like after leak-a.sql ran in it.
  leaky = await createTemplate(
    testServer(),
    'pgtap_leaky',
    async (db) => {
      await db.query(sql`create table leaked_fixture_table (id integer)`);
    },
    { from: clean },
  );
}, 120_000);

afterAll(async () => {
  await leaky?.drop();
  await clean?.drop();
});

describe('one database per file', () => {
  it('a table committed by one file is not visible to the next', async () => {
    const result = await runPgtap({
      server: testServer(),
      template: clean,
      files: [join(fixtures, 'leak-a.sql'), join(fixtures, 'leak-b.sql')],
      jobs: 1,
      root: fixtures,
      ...binDir(),
    });
    expect(result.files.map((file) => [file.displayPath, file.status])).toEqual([
      ['leak-a.sql', 'passed'],
      ['leak-b.sql', 'passed'],
    ]);
    expect(result.ok).toBe(true);
    expect(new Set(result.files.map((file) => file.database)).size).toBe(2);
  });

  it('control: leak-b.sql fails where the table exists', async () => {
    const result = await runPgtap({ server: testServer(), template: leaky, files: [join(fixtures, 'leak-b.sql')], jobs: 1, root: fixtures, ...binDir() });
    expect(result.files[0]?.status).toBe('failed');
    expect(result.files[0]?.errors[0]).toMatchObject({ kind: 'assertion_failed', number: 1, line: 4 });
  });

  it('refuses a template without pgTAP (pgtap_not_installed)', async () => {
    const bare = await createTemplate(testServer(), 'pgtap_missing', async () => undefined);
    try {
      await expect(runPgtap({ server: testServer(), template: bare, files: [join(fixtures, 'pass.sql')], root: fixtures, ...binDir() })).rejects.toMatchObject({ code: 'pgtap_not_installed' });
    } finally {
      await bare.drop();
    }
  });
});
