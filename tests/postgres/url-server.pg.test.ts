import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { sql } from '@databases/pg';
import { createDatabase, provisionPostgres, attachServer } from '../../src/postgres/index.ts';
import { SchemaproofError } from '../../src/errors/index.ts';

describe('existing server via DATABASE_URL', () => {
  it('creates and drops only its own databases', async () => {
    const { maintenance } = inject('pg');
    const url = `postgres://${maintenance.user}@localhost/${maintenance.database}?host=${encodeURIComponent(maintenance.host)}`;
    // a database that belongs to someone else
    const owner = attachServer(maintenance, null);
    const admin = owner.connect(owner.maintenanceDatabase);
    await admin.query(sql`create database someone_elses_db`);
    try {
      const server = await provisionPostgres({ databaseUrl: url });
      expect(server.kind).toBe('url');
      const mine = await createDatabase(server, 'url_test');
      const before = await admin.query(sql`select count(*)::int as n from pg_database where datname = ${mine.name}`);
      expect(before[0]?.n).toBe(1);
      await server.stop();
      const after = await admin.query(sql`select datname from pg_database where datname in (${mine.name}, 'someone_elses_db')`);
      expect(after.map((row) => row.datname)).toEqual(['someone_elses_db']);
    } finally {
      await admin.query(sql`drop database if exists someone_elses_db`);
      await admin.dispose();
    }
  });

  it('reports an unreachable server as database_unreachable', async () => {
    const attempt = provisionPostgres({ databaseUrl: 'postgres://nobody@127.0.0.1:1/none' });
    await expect(attempt).rejects.toBeInstanceOf(SchemaproofError);
    await expect(attempt).rejects.toMatchObject({ detail: { code: 'database_unreachable' } });
  });
});
