/**
 * Databases the harness owns on a server: create, drop, and template clones.
 * Tests never share state: migrate once into a template, then clone it per
 * test file (`CREATE DATABASE ... TEMPLATE ... STRATEGY file_copy`).
 */
import { sql, type ConnectionPool, type ConnectionPoolConfig, type Queryable } from '@databases/pg';
import { postgresErrorFields } from '../errors/index.ts';
import type { PostgresServer } from './server.ts';

export type CloneStrategy = 'file_copy' | 'wal_log';

export interface OwnedDatabase {
  readonly name: string;
  connect(options?: Partial<ConnectionPoolConfig>): ConnectionPool;
  drop(): Promise<void>;
}

function owned(server: PostgresServer, name: string): OwnedDatabase {
  return {
    name,
    connect: (options) => server.connect(name, options),
    drop: () => dropDatabase(server, name),
  };
}

export async function createDatabase(server: PostgresServer, purpose: string): Promise<OwnedDatabase> {
  const name = server.uniqueName(purpose);
  await server.admin().query(sql`create database ${sql.ident(name)}`);
  return owned(server, name);
}

export async function dropDatabase(server: PostgresServer, name: string): Promise<void> {
  await dropEndingSessions(server.admin(), name);
}

/**
 * DROP DATABASE ... WITH (FORCE): the sessions still in it (ours, left by a
 * timeout or a signal) are ended first. FORCE refuses a role that is not a
 * superuser when an autovacuum worker happens to be in the database (the
 * worker advertises no role, so the check reads "must be a member of the role
 * whose process is being terminated", 42501; seen in CI as a flaky `test`
 * run on a server the harness did not start), while a plain DROP DATABASE
 * cancels autovacuum workers itself. So a refused FORCE is followed by the
 * plain form, and, while a session is still in the database (55006), by
 * FORCE again; the third refusal is thrown.
 */
export async function dropEndingSessions(admin: Queryable, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.query(sql`drop database if exists ${sql.ident(name)} with (force)`);
      return;
    } catch (error) {
      if (postgresErrorFields(error).sqlstate !== '42501' || attempt >= 3) throw error;
    }
    try {
      await admin.query(sql`drop database if exists ${sql.ident(name)}`);
      return;
    } catch (error) {
      if (postgresErrorFields(error).sqlstate !== '55006') throw error;
    }
  }
}

export interface Template {
  readonly name: string;
  /** A fresh database with the template's contents. */
  clone(purpose?: string, strategy?: CloneStrategy): Promise<OwnedDatabase>;
  drop(): Promise<void>;
}

/**
 * Build a template: create a database, let `build` fill it (the pool is
 * disposed afterwards so nothing stays connected), then mark it a template.
 */
export async function createTemplate(
  server: PostgresServer,
  purpose: string,
  build: (db: ConnectionPool, name: string) => Promise<void>,
  options: { readonly from?: Template; readonly defaultStrategy?: CloneStrategy } = {},
): Promise<Template> {
  const base = options.from ? await options.from.clone(purpose) : await createDatabase(server, purpose);
  const db = base.connect();
  try {
    await build(db, base.name);
  } catch (error) {
    await db.dispose();
    await base.drop();
    throw error;
  }
  await db.dispose();
  await server.admin().query(sql`alter database ${sql.ident(base.name)} with is_template true`);
  return templateHandle(server, base.name, options.defaultStrategy ?? 'file_copy');
}

export function templateHandle(server: PostgresServer, name: string, defaultStrategy: CloneStrategy = 'file_copy'): Template {
  return {
    name,
    async clone(purpose = 'clone', strategy = defaultStrategy) {
      const cloneName = server.uniqueName(purpose);
      await server.admin().query(sql`create database ${sql.ident(cloneName)} template ${sql.ident(name)} strategy ${sql.__dangerous__rawValue(strategy)}`);
      return owned(server, cloneName);
    },
    async drop() {
      const admin = server.admin();
      await admin.query(sql`alter database ${sql.ident(name)} with is_template false`);
      await dropEndingSessions(admin, name);
    },
  };
}

/**
 * Run `fn` on a fresh clone of `template`, then close the connection and drop
 * the clone, whether `fn` succeeded or not.
 */
export async function withClone<T>(template: Template, purpose: string, fn: (db: ConnectionPool, clone: OwnedDatabase) => Promise<T>, connectOptions?: Partial<ConnectionPoolConfig>): Promise<T> {
  const clone = await template.clone(purpose);
  const db = clone.connect(connectOptions);
  try {
    return await fn(db, clone);
  } finally {
    await db.dispose();
    await clone.drop();
  }
}
