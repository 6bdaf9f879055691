/**
 * A migration with `COMMIT;` after good files is refused before anything
 * runs: error migration_statement_refused (exit 5) at its line, and the
 * database's catalog is exactly what it was (pg_dump --schema-only before
 * and after), with and without --dry-run, through the library and the CLI.
 */
import { afterEach, beforeEach, describe, expect, it, inject } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from '@databases/pg';
import { migrate } from '../../src/migrate/index.ts';
import { SchemaproofError, exitCodes } from '../../src/errors/index.ts';
import { emptyDatabase, testServer, type FreshDatabase } from '../helpers/pg.ts';
import { schemaDump } from '../helpers/dump.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
let dir: string;
let fresh: FreshDatabase;

function write(relative: string, text: string): void {
  writeFileSync(join(dir, relative), text);
}

function options(dryRun: boolean) {
  return { sqlDir: join(dir, 'sql'), policiesDir: join(dir, 'policies'), root: dir, dryRun };
}

async function bookkeeping(): Promise<unknown[]> {
  const present = await fresh.db.query(sql`select to_regclass('schemaproof.migrations_applied') is not null as present`);
  if (present[0]?.present !== true) return [];
  return fresh.db.query(sql`select index, name, script from schemaproof.migrations_applied order by index`);
}

function cli(args: readonly string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile(resolve(repoRoot, 'bin/schemaproof.js'), args as string[], { cwd: dir, env: { ...process.env, DATABASE_URL: '' } }, (error, _stdout, stderr) => {
      done({ code: error ? Number(error.code ?? 1) : 0, stderr });
    });
  });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sp-refused-'));
  mkdirSync(join(dir, 'sql'));
  mkdirSync(join(dir, 'policies'));
  fresh = await emptyDatabase('refused');
  write('sql/00001-first.sql', 'create table public.first (a int);\n');
});

afterEach(async () => {
  await fresh.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a COMMIT after good migrations', () => {
  it.each([false, true])('is refused at its line and leaves the catalog as it was (dry run: %s)', async (dryRun) => {
    await migrate(testServer().target(fresh.name), options(false));
    write('sql/00002-second.sql', 'create table public.second (a int);\n');
    write('sql/00003-commits.sql', 'create table public.third (a int);\n\n-- ends the transaction\nCOMMIT;\ncreate table public.fourth (a int);\n');
    write('policies/first.sql', 'alter table public.first enable row level security;\n');
    const before = await schemaDump(fresh.name);
    const recordedBefore = await bookkeeping();
    const error = await migrate(testServer().target(fresh.name), options(dryRun)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemaproofError);
    const detail = (error as SchemaproofError).detail;
    expect(detail.code).toBe('migration_statement_refused');
    if (detail.code !== 'migration_statement_refused') return;
    expect(detail.statements.map((entry) => [entry.location.file, entry.location.line, entry.location.column, entry.statement, entry.kind])).toEqual([
      ['sql/00003-commits.sql', 4, 1, 'COMMIT', 'transaction_control'],
    ]);
    expect(await schemaDump(fresh.name)).toBe(before);
    expect(await bookkeeping()).toEqual(recordedBefore);
  });

  it.each([[[]], [['--dry-run']]])('exits 5 from the CLI, naming file:line, and leaves nothing (%j)', async (extra) => {
    write('sql/00002-commits.sql', 'create table public.second (a int);\ncommit;\n');
    const before = await schemaDump(fresh.name);
    const target = inject('pg').maintenance;
    const url = `postgres://${encodeURIComponent(target.user)}@localhost:${target.port}/${fresh.name}?host=${encodeURIComponent(target.host)}`;
    const result = await cli(['--database-url', url, 'migrate', ...extra]);
    expect(result.code).toBe(exitCodes.migration);
    expect(result.stderr).toContain('error[migration_statement_refused]');
    expect(result.stderr).toContain('sql/00002-commits.sql:2:1');
    expect(await schemaDump(fresh.name)).toBe(before);
  });
});
