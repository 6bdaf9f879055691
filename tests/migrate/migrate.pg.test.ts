import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from '@databases/pg';
import { migrate, migrationStatus, type MigrationTarget } from '../../src/migrate/index.ts';
import { SchemaproofError } from '../../src/errors/index.ts';
import { emptyDatabase, testServer, type FreshDatabase } from '../helpers/pg.ts';

let dir: string;
let fresh: FreshDatabase;
let target: MigrationTarget;

function write(relative: string, text: string): void {
  writeFileSync(join(dir, relative), text);
}

function options(extra: { dryRun?: boolean } = {}) {
  return { sqlDir: join(dir, 'sql'), policiesDir: join(dir, 'policies'), root: dir, ...extra };
}

async function tables(): Promise<string[]> {
  const rows = await fresh.db.query(sql`select tablename from pg_tables where schemaname = 'public' order by tablename`);
  return rows.map((row) => row.tablename as string);
}

async function failure(promise: Promise<unknown>): Promise<SchemaproofError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SchemaproofError) return error;
    throw error;
  }
  throw new Error('expected a SchemaproofError');
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sp-migrate-test-'));
  mkdirSync(join(dir, 'sql'));
  mkdirSync(join(dir, 'policies'));
  fresh = await emptyDatabase('migrate');
  target = testServer().target(fresh.name);
});

afterEach(async () => {
  await fresh.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('migrate', () => {
  it('applies files in numeric order and records exactly them', async () => {
    write('sql/00002-second.sql', 'alter table public.first add column b int;');
    write('sql/00001-first.sql', 'create table public.first (a int);');
    write('sql/00010-tenth.sql', 'alter table public.first add column c int;');
    const result = await migrate(target, options());
    expect(result.applied.map((entry) => entry.file)).toEqual(['sql/00001-first.sql', 'sql/00002-second.sql', 'sql/00010-tenth.sql']);
    const columns = await fresh.db.query(sql`select column_name from information_schema.columns where table_name = 'first' order by ordinal_position`);
    expect(columns.map((row) => row.column_name)).toEqual(['a', 'b', 'c']);
    const again = await migrate(target, options());
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toHaveLength(3);
    const status = await migrationStatus(target, options());
    expect(status.upToDate).toBe(true);
  });

  it('refuses an applied migration whose file changed, naming the file', async () => {
    write('sql/00001-first.sql', 'create table public.first (a int);');
    await migrate(target, options());
    write('sql/00001-first.sql', 'create table public.first (a bigint);');
    const error = await failure(migrate(target, options()));
    expect(error.detail).toMatchObject({ code: 'migration_edited', file: '00001-first.sql' });
    const status = await migrationStatus(target, options());
    expect(status.migrations[0]?.state).toBe('edited');
  });

  it('points a SQL error at file, line and column, and leaves the database as it was', async () => {
    write('sql/00001-first.sql', 'create table public.first (a int);');
    write('sql/00002-broken.sql', 'create table public.second (a int);\n\n-- a comment\nselect *\n  from missing_table;\n');
    const error = await failure(migrate(target, options()));
    expect(error.detail.code).toBe('sql_error');
    if (error.detail.code !== 'sql_error') return;
    expect(error.detail.sqlstate).toBe('42P01');
    expect(error.detail.location).toMatchObject({ file: 'sql/00002-broken.sql', line: 5, column: 8 });
    expect(error.detail.location?.excerpt).toContain('from missing_table');
    // one transaction: the good first migration was not kept either
    expect(await tables()).toEqual([]);
    const status = await migrationStatus(target, options());
    expect(status.migrations.map((entry) => entry.state)).toEqual(['pending', 'pending']);
  });

  it('reports a syntax error position', async () => {
    write('sql/00001-typo.sql', 'create table public.ok (a int);\ncreate tabel public.bad (a int);\n');
    const error = await failure(migrate(target, options()));
    expect(error.detail).toMatchObject({ code: 'sql_error', sqlstate: '42601', location: { line: 2, column: 8 } });
  });

  it('dry run applies and checks everything, then leaves nothing behind', async () => {
    write('sql/00001-first.sql', 'create table public.first (a int);');
    write('policies/first.sql', 'alter table public.first enable row level security;');
    const result = await migrate(target, options({ dryRun: true }));
    expect(result.dryRun).toBe(true);
    expect(result.applied).toHaveLength(1);
    expect(await tables()).toEqual([]);
    // a broken migration fails the dry run the same way
    write('sql/00002-bad.sql', 'select 1/0;');
    const error = await failure(migrate(target, options({ dryRun: true })));
    expect(error.detail).toMatchObject({ code: 'sql_error', sqlstate: '22012' });
  });

  it('re-applies policy files on every run', async () => {
    write('sql/00001-first.sql', 'create table public.first (owner text);');
    write(
      'policies/first.sql',
      'alter table public.first enable row level security;\ndrop policy if exists first_read on public.first;\ncreate policy first_read on public.first for select to public using (owner = current_user);\n',
    );
    await migrate(target, options());
    write(
      'policies/first.sql',
      "alter table public.first enable row level security;\ndrop policy if exists first_read on public.first;\ncreate policy first_read on public.first for select to public using (owner = 'nobody');\n",
    );
    const second = await migrate(target, options());
    expect(second.applied).toEqual([]);
    expect(second.policies).toHaveLength(1);
    const policies = await fresh.db.query(sql`select qual from pg_policies where tablename = 'first'`);
    expect(policies).toHaveLength(1);
    expect(String(policies[0]?.qual)).toContain('nobody');
  });

  it('reports a failing policy file with its location', async () => {
    write('sql/00001-first.sql', 'create table public.first (a int);');
    write('policies/first.sql', '\ncreate policy p on public.nope for select using (true);\n');
    const error = await failure(migrate(target, options()));
    expect(error.detail).toMatchObject({ code: 'sql_error', phase: 'policy', location: { file: 'policies/first.sql', line: 2 } });
    expect(await tables()).toEqual([]);
  });

  it('rejects badly named files and duplicate numbers before touching the database', async () => {
    write('sql/1-first.sql', 'create table public.first (a int);');
    expect((await failure(migrate(target, options()))).detail.code).toBe('migration_filename_invalid');
    rmSync(join(dir, 'sql/1-first.sql'));
    write('sql/00001-first.sql', 'select 1;');
    write('sql/00001-again.sql', 'select 1;');
    expect((await failure(migrate(target, options()))).detail.code).toBe('migration_duplicate_index');
  });

  it('refuses a new migration numbered before an applied one', async () => {
    write('sql/00005-later.sql', 'select 1;');
    await migrate(target, options());
    write('sql/00003-earlier.sql', 'select 1;');
    expect((await failure(migrate(target, options()))).detail.code).toBe('migration_order_changed');
  });

  it('notices an applied migration whose file was deleted', async () => {
    write('sql/00001-first.sql', 'select 1;');
    await migrate(target, options());
    rmSync(join(dir, 'sql/00001-first.sql'));
    expect((await failure(migrate(target, options()))).detail).toMatchObject({ code: 'migration_file_missing', file: '00001-first.sql' });
  });

  it('keeps its bookkeeping out of the public schema', async () => {
    write('sql/00001-first.sql', 'select 1;');
    await migrate(target, options());
    // supabase_functions.migrations is the platform's own (the shim's), not bookkeeping.
    const rows = await fresh.db.query(sql`select schemaname, tablename from pg_tables where tablename like 'migrations%' and schemaname <> 'supabase_functions' order by tablename`);
    expect(rows).toEqual([
      { schemaname: 'schemaproof', tablename: 'migrations_applied' },
      { schemaname: 'schemaproof', tablename: 'migrations_version' },
    ]);
  });
});
