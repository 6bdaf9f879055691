/**
 * settleData: after it, every page of every table is all-visible, on the
 * first pass when nothing else runs; a session holding an old snapshot is
 * waited for, and one that stays fails the run, naming the table and the
 * session. The test cluster commits asynchronously (synchronous_commit off),
 * as the harness's own clusters do, which is what the first pass must cope
 * with.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql, type ConnectionPool } from '@databases/pg';
import { readUnsettled, settleData } from '../../src/datagen/index.ts';
import { emptyDatabase, type FreshDatabase } from '../helpers/pg.ts';

let database: FreshDatabase;

beforeEach(async () => {
  database = await emptyDatabase('settle');
});
afterEach(async () => {
  await database.drop();
});

const rowsOf = (table: string, rows: number) => sql`insert into ${sql.ident('public', table)} (id, body) select k, repeat('x', 200) || k from generate_series(1, ${rows}::int) k`;

/** A transaction holding an xid open on its own connection until `release()`. */
async function holdSnapshot(db: ConnectionPool): Promise<{ release(): void; done: Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let holding!: () => void;
  const held = new Promise<void>((resolve) => (holding = resolve));
  const done = db.tx(async (tx) => {
    await tx.query(sql`select pg_catalog.txid_current()`);
    holding();
    await released;
  });
  await held;
  return { release, done };
}

describe('settleData', () => {
  it('settles asynchronously committed rows on the first pass, also for a table vacuumed after an ANALYZE committed next to its rows', async () => {
    const db = database.db;
    expect((await db.query(sql`show synchronous_commit`))[0]?.synchronous_commit).toBe('off');
    await db.query(sql`create table public.big (id int primary key, body text)`);
    await db.query(sql`create table public.small (id int primary key, body text)`);
    await db.query(rowsOf('big', 5_000));
    // The commit log keeps one LSN per 32 transactions. Start a group, so
    // small's rows, the flush and big's ANALYZE (vacuumed first: larger)
    // share one: an asynchronous ANALYZE commit there keeps small's hint
    // bits unset until the WAL writer catches up.
    for (let xid = 1; xid % 32 !== 0;) xid = Number((await db.query(sql`select pg_catalog.txid_current() as x`))[0]?.x);
    await db.query(rowsOf('small', 300));
    const settled = await settleData(db, { excludeSchemas: [], connections: 1 });
    expect(settled.revacuumed).toEqual([]);
    expect(await readUnsettled(db, [])).toEqual([]);
  });

  it('waits for a session holding an old snapshot, then vacuums again what the first pass left', async () => {
    const db = database.db;
    await db.query(sql`create table public.held (id int primary key, body text)`);
    const holder = await holdSnapshot(db);
    await db.query(rowsOf('held', 2_000));
    // Without settleData, a VACUUM now leaves the rows not visible to all.
    await db.query(sql`vacuum public.held`);
    expect((await readUnsettled(db, [])).map((entry) => entry.relation)).toEqual(['public.held']);
    const timer = setTimeout(() => holder.release(), 400);
    try {
      const settled = await settleData(db, { excludeSchemas: [], waitMs: 20_000 });
      expect(settled.revacuumed).toEqual(['public.held']);
    } finally {
      clearTimeout(timer);
      holder.release();
      await holder.done;
    }
    expect(await readUnsettled(db, [])).toEqual([]);
  });

  it('fails, naming the table, its pages and the session, when the snapshot is still held after the wait', async () => {
    const db = database.db;
    await db.query(sql`create table public.held (id int primary key, body text)`);
    await db.query(sql`create schema skipped`);
    await db.query(sql`create table skipped.t (id int primary key, body text)`);
    const holder = await holdSnapshot(db);
    try {
      await db.query(rowsOf('held', 2_000));
      await db.query(sql`insert into skipped.t select k, 'x' from generate_series(1, 500) k`);
      const failure = await settleData(db, { excludeSchemas: ['skipped'], waitMs: 200 }).then(
        () => null,
        (error: unknown) => error as Error,
      );
      expect(failure?.message).toMatch(
        /^bench data is not settled: after VACUUM, pages of public\.held \((\d+) of \1 pages\) are still not all-visible \(sessions of this database hold an old snapshot: pid \d+ \(client backend, xmin \d+: /,
      );
      expect(failure?.message).not.toContain('\n');
      // An excluded schema is neither vacuumed nor checked.
      expect(failure?.message).not.toContain('skipped');
    } finally {
      holder.release();
      await holder.done;
    }
    expect(await settleData(db, { excludeSchemas: ['skipped'] })).toEqual({ revacuumed: [] });
    expect(await readUnsettled(db, ['skipped'])).toEqual([]);
    const vacuumed = await db.query(sql`select relname, last_vacuum is not null as vacuumed from pg_catalog.pg_stat_user_tables order by relname`);
    expect(vacuumed).toEqual([
      { relname: 'held', vacuumed: true },
      { relname: 't', vacuumed: false },
    ]);
  });
});
