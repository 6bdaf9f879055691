/** The UUID v7 vs v4 comparison measures both variants on the same rows and cleans up. */
import { describe, expect, it } from 'vitest';
import { sql } from '@databases/pg';
import { compareUuidVersions } from '../../src/plans/index.ts';
import { freshDatabase } from '../helpers/pg.ts';

describe('compareUuidVersions', () => {
  it('inserts N rows into each variant, reports index sizes, and drops its scratch schema', async () => {
    const database = await freshDatabase({ purpose: 'uuid' });
    try {
      const comparison = await compareUuidVersions(database.db, { rows: 5_000, v7Expression: 'private.uuid_v7()' });
      expect(comparison.v4.rows).toBe(5_000);
      expect(comparison.v7.rows).toBe(5_000);
      expect(comparison.v4.pkIndexBytes).toBeGreaterThan(0);
      expect(comparison.v7.pkIndexBytes).toBeGreaterThan(0);
      expect(comparison.v7.defaultExpression).toBe('private.uuid_v7()');
      const left = await database.db.query(sql`select count(*)::int as n from pg_namespace where nspname = 'schemaproof_uuid_bench'`);
      expect(left[0]?.n).toBe(0);
    } finally {
      await database.drop();
    }
  });
});
