/**
 * SQL errors from a file sent whole: the server's position (characters of
 * the whole file, less a BOM) maps to file:line:col through CRLF, a BOM and
 * astral characters; an error without a position is placed at its statement
 * (the server's completed-statement count); DETAIL, HINT and CONTEXT are
 * kept; a lock_timeout ends the run as `timeout` (exit 7).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from '@databases/pg';
import { migrate } from '../../src/migrate/index.ts';
import { SchemaproofError, exitCodeFor, exitCodes, type ErrorDetail } from '../../src/errors/index.ts';
import { emptyDatabase, testServer, type FreshDatabase } from '../helpers/pg.ts';

let dir: string;
let fresh: FreshDatabase;

function write(relative: string, text: string): void {
  writeFileSync(join(dir, relative), text);
}

async function failure(extra: { lockTimeoutMs?: number } = {}): Promise<ErrorDetail> {
  const error = await migrate(testServer().target(fresh.name), { sqlDir: join(dir, 'sql'), policiesDir: join(dir, 'policies'), root: dir, ...extra }).catch((caught: unknown) => caught);
  if (!(error instanceof SchemaproofError)) throw new Error(`expected a SchemaproofError, got ${String(error)}`);
  return error.detail;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sp-migrate-errors-'));
  mkdirSync(join(dir, 'sql'));
  mkdirSync(join(dir, 'policies'));
  fresh = await emptyDatabase('migrate_errors');
});

afterEach(async () => {
  await fresh.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('error locations in a file sent whole', () => {
  it('maps the position through a BOM, CRLF and an astral character', async () => {
    write('sql/00001-crlf.sql', "\uFEFF-- \u{1F600} header\r\ncreate table public.ok (a int);\r\nselect '\u{1F600}' || nope;\r\n");
    expect(await failure()).toMatchObject({ code: 'sql_error', sqlstate: '42703', location: { file: 'sql/00001-crlf.sql', line: 3, column: 15 } });
  });

  it('places an error without a position (a NOT NULL violated by data) at its statement', async () => {
    write('sql/00001-data.sql', 'create table public.t (a int not null);\ninsert into public.t values (1);\n-- the next one fails\ninsert into public.t\n  values (null);\nselect 1;\n');
    const detail = await failure();
    expect(detail).toMatchObject({ code: 'sql_error', sqlstate: '23502', position: null, location: { line: 4, column: 1 } });
    if (detail.code === 'sql_error') expect(detail.detail).toContain('Failing row contains');
  });

  it('keeps DETAIL, HINT and CONTEXT', async () => {
    write('sql/00001-raise.sql', "create table public.t (a int);\ndo $$ begin raise exception 'stop' using detail = 'the detail', hint = 'the hint'; end $$;\n");
    const detail = await failure();
    expect(detail).toMatchObject({ code: 'sql_error', message: 'stop', detail: 'the detail', hint: 'the hint', location: { line: 2, column: 1 } });
    if (detail.code === 'sql_error') expect(detail.context).toMatch(/PL\/pgSQL function inline_code_block line 1 at RAISE/);
  });

  it('a policy file error is located the same way', async () => {
    write('sql/00001-t.sql', 'create table public.t (a int);\n');
    write('policies/t.sql', 'alter table public.t enable row level security;\n\ncreate policy p on public.t using (missing_column = 1);\n');
    expect(await failure()).toMatchObject({ code: 'sql_error', phase: 'policy', location: { file: 'policies/t.sql', line: 3 } });
  });
});

describe('lock_timeout', () => {
  it('ends the run with the timeout error (exit 7) and leaves nothing', async () => {
    await fresh.db.query(sql`create table public.busy (a int)`);
    write('sql/00001-alter.sql', 'create table public.new_one (a int);\nalter table public.busy add column b int;\n');
    const holder = testServer().connect(fresh.name, { poolSize: 1 });
    try {
      const detail = await holder.tx(async (tx) => {
        await tx.query(sql`lock table public.busy in access share mode`);
        return failure({ lockTimeoutMs: 200 });
      });
      expect(detail.code).toBe('timeout');
      expect(exitCodeFor(detail)).toBe(exitCodes.environment);
      if (detail.code === 'timeout') expect(detail.timeoutMs).toBe(200);
    } finally {
      await holder.dispose();
    }
    const left = await fresh.db.query(sql`select to_regclass('public.new_one') is null as gone`);
    expect(left[0]?.gone).toBe(true);
  });
});
