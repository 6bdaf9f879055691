/**
 * A catalogue the server refuses is invalid input (exit 6) naming the entry
 * and the file, found before anything is measured: syntax errors and unknown
 * relations on the migrated schema before any data is loaded, value queries
 * that find nothing once the data is there. A query the actor's grants
 * refuse is a finding about the schema instead: that query fails, the
 * others run.
 */
import { describe, expect, inject, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveSettings } from '../../src/config/index.ts';
import { checkCatalogueSql, loadCatalogue, parseCatalogue, prepareCatalogue, runCatalogue, selectQueries, type Catalogue } from '../../src/plans/index.ts';
import { freshDatabase, testServer } from '../helpers/pg.ts';

const root = resolve(import.meta.dirname, '../..');
const file = resolve(import.meta.dirname, 'catalogue.json');
const catalogue = loadCatalogue(file);

function broken(): Catalogue {
  const copy = structuredClone(catalogue) as { queries: { id: string; sql: string }[] } & Catalogue;
  (copy.queries.find((query) => query.id === 'q01') as { sql: string }).sql = 'select id form public.analytics_events where user_id = :user_id';
  (copy.queries.find((query) => query.id === 'q02') as { sql: string }).sql = 'select id from public.analytics_event where session_id = :session_id';
  return parseCatalogue(copy, 'broken.json');
}

function failuresOf(error: unknown): { id: string; sqlstate: string | null }[] {
  expect(error).toMatchObject({ detail: { code: 'catalogue_query_failed', file: 'broken.json' } });
  return (error as { detail: { failures: { id: string; sqlstate: string | null }[] } }).detail.failures;
}

describe('catalogue errors', () => {
  it('a syntax error and an unknown relation are found on the empty migrated schema, each named', async () => {
    const database = await freshDatabase({ purpose: 'catalogue_sql' });
    try {
      const catalogueWithErrors = broken();
      const error = await checkCatalogueSql(database.db, catalogueWithErrors, catalogueWithErrors.queries, 'broken.json').then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(failuresOf(error)).toEqual([expect.objectContaining({ id: 'q01', sqlstate: '42601' }), expect.objectContaining({ id: 'q02', sqlstate: '42P01' })]);
      // The unchanged catalogue passes the same check.
      await checkCatalogueSql(database.db, catalogue, catalogue.queries, file);
    } finally {
      await database.drop();
    }
  });

  it('a value query that finds nothing names the value (and the queries never run)', async () => {
    const database = await freshDatabase({ purpose: 'catalogue_values' });
    try {
      const error = await prepareCatalogue(database.db, catalogue, selectQueries(catalogue, ['q01']), 'broken.json').then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(failuresOf(error).map((failure) => failure.id)).toContain('value heavy_user');
    } finally {
      await database.drop();
    }
  });

  it('an actor the grants refuse fails its query with SQLSTATE 42501 and the rest still run', async () => {
    const database = await freshDatabase({ purpose: 'catalogue_refused' });
    try {
      const copy = structuredClone(catalogue);
      const q17 = copy.queries.find((query) => query.id === 'q17') as { sql: string };
      q17.sql = 'select count(*) from public.analytics_events where user_id is not null and cast(:candidate_id as text) is not null';
      const probe = parseCatalogue({ ...copy, values: { ...copy.values, busy_candidate: { literal: 'H0XX00000' }, busy_committee: { literal: 'C00000001' } } }, 'probe.json');
      const gates = resolveSettings({}, root, null).bench.gates;
      const run = await runCatalogue(database.db, probe, selectQueries(probe, ['q17', 'q22']), {
        runs: 20,
        warmup: 0,
        gates,
        file: 'probe.json',
        timings: false,
        connect: () => testServer().connect(database.name, { poolSize: 1 }),
      });
      const [q17Result, q22Result] = run.queries;
      expect(q17Result?.passed).toBe(false);
      expect(q17Result?.failures.join(' ')).toMatch(/as anon .*42501/);
      expect(q22Result?.work).not.toBeNull();
    } finally {
      await database.drop();
    }
  });

  it('bench exits 6 naming the query and the catalogue file, before generating any data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-bench-catalogue-'));
    const catalogueFile = join(dir, 'catalogue.json');
    const copy = JSON.parse(JSON.stringify(catalogue)) as { queries: { id: string; sql: string }[] };
    (copy.queries.find((query) => query.id === 'q01') as { sql: string }).sql = 'select id from public.no_such_table where user_id = :user_id';
    writeFileSync(catalogueFile, JSON.stringify(copy));
    const config = join(dir, 'schemaproof.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        sqlDir: resolve(root, 'sql'),
        policiesDir: resolve(root, 'policies'),
        pgtapDir: resolve(root, 'tests/pgtap'),
        accessSpec: resolve(root, 'tests/access/access-spec.json'),
        queryCatalogue: catalogueFile,
        reportsDir: join(dir, 'reports'),
      }),
    );
    const target = inject('pg').maintenance;
    const url = `postgres://${encodeURIComponent(target.user)}@localhost:${target.port}/${target.database}?host=${encodeURIComponent(target.host)}`;
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(
        resolve(root, 'bin/schemaproof.js'),
        ['--config', config, '--database-url', url, 'bench', '--scale', 'small', '--no-fec', '--uuid-rows', '0', '--query', 'q01', 'q02'],
        { cwd: dir, env: { ...process.env, DATABASE_URL: '' } },
        (error, stdout, stderr) => {
          done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
        },
      );
    });
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('error[catalogue_query_failed]');
    expect(result.stderr).toContain(catalogueFile);
    expect(result.stderr).toMatch(/q01: relation "public\.no_such_table" does not exist \(SQLSTATE 42P01\)/);
    expect(result.stderr).not.toMatch(/q02:/);
    expect(result.stderr).not.toContain('generating');
  });
});
