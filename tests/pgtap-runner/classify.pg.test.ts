/**
 * The runner over fixture files, each classified: pass, failing assertion
 * (with have/want), SQL error (file:line), plan lies, no plan, timeout.
 * Uses a small template of its own (pgTAP only), not the project schema.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { join, resolve } from 'node:path';
import { sql } from '@databases/pg';
import { createTemplate, type Template } from '../../src/postgres/index.ts';
import { runPgtap, type PgtapFileResult, type PgtapRunResult } from '../../src/pgtap/index.ts';
import { testServer } from '../helpers/pg.ts';

const fixtures = resolve(import.meta.dirname, 'fixtures');
const fixture = (name: string): string => join(fixtures, name);

let template: Template;
let run: PgtapRunResult;

function byName(name: string): PgtapFileResult {
  const found = run.files.find((file) => file.file === fixture(name));
  if (!found) throw new Error(`no result for ${name}`);
  return found;
}

beforeAll(async () => {
  template = await createTemplate(testServer(), 'pgtap_fixture', async (db) => {
    await db.query(sql`create schema if not exists extensions`);
    await db.query(sql`create extension pgtap schema extensions`);
  });
  const binDir = inject('pg').binDir;
  run = await runPgtap({
    server: testServer(),
    template,
    files: ['pass.sql', 'fail-assertion.sql', 'sql-error.sql', 'plan-short.sql', 'plan-long.sql', 'no-plan.sql', 'never-finishes.sql'].map(fixture),
    jobs: 2,
    timeoutMs: 2_000,
    root: fixtures,
    ...(binDir ? { psqlPath: join(binDir, 'psql') } : {}),
  });
}, 120_000);

afterAll(async () => {
  await template?.drop();
});

describe('runPgtap classifies each file', () => {
  it('returns one result per file, in input order, and totals that add up', () => {
    expect(run.files.map((file) => file.displayPath)).toEqual(['pass.sql', 'fail-assertion.sql', 'sql-error.sql', 'plan-short.sql', 'plan-long.sql', 'no-plan.sql', 'never-finishes.sql']);
    expect(run.ok).toBe(false);
    expect(run.totals.files).toBe(7);
    expect(run.totals.passedFiles + run.totals.failedFiles + run.totals.erroredFiles + run.totals.timedOutFiles).toBe(7);
    expect(run.totals.passedFiles).toBe(1);
    expect(run.totals.timedOutFiles).toBe(1);
    expect(run.totals.erroredFiles).toBe(1);
    expect(run.totals.failedFiles).toBe(4);
    expect(run.pgtapSchema).toBe('extensions');
  });

  it('passes a good file (a failing TODO does not count)', () => {
    const file = byName('pass.sql');
    expect(file.status).toBe('passed');
    expect(file.errors).toEqual([]);
    expect(file.planned).toBe(4);
    expect(file.assertions.map((assertion) => assertion.ok)).toEqual([true, true, true, false]);
    expect(file.assertions[3]?.todo).toBe('not written yet');
    expect(file.assertions[2]?.description).toBe("an escaped 'quote' in a description");
  });

  it('reports a failing assertion with its number, description, have/want and line', () => {
    const file = byName('fail-assertion.sql');
    expect(file.status).toBe('failed');
    expect(file.errors).toEqual([{ kind: 'assertion_failed', number: 2, description: 'two is three (wrong on purpose)', line: 5 }]);
    const failing = file.assertions.find((assertion) => !assertion.ok);
    expect(failing?.number).toBe(2);
    expect(failing?.diagnostics).toEqual(['have: 2', 'want: 3']);
    expect(failing?.line).toBe(5);
    expect(failing?.lineSource).toBe('description_match');
  });

  it('reports a SQL error with file, line and SQLSTATE', () => {
    const file = byName('sql-error.sql');
    expect(file.status).toBe('errored');
    expect(file.errors).toHaveLength(1);
    const error = file.errors[0];
    expect(error?.kind).toBe('sql_error');
    if (error?.kind !== 'sql_error') return;
    expect(error.file).toBe(fixture('sql-error.sql'));
    expect(error.line).toBe(7);
    expect(error.errorLine).toBe(6);
    expect(error.sqlstate).toBe('42P01');
    expect(error.message).toContain('missing_fixture_table');
    expect(file.assertions).toHaveLength(1);
  });

  it('catches a plan that promises more than ran', () => {
    const file = byName('plan-short.sql');
    expect(file.status).toBe('failed');
    expect(file.errors).toEqual([{ kind: 'plan_mismatch', planned: 5, ran: 3 }]);
  });

  it('catches a plan that promises fewer than ran', () => {
    const file = byName('plan-long.sql');
    expect(file.status).toBe('failed');
    expect(file.errors).toEqual([{ kind: 'plan_mismatch', planned: 2, ran: 3 }]);
  });

  it('catches a file that never prints a plan', () => {
    const file = byName('no-plan.sql');
    expect(file.status).toBe('failed');
    expect(file.planned).toBeNull();
    expect(file.errors).toEqual([{ kind: 'missing_plan', ran: 2 }]);
  });

  it('times out a file that never finishes, and drops its database', async () => {
    const file = byName('never-finishes.sql');
    expect(file.status).toBe('timed_out');
    expect(file.errors).toEqual([{ kind: 'timeout', timeoutMs: 2_000 }]);
    const admin = testServer().connect('postgres', { poolSize: 1 });
    try {
      const names = run.files.map((result) => result.database);
      const left = await admin.query(sql`select datname from pg_database where datname = any(${names})`);
      const backends = await admin.query(sql`select pid from pg_stat_activity where datname = any(${names})`);
      expect(left).toEqual([]);
      expect(backends).toEqual([]);
    } finally {
      await admin.dispose();
    }
  });
});
