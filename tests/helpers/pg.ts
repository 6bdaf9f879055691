/**
 * Per-test-file access to the run's cluster: fresh clones of the migrated
 * template, dropped when the file finishes.
 */
import { inject, afterAll } from 'vitest';
import type { ConnectionPool } from '@databases/pg';
import { attachServer, findPgBinaries, templateHandle, type OwnedDatabase, type PostgresServer } from '../../src/postgres/index.ts';

let server: PostgresServer | null = null;
const opened: { db: OwnedDatabase; pool: ConnectionPool }[] = [];

export function testServer(): PostgresServer {
  if (!server) {
    const context = inject('pg');
    const binaries = context.binDir ? findPgBinaries({ ...process.env, PG_BIN: context.binDir }) : null;
    server = attachServer(context.maintenance, binaries);
    afterAll(async () => {
      for (const { pool } of opened.splice(0)) await pool.dispose();
      await server?.stop();
      server = null;
    });
  }
  return server;
}

export interface FreshDatabase {
  readonly name: string;
  readonly db: ConnectionPool;
  drop(): Promise<void>;
}

/** A fresh clone of the project's migrated template (or the pgTAP one). */
export async function freshDatabase(options: { readonly pgtap?: boolean; readonly purpose?: string } = {}): Promise<FreshDatabase> {
  const context = inject('pg');
  const current = testServer();
  const template = templateHandle(current, options.pgtap ? context.pgtapTemplate : context.template);
  const clone = await template.clone(options.purpose ?? 'test');
  const pool = clone.connect();
  const entry = { db: clone, pool };
  opened.push(entry);
  return {
    name: clone.name,
    db: pool,
    async drop() {
      const index = opened.indexOf(entry);
      if (index >= 0) opened.splice(index, 1);
      await pool.dispose();
      await clone.drop();
    },
  };
}

/** An empty database (no schema) on the run's cluster. */
export async function emptyDatabase(purpose = 'empty'): Promise<FreshDatabase> {
  const { createDatabase } = await import('../../src/postgres/index.ts');
  const current = testServer();
  const created = await createDatabase(current, purpose);
  const pool = created.connect();
  const entry = { db: created, pool };
  opened.push(entry);
  return {
    name: created.name,
    db: pool,
    async drop() {
      const index = opened.indexOf(entry);
      if (index >= 0) opened.splice(index, 1);
      await pool.dispose();
      await created.drop();
    },
  };
}
