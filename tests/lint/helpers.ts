/**
 * Shared by the lint tests: a fresh empty database with the Supabase shim
 * (and private.is_admin()), and a way to run exactly one lint on it.
 */
import { sql, type Queryable } from '@databases/pg';
import { resolve } from 'node:path';
import { installSupabaseShim } from '../../src/postgres/index.ts';
import { lintCatalogue, runLints, type Finding, type LintOptions } from '../../src/lint/index.ts';
import { emptyDatabase, type FreshDatabase } from '../helpers/pg.ts';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const fixturesDir = resolve(import.meta.dirname, 'fixtures');
export const emptySqlDir = resolve(fixturesDir, 'empty-sql');

/** An empty database with the shim (default privileges in public revoked), schema private and private.is_admin() (reading app_metadata, as the project's does). */
export async function lintDatabase(purpose: string): Promise<FreshDatabase> {
  const fresh = await emptyDatabase(purpose);
  await installSupabaseShim(fresh.db);
  // The shim gives the platform's default privileges (new tables in public are
  // granted to the API roles); revoke them as this project's sql/00002 does, so
  // each scenario grants exactly what it tests.
  await fresh.db.query(sql`
    alter default privileges in schema public revoke all on tables from anon, authenticated, service_role;
    alter default privileges in schema public revoke all on sequences from anon, authenticated, service_role;
    alter default privileges in schema public revoke all on functions from anon, authenticated, service_role;
    create schema private;
    create function private.is_admin() returns boolean language sql stable set search_path = pg_catalog
      as $$ select coalesce((auth.jwt() -> 'app_metadata' ->> 'role') = 'admin', false) $$;
  `);
  return fresh;
}

class ScenarioDone extends Error {}

/**
 * Run one test's fixture, lints and fix inside a transaction that is rolled
 * back afterwards, so every test starts from the same clean database
 * (creating a database per test costs ~0.5 s here; a rollback nothing).
 */
export async function scenario(db: Queryable, body: (tx: Queryable) => Promise<void>): Promise<void> {
  try {
    await db.tx(async (tx) => {
      await body(tx);
      throw new ScenarioDone('rollback');
    });
  } catch (error) {
    if (!(error instanceof ScenarioDone)) throw error;
  }
}

/** Severities that switch every lint off except `names`. */
export function only(...names: string[]): Record<string, 'error' | 'warn' | 'off'> {
  return Object.fromEntries(lintCatalogue.map((lint) => [lint.name, names.includes(lint.name) ? lint.level : 'off']));
}

/** Run one schema lint on `db`; return its findings as `object — detail` for exact comparison. */
export async function lint(db: Queryable, name: string, options: Partial<LintOptions> = {}): Promise<Finding[]> {
  const result = await runLints({ db, sqlDir: emptySqlDir, root: repoRoot, squawk: false, ...options, severities: { ...only(name), ...options.severities } });
  return [...result.findings];
}

export async function objects(db: Queryable, name: string): Promise<string[]> {
  return (await lint(db, name)).map((finding) => finding.object);
}

/** Run a fixture script (constant test SQL). */
export async function exec(db: Queryable, script: string): Promise<void> {
  await db.query(sql.__dangerous__rawValue(script));
}
