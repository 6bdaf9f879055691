/**
 * Differential proof that every file reaches the server exactly as written:
 * for each corpus file, `pg_dump --schema-only` after `migrate` equals the
 * dump after `psql -1 -v ON_ERROR_STOP=1 -f file` on a fresh database.
 * Normalised: the bookkeeping schema (`schemaproof`, migrate's own) is left
 * out of both dumps; the Supabase shim is installed on the psql side too
 * (installSupabaseShim, the function migrate uses), so its objects are equal
 * on both sides rather than filtered out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from '@databases/pg';
import { bookkeepingSchema, migrate } from '../../src/migrate/index.ts';
import { installSupabaseShim } from '../../src/postgres/index.ts';
import { emptyDatabase, testServer } from '../helpers/pg.ts';
import { psqlFile, schemaDump } from '../helpers/dump.ts';

const corpusDir = resolve(import.meta.dirname, '../fixtures/sql-corpus');
const corpus = readdirSync(corpusDir)
  .filter((name) => name.endsWith('.sql'))
  .sort();
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'sp-differential-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

async function viaMigrate(name: string): Promise<string> {
  const project = join(work, name.replace(/\.sql$/, ''));
  mkdirSync(join(project, 'sql'), { recursive: true });
  copyFileSync(join(corpusDir, name), join(project, 'sql', '00001-corpus.sql'));
  const database = await emptyDatabase('diff_migrate');
  try {
    await migrate(testServer().target(database.name), { sqlDir: join(project, 'sql'), policiesDir: join(project, 'policies'), root: project });
    return await schemaDump(database.name, { excludeSchemas: [bookkeepingSchema] });
  } finally {
    await database.drop();
  }
}

async function viaPsql(name: string): Promise<string> {
  const database = await emptyDatabase('diff_psql');
  try {
    await installSupabaseShim(database.db);
    await psqlFile(database.name, join(corpusDir, name));
    return await schemaDump(database.name, { excludeSchemas: [bookkeepingSchema] });
  } finally {
    await database.drop();
  }
}

describe('migrate ≡ psql -1 -f, file by file', () => {
  it.each(corpus)('%s', async (name) => {
    const [migrated, reference] = await Promise.all([viaMigrate(name), viaPsql(name)]);
    expect(migrated).toBe(reference);
  });

  it('the issue 11 repro creates function f and its grant (nothing after `**/` is lost)', async () => {
    const project = join(work, 'repro');
    mkdirSync(join(project, 'sql'), { recursive: true });
    copyFileSync(join(corpusDir, 'issue-repro.sql'), join(project, 'sql', '00001-repro.sql'));
    const database = await emptyDatabase('repro');
    try {
      await migrate(testServer().target(database.name), { sqlDir: join(project, 'sql'), policiesDir: join(project, 'policies'), root: project });
      const rows = await database.db.query(sql`
        select p.proname, has_function_privilege('public', p.oid, 'execute') as public_execute,
               (select array_agg(relname::text order by relname) from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r') as tables
        from pg_proc p where p.pronamespace = 'public'::regnamespace`);
      expect(rows).toEqual([{ proname: 'f', public_execute: true, tables: ['a', 'c'] }]);
      const acl = await database.db.query(sql`select proacl::text[] as acl from pg_proc where proname = 'f' and pronamespace = 'public'::regnamespace`);
      expect((acl[0]?.acl as string[]).some((entry) => entry.startsWith('=X/'))).toBe(true);
    } finally {
      await database.drop();
    }
  });
});
