/**
 * Bench timings are the server's planning + execution time: a statement that
 * sleeps is timed at least as long as it sleeps, and a plan without the
 * summary is refused rather than read as zero.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@databases/pg';
import { serverMs, timeOnce } from '../../src/plans/index.ts';
import { freshDatabase, type FreshDatabase } from '../helpers/pg.ts';

describe('timeOnce', () => {
  let database: FreshDatabase;
  beforeAll(async () => {
    database = await freshDatabase({ purpose: 'timing' });
  });
  afterAll(async () => {
    await database.drop();
  });

  it('measures execution on the server, as the actor', async () => {
    const slow = await timeOnce(database.db, { kind: 'service' }, sql`select pg_sleep(0.05)`);
    const fast = await timeOnce(database.db, { kind: 'service' }, sql`select 1`);
    expect(slow).toBeGreaterThanOrEqual(50);
    expect(fast).toBeLessThan(slow / 10);
  });

  it('runs as the actor: anon has no access to events, so timing that statement fails', async () => {
    await expect(timeOnce(database.db, { kind: 'anon' }, sql`select count(*) from public.analytics_events`)).rejects.toThrow(/permission denied/);
  });

  it('adds planning and execution time and refuses a plan without them', () => {
    expect(serverMs([{ Plan: {}, 'Planning Time': 0.25, 'Execution Time': 1.5 }])).toBeCloseTo(1.75);
    expect(() => serverMs([{ Plan: {} }])).toThrowError(/no planning\/execution time/);
  });
});
