/**
 * With a DATABASE_URL whose role is not a superuser, the run checks first what
 * it will need (CREATEDB for its own databases, SET ROLE to the actors the
 * tests use, membership in the roles the Supabase shim makes owners) and
 * stops with one line naming what is missing (exit 4).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sql, type ConnectionPool } from '@databases/pg';
import { connectTarget, createDatabase, dropEndingSessions, provisionPostgres, shimOwnerRoles, supabaseActorRoles, type PostgresServer } from '../../src/postgres/index.ts';
import { SchemaproofError } from '../../src/errors/index.ts';
import { runCli, stderrLines } from '../helpers/cli.ts';
import { pgtapFile, tinyProject, type TinyProject } from '../helpers/project.ts';

const suffix = randomBytes(3).toString('hex');
const roles = {
  plain: `sp_probe_plain_${suffix}`,
  createdb: `sp_probe_createdb_${suffix}`,
  enough: `sp_probe_enough_${suffix}`,
  owner: `sp_probe_owner_${suffix}`,
} as const;
const ownDatabase = `sp_probe_owned_${suffix}`;

function urlAs(role: string, database?: string): string {
  const target = inject('pg').maintenance;
  return `postgresql://${role}@localhost:${target.port}/${database ?? target.database}?host=${encodeURIComponent(target.host)}`;
}

const requirements = { createDatabases: true, actorRoles: supabaseActorRoles, ownerRoles: shimOwnerRoles };
let admin: ConnectionPool;
let project: TinyProject;

async function codeOf(attempt: Promise<PostgresServer>): Promise<string | null> {
  try {
    await (await attempt).stop();
    return null;
  } catch (error) {
    return error instanceof SchemaproofError ? error.code : `not ours: ${String(error)}`;
  }
}

beforeAll(async () => {
  admin = connectTarget(inject('pg').maintenance, { poolSize: 1 });
  await admin.query(sql`create role ${sql.ident(roles.plain)} login`);
  await admin.query(sql`create role ${sql.ident(roles.createdb)} login createdb`);
  await admin.query(sql`create role ${sql.ident(roles.enough)} login createdb`);
  await admin.query(sql`create role ${sql.ident(roles.owner)} login`);
  for (const granted of [...supabaseActorRoles, ...shimOwnerRoles]) await admin.query(sql`grant ${sql.ident(granted)} to ${sql.ident(roles.enough)}`);
  await admin.query(sql`create database ${sql.ident(ownDatabase)} owner ${sql.ident(roles.owner)}`);
  project = tinyProject({ pgtap: { 'as_anon.sql': pgtapFile('set local role anon;\nselect current_user;\nreset role;') } });
});

afterAll(async () => {
  await admin.query(sql`drop database if exists ${sql.ident(ownDatabase)} with (force)`);
  for (const role of Object.values(roles)) {
    const owned = await admin.query(sql`select datname from pg_database where datdba = (select oid from pg_roles where rolname = ${role})`);
    for (const row of owned) await admin.query(sql`drop database if exists ${sql.ident(String(row.datname))} with (force)`);
    await admin.query(sql`drop role if exists ${sql.ident(role)}`);
  }
  await admin.dispose();
  project.remove();
});

describe('privilege preflight on a server we did not start', () => {
  it('names CREATEDB when the role cannot create databases', async () => {
    expect(await codeOf(provisionPostgres({ databaseUrl: urlAs(roles.plain), requires: requirements }))).toBe('database_privilege_missing');
  });

  it('names the roles it cannot SET ROLE to', async () => {
    expect(await codeOf(provisionPostgres({ databaseUrl: urlAs(roles.createdb), requires: { createDatabases: true, actorRoles: supabaseActorRoles } }))).toBe('database_privilege_missing');
  });

  it('names the roles the shim hands schemas to', async () => {
    expect(await codeOf(provisionPostgres({ databaseUrl: urlAs(roles.createdb), requires: { createDatabases: true, ownerRoles: shimOwnerRoles } }))).toBe('database_privilege_missing');
  });

  it('lets a role with CREATEDB and the actor roles run, and drops what it created', async () => {
    const server = await provisionPostgres({ databaseUrl: urlAs(roles.enough), requires: requirements });
    const database = await createDatabase(server, 'privileges');
    await server.stop();
    const left = await admin.query(sql`select count(*)::int as n from pg_database where datname = ${database.name}`);
    expect(left[0]?.n).toBe(0);
  });

  it('`schemaproof test` stops with exit 4 and one line instead of one failure per file', async () => {
    const result = await runCli(['--database-url', urlAs(roles.createdb), 'test'], { cwd: project.dir });
    expect(result.status).toBe(4);
    expect(stderrLines(result)).toHaveLength(1);
    expect(stderrLines(result)[0]).toMatch(/^schemaproof: error\[database_privilege_missing\]/);
  });

  it('`schemaproof test` with enough privileges runs the file acting as anon', async () => {
    const result = await runCli(['--database-url', urlAs(roles.enough), 'test'], { cwd: project.dir });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it("`schemaproof migrate` into a database the role owns without the shim's owner roles: exit 4 and one line, nothing applied", async () => {
    const result = await runCli(['--database-url', urlAs(roles.owner, ownDatabase), 'migrate'], { cwd: project.dir });
    expect(result.status).toBe(4);
    expect(stderrLines(result)).toHaveLength(1);
    expect(stderrLines(result)[0]).toMatch(/^schemaproof: error\[database_privilege_missing\]/);
    const owned = connectTarget({ ...inject('pg').maintenance, database: ownDatabase }, { poolSize: 1 });
    try {
      const auth = await owned.query(sql`select to_regnamespace('auth') is not null as present`);
      expect(auth[0]?.present).toBe(false);
    } finally {
      await owned.dispose();
    }
  });

  it('`schemaproof migrate` into a database the role owns needs no CREATEDB', async () => {
    for (const granted of shimOwnerRoles) await admin.query(sql`grant ${sql.ident(granted)} to ${sql.ident(roles.owner)}`);
    const result = await runCli(['--database-url', urlAs(roles.owner, ownDatabase), 'migrate'], { cwd: project.dir });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('dropping a database as a role that is not a superuser', () => {
  // An autovacuum worker in the database makes DROP DATABASE ... WITH (FORCE)
  // refuse such a role with the check another role's session meets; a
  // session of another role stands in for it here.
  const as = (role: string, database: string) => connectTarget({ ...inject('pg').maintenance, user: role, database }, { poolSize: 1 });
  const exists = async (name: string) => (await admin.query(sql`select count(*)::int as n from pg_database where datname = ${name}`))[0]?.n === 1;

  async function withForeignSession(name: string): Promise<{ creator: ConnectionPool; foreign: ConnectionPool }> {
    const creator = as(roles.createdb, inject('pg').maintenance.database);
    await creator.query(sql`create database ${sql.ident(name)}`);
    const foreign = as(roles.plain, name);
    await foreign.query(sql`select 1`);
    return { creator, foreign };
  }

  it('FORCE is refused (42501) and the plain DROP waits for the session (55006): the codes dropEndingSessions retries on; once the session leaves, it drops', async () => {
    const name = `sp_probe_drop_${suffix}_a`;
    const { creator, foreign } = await withForeignSession(name);
    try {
      const codeOf = (error: unknown) => (error as { code?: string }).code;
      expect(await creator.query(sql`drop database ${sql.ident(name)} with (force)`).then(() => 'dropped', codeOf)).toBe('42501');
      expect(await creator.query(sql`drop database ${sql.ident(name)}`).then(() => 'dropped', codeOf)).toBe('55006');
      // The session leaves while the plain DROP waits for it (up to 5 s).
      const leaving = new Promise((resolve) => setTimeout(resolve, 1000)).then(() => foreign.dispose());
      await dropEndingSessions(creator, name);
      await leaving;
      expect(await exists(name)).toBe(false);
    } finally {
      await creator.dispose();
    }
  });

  it('a session that stays: the refusal is thrown after three tries, the database left as it was', async () => {
    const name = `sp_probe_drop_${suffix}_b`;
    const { creator, foreign } = await withForeignSession(name);
    try {
      const failure = await dropEndingSessions(creator, name).then(
        () => null,
        (error: unknown) => error as { code?: string; message?: string },
      );
      expect(failure?.code).toBe('42501');
      expect(failure?.message).toMatch(/must be a member of the role whose process is being terminated/);
      expect(await exists(name)).toBe(true);
    } finally {
      await foreign.dispose();
      await creator.dispose();
    }
  }, 60_000);
});
