/**
 * Bench timings are the server's planning + execution time: a statement that
 * sleeps is timed at least as long as it sleeps, and a plan without the
 * summary is refused rather than read as zero.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@databases/pg';
import { pairedRatio, serverMs, timeOnce } from '../../src/plans/index.ts';
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

describe('pairedRatio', () => {
  it('is the median of run-by-run ratios, so drift and one stalled run do not move it', () => {
    // The machine slows down 3x halfway; RLS costs 10% throughout; one run stalls.
    const bypass = [10, 10, 10, 10, 30, 30, 30, 30, 10, 10];
    const own = bypass.map((value) => value * 1.1);
    own[2] = 200;
    expect(pairedRatio(own, bypass)).toBe(1.1);
  });

  it('has no ratio without pairs', () => {
    expect(pairedRatio([], [])).toBeNull();
    expect(pairedRatio([1, 2], [0, 0])).toBeNull();
  });
});
