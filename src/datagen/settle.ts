/**
 * Settling data before it is measured: once nothing writes any more, every
 * table is VACUUMed and ANALYZEd, and then every page of every table must be
 * all-visible. The plan gates compare the buffers a query touches with a
 * baseline; an index-only scan reads a heap page only where the visibility
 * map does not say all-visible, so a map that differs between two
 * generations of the same data changes the work (q03 at small scale: 6
 * buffers with the map set, 95 without) and with it the verdict.
 *
 * Two causes made it differ (measured: 4 small generations in a row left 1,
 * 9, 5 and 6 tables with pages not all-visible, different ones each time):
 *   - commits not yet in the WAL on disk. Generation commits with
 *     synchronous_commit off; a tuple's "xmin committed" hint bit may not
 *     be set before the commit record is flushed, and VACUUM marks a page
 *     all-visible only when every tuple has it. The tables written last
 *     were vacuumed before the WAL writer got there (its delay, longer on a
 *     busy machine). So one commit with synchronous_commit on flushes the
 *     WAL up to every earlier commit before the first VACUUM;
 *   - VACUUM overlapping writes: a table vacuumed while another connection
 *     ran a transaction older than the table's rows (an index build, a later
 *     step) cannot mark those rows visible to everyone. So VACUUM starts
 *     after every write has committed.
 * What is still not all-visible afterwards (another session in the database
 * holding an old snapshot, such as an autovacuum worker's ANALYZE; a buffer
 * pinned by the checkpointer) is vacuumed again once those sessions are
 * gone, and a table that still has such pages fails the run, naming it.
 */
import { sql, type ConnectionPool, type Queryable, type SQLQuery } from '@databases/pg';
import { isUserSchema, readUserTables } from './catalog.ts';
import { runTasks, type Task } from './schedule.ts';

export interface SettleOptions {
  /** Schemas neither vacuumed nor checked (scratch and bookkeeping schemas). */
  readonly excludeSchemas: readonly string[];
  /** Connections to spread the VACUUMs over (default 2). */
  readonly connections?: number;
  /** How long to wait for other sessions of the database that hold back the horizon (default 30 s). */
  readonly waitMs?: number;
  readonly onVacuumed?: (table: string, ms: number) => void;
}

export interface UnsettledRelation {
  readonly relation: string;
  readonly pages: number;
  readonly allVisible: number;
}

/** Extra VACUUM passes over what is still not all-visible before the run fails. */
const retries = 3;

export interface Settled {
  /** Relations the first VACUUM left with pages not all-visible, vacuumed again until they had none. */
  readonly revacuumed: readonly string[];
}

export async function settleData(db: ConnectionPool, options: SettleOptions): Promise<Settled> {
  await flushCommits(db);
  const tasks: Task[] = (await readUserTables(db, options.excludeSchemas)).map((table) => {
    const key = `${table.schema}.${table.table}`;
    return {
      id: key,
      dependsOn: [],
      weight: table.bytes,
      exclusive: false,
      run: async (connection) => {
        const since = performance.now();
        // INDEX_CLEANUP ON: never leave dead line pointers behind (the
        // default skips index vacuuming when few pages have them), as a page
        // holding one is not all-visible.
        await flushed(connection, sql`vacuum (analyze, index_cleanup on) ${sql.ident(table.schema, table.table)}`);
        options.onVacuumed?.(key, Math.round(performance.now() - since));
      },
    };
  });
  await runTasks(tasks, options.connections ?? 2, (work) => db.task(work));

  const revacuumed = new Set<string>();
  for (let pass = 1; ; pass++) {
    const unsettled = await readUnsettled(db, options.excludeSchemas);
    if (unsettled.length === 0) return { revacuumed: [...revacuumed] };
    // Waited for before a retry; after the last one only read, to name them.
    const holders = await waitForOlderSessions(db, pass > retries ? 0 : (options.waitMs ?? 30_000));
    if (pass > retries) {
      const pages = unsettled.map((entry) => `${entry.relation} (${entry.pages - entry.allVisible} of ${entry.pages} pages)`).join(', ');
      const why = holders.length > 0 ? `sessions of this database hold an old snapshot: ${holders.join('; ')}` : 'no other session of this database was running';
      throw new Error(`bench data is not settled: after VACUUM, pages of ${pages} are still not all-visible (${why}); query work would differ from run to run`);
    }
    await flushCommits(db);
    for (const entry of unsettled) revacuumed.add(entry.relation);
    await db.task(async (connection) => {
      for (const entry of unsettled) await flushed(connection, sql`vacuum (index_cleanup on) ${sql.__dangerous__rawValue(entry.relation)}`);
    });
  }
}

/** Flushes the WAL up to every commit made so far (see the header). */
async function flushCommits(db: Queryable): Promise<void> {
  await db.tx(async (tx) => {
    await tx.query(sql`set local synchronous_commit = on`);
    // A commit waits for the flush only when its transaction wrote WAL
    // before the commit record (an xid alone does not: txid_current() was
    // measured to leave the flush position where it was). A temporary
    // table's catalog rows are WAL any role may write.
    await tx.query(sql`create temporary table schemaproof_flush (x int) on commit drop`);
  });
}

/**
 * Runs a VACUUM with synchronous_commit on. The hint bit is checked against
 * the commit LSN the commit log keeps per group of 32 transactions: the
 * latest commit of the group. One asynchronous commit (an ANALYZE's, next to
 * the data's transaction ids) moves that LSN past the flushed WAL and keeps
 * the data's hint bits unset until the WAL writer catches up.
 */
async function flushed(connection: Queryable, statement: SQLQuery): Promise<void> {
  await connection.query(sql`set synchronous_commit = on`);
  try {
    await connection.query(statement);
  } finally {
    await connection.query(sql`reset synchronous_commit`);
  }
}

/** Leaf tables (partitions included) with pages VACUUM left not all-visible. */
export async function readUnsettled(db: Queryable, excludeSchemas: readonly string[]): Promise<UnsettledRelation[]> {
  const rows = await db.query(sql`
    select pg_catalog.format('%I.%I', n.nspname, c.relname) as relation, c.relpages, c.relallvisible
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'm') and c.relpages > c.relallvisible and ${isUserSchema(excludeSchemas)}
     order by 1`);
  return rows.map((row) => ({ relation: String(row.relation), pages: Number(row.relpages), allVisible: Number(row.relallvisible) }));
}

/**
 * Waits (up to `waitMs`) until no other session of this database holds a
 * snapshot or a transaction id; returns the ones still there, described.
 */
async function waitForOlderSessions(db: Queryable, waitMs: number): Promise<string[]> {
  const deadline = performance.now() + waitMs;
  for (;;) {
    const rows = await db.query(sql`
      select pid, backend_type, coalesce(backend_xid, backend_xmin)::text as horizon, left(query, 60) as query
        from pg_catalog.pg_stat_activity
       where datname = current_database() and pid <> pg_catalog.pg_backend_pid()
         and (backend_xmin is not null or backend_xid is not null)
       order by pid`);
    const holders = rows.map((row) => `pid ${String(row.pid)} (${String(row.backend_type)}, xmin ${String(row.horizon)}: ${String(row.query)})`);
    if (holders.length === 0 || performance.now() >= deadline) return holders;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
