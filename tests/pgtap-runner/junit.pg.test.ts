/**
 * JUnit output over a real run: well-formed XML (checked by PostgreSQL's
 * libxml), one <testcase> per assertion, <failure> with pgTAP's have/want,
 * <error> for file-level problems.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { join, resolve } from 'node:path';
import { sql, type ConnectionPool } from '@databases/pg';
import { createTemplate, type Template } from '../../src/postgres/index.ts';
import { formatJunit, runPgtap, type PgtapRunResult } from '../../src/pgtap/index.ts';
import { testServer } from '../helpers/pg.ts';

const fixtures = resolve(import.meta.dirname, 'fixtures');
let template: Template;
let run: PgtapRunResult;
let xml: string;
let admin: ConnectionPool;

async function xpathCount(path: string): Promise<number> {
  const rows = await admin.query(sql`select (xpath(${`count(${path})`}, ${xml}::xml))[1]::text::numeric::int as n`);
  return rows[0]?.n as number;
}

async function xpathText(path: string): Promise<string[]> {
  const rows = await admin.query(sql`select unnest(xpath(${path}, ${xml}::xml))::text as t`);
  return rows.map((row) => row.t as string);
}

beforeAll(async () => {
  template = await createTemplate(testServer(), 'pgtap_junit', async (db) => {
    await db.query(sql`create schema if not exists extensions`);
    await db.query(sql`create extension pgtap schema extensions`);
  });
  const binDir = inject('pg').binDir;
  run = await runPgtap({
    server: testServer(),
    template,
    files: ['pass.sql', 'fail-assertion.sql', 'sql-error.sql'].map((name) => join(fixtures, name)),
    jobs: 2,
    root: fixtures,
    ...(binDir ? { psqlPath: join(binDir, 'psql') } : {}),
  });
  xml = formatJunit(run);
  admin = testServer().connect('postgres', { poolSize: 1 });
}, 120_000);

afterAll(async () => {
  await admin?.dispose();
  await template?.drop();
});

describe('formatJunit', () => {
  it('is a well-formed XML document', async () => {
    const rows = await admin.query(sql`select xml_is_well_formed_document(${xml}) as ok`);
    expect(rows[0]?.ok).toBe(true);
  });

  it('has one testsuite per file and one testcase per assertion plus one per file-level problem', async () => {
    expect(await xpathCount('/testsuites/testsuite')).toBe(3);
    const assertions = run.files.reduce((sum, file) => sum + file.assertions.length, 0);
    expect(assertions).toBe(4 + 3 + 1);
    expect(await xpathCount('//testcase')).toBe(assertions + 1);
    expect(await xpathCount('//testsuite[@name="pass.sql"]/testcase')).toBe(4);
    expect(await xpathCount('//testsuite[@name="fail-assertion.sql"]/testcase')).toBe(3);
  });

  it('puts the failing assertion in a <failure> with its have/want diagnostics and location', async () => {
    expect(await xpathCount('//failure')).toBe(1);
    const [message] = await xpathText('//failure/@message');
    expect(message).toBe('not ok 2 - two is three (wrong on purpose)');
    const [body] = await xpathText('//failure/text()');
    expect(body).toContain('have: 2');
    expect(body).toContain('want: 3');
    expect(body).toContain('fail-assertion.sql:5');
    expect(await xpathText('//testcase[failure]/@line')).toEqual(['5']);
  });

  it('reports the SQL error as an <error> naming file and line', async () => {
    expect(await xpathCount('//error')).toBe(1);
    expect(await xpathText('//error/@type')).toEqual(['sql_error']);
    const [body] = await xpathText('//error/text()');
    expect(body).toContain('sql-error.sql:6');
  });

  it('marks the failing TODO as skipped, not failed', async () => {
    expect(await xpathCount('//testsuite[@name="pass.sql"]//skipped')).toBe(1);
    expect(await xpathText('//testsuite[@name="pass.sql"]/@failures')).toEqual(['0']);
  });
});
