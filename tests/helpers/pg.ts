/**
 * Per-test-file access to the run's cluster: fresh clones of the migrated
 * template, dropped when the file finishes.
 */
import { inject, afterAll } from 'vitest';
import type { ConnectionPool } from '@databases/pg';
import { attachServer, createDatabase, findPgBinaries, templateHandle, type OwnedDatabase, type PostgresServer } from '../../src/postgres/index.ts';

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

/** Keep `database` open until it is dropped, or until the test file ends. */
function tracked(database: OwnedDatabase): FreshDatabase {
  const entry = { db: database, pool: database.connect() };
  opened.push(entry);
  return {
    name: database.name,
    db: entry.pool,
    async drop() {
      const index = opened.indexOf(entry);
      if (index >= 0) opened.splice(index, 1);
      await entry.pool.dispose();
      await database.drop();
    },
  };
}

/** A fresh clone of the project's migrated template (or the pgTAP one). */
export async function freshDatabase(options: { readonly pgtap?: boolean; readonly purpose?: string } = {}): Promise<FreshDatabase> {
  const context = inject('pg');
  const template = templateHandle(testServer(), options.pgtap ? context.pgtapTemplate : context.template);
  return tracked(await template.clone(options.purpose ?? 'test'));
}

/** An empty database (no schema) on the run's cluster. */
export async function emptyDatabase(purpose = 'empty'): Promise<FreshDatabase> {
  return tracked(await createDatabase(testServer(), purpose));
}
