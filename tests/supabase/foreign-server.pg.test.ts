/**
 * On a server schemaproof did not start (--database-url), the shim's
 * cluster-wide roles are required, not created: a missing role is one line
 * naming them and --install-shim, which creates them and prints each object.
 * The "foreign" server here is a fresh cluster on which nothing ran yet.
 * The connecting role's privileges are checked before the roles, and each
 * missing thing is named by one check only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from '@databases/pg';
import { SchemaproofError } from '../../src/errors/index.ts';
import { findPgBinaries, localServer, startLocalCluster, type PostgresServer } from '../../src/postgres/index.ts';
import { openWorkspace, type Workspace } from '../../src/workspace/index.ts';
import { runCli, urlFor } from './cli.ts';

const roles = [
  'anon',
  'authenticated',
  'service_role',
  'authenticator',
  'supabase_admin',
  'supabase_auth_admin',
  'supabase_storage_admin',
  'dashboard_user',
  'supabase_replication_admin',
  'supabase_etl_admin',
  'supabase_read_only_user',
  'supabase_realtime_admin',
  'supabase_functions_admin',
  'pgbouncer',
];
/** Login roles of the foreign server that are not superusers (not among `roles`). */
const nonSuperusers = { plain: 'sp_foreign_plain', createdb: 'sp_foreign_createdb' } as const;
let server: PostgresServer;
let project: string;
let url: string;

async function presentRoles(): Promise<string[]> {
  const rows = await server.admin().query(sql`select rolname from pg_roles where rolname = any (${roles}) order by rolname`);
  return rows.map((row) => row.rolname as string);
}

beforeAll(async () => {
  const binaries = findPgBinaries();
  server = localServer(await startLocalCluster({ binaries }), binaries);
  url = urlFor(server.target('postgres'));
  project = mkdtempSync(join(tmpdir(), 'sp-foreign-'));
  mkdirSync(join(project, 'supabase/migrations'), { recursive: true });
  writeFileSync(join(project, 'supabase/config.toml'), 'project_id = "foreign"\n');
  writeFileSync(join(project, 'supabase/migrations/20240101000000_notes.sql'), 'create table public.notes (id bigint primary key, body text);\nalter table public.notes enable row level security;\n');
  await server.admin().query(sql`create role ${sql.ident(nonSuperusers.plain)} login`);
  await server.admin().query(sql`create role ${sql.ident(nonSuperusers.createdb)} login createdb`);
});

afterAll(async () => {
  await server.stop();
  rmSync(project, { recursive: true, force: true });
});

/** A postgres:// URL for `role` on the foreign server. */
function urlAs(role: string): string {
  return urlFor({ ...server.target('postgres'), user: role });
}

async function codeOf(attempt: Promise<Workspace>): Promise<string | null> {
  try {
    await (await attempt).close();
    return null;
  } catch (error) {
    return error instanceof SchemaproofError ? error.code : `not ours: ${String(error)}`;
  }
}

function workspaceAs(role: string, installShim = false): Promise<Workspace> {
  return openWorkspace({ databaseUrl: urlAs(role), sqlDir: 'supabase/migrations', policiesDir: 'supabase/policies', root: project, naming: 'supabase', installShim });
}

describe('--database-url: privileges first, then the roles, each named once', () => {
  it('a role without CREATEDB hears about CREATEDB, not about the absent roles', async () => {
    expect(await codeOf(workspaceAs(nonSuperusers.plain))).toBe('database_privilege_missing');
  });

  it('a role with CREATEDB hears about the absent roles, not about membership in them', async () => {
    expect(await codeOf(workspaceAs(nonSuperusers.createdb))).toBe('shim_roles_missing');
  });

  it('--install-shim as a non-superuser is refused before any role is created', async () => {
    const result = await runCli(project, ['--database-url', urlAs(nonSuperusers.createdb), '--install-shim', 'migrate']);
    expect(result.code).toBe(4);
    const lines = result.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/error\[database_privilege_missing\]/);
    expect(await presentRoles()).toEqual([]);
  });
});

describe('--database-url: roles required, --install-shim creates them', () => {
  it('refuses, naming the missing roles and the flag, and creates nothing', async () => {
    const result = await runCli(project, ['--database-url', url, 'migrate']);
    expect(result.code).toBe(7);
    const lines = result.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/error\[shim_roles_missing\]/);
    for (const role of roles) expect(lines[0]).toContain(role);
    expect(lines[0]).toContain('--install-shim');
    expect(await presentRoles()).toEqual([]);
    const tables = await server.admin().query(sql`select count(*)::int as n from pg_tables where schemaname = 'public' and tablename = 'notes'`);
    expect(tables[0]?.n).toBe(0);
  });

  it('--install-shim creates each role, prints each object, and migrates', async () => {
    const result = await runCli(project, ['--database-url', url, '--install-shim', 'migrate']);
    expect(result.code).toBe(0);
    const created = result.stderr.split('\n').filter((line) => line.startsWith('schemaproof: --install-shim created role '));
    expect(created.map((line) => /created role (\w+)/.exec(line)?.[1]).sort()).toEqual([...roles].sort());
    expect(result.stderr).toMatch(/created membership: authenticator is a member of anon/);
    expect(await presentRoles()).toEqual([...roles].sort());
    expect(result.stdout).toMatch(/1 migration\(s\) applied/);
    // The connecting role's own settings are left alone on a server we did not start.
    const settings = await server.admin().query(sql`select count(*)::int as n from pg_db_role_setting s join pg_roles r on r.oid = s.setrole where r.rolname = current_user`);
    expect(settings[0]?.n).toBe(0);
  });

  it('then runs without the flag, creating nothing', async () => {
    const result = await runCli(project, ['--database-url', url, 'migrate']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/0 migration\(s\) applied, 1 already applied/);
  });
});
