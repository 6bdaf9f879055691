/**
 * UUID v7 (the project's expression, named in its catalogue) vs v4
 * (gen_random_uuid()) primary keys on event-log-shaped rows (a uuid key, a
 * uuid reference, two short texts, a small jsonb document, two timestamps):
 * two scratch tables of identical shape, the same N rows inserted set-based
 * into each in one run; insert time and the size of the primary-key index.
 * Scratch objects live in their own schema and are dropped afterwards.
 */
import { sql, type Queryable } from '@databases/pg';

export interface UuidVariantResult {
  readonly variant: 'v4' | 'v7';
  readonly defaultExpression: string;
  readonly rows: number;
  readonly insertMs: number;
  readonly rowsPerSecond: number;
  readonly pkIndexBytes: number;
  readonly tableBytes: number;
  /** Cost of generating N ids alone (no insert), to separate generation from B-tree cost. */
  readonly generateOnlyMs: number;
}

export interface UuidComparison {
  readonly rows: number;
  readonly v4: UuidVariantResult;
  readonly v7: UuidVariantResult;
  /** v4 PK index size / v7 PK index size. */
  readonly indexSizeRatio: number;
  /** v7 rows/s / v4 rows/s. */
  readonly insertRateRatio: number;
}

const scratch = 'schemaproof_uuid_bench';

const v4Expression = 'gen_random_uuid()';

async function variant(db: Queryable, kind: 'v4' | 'v7', rows: number, v7Expression: string): Promise<UuidVariantResult> {
  const table = `rows_${kind}`;
  const expression = kind === 'v4' ? v4Expression : v7Expression;
  // The project's own expression, from its catalogue (checked to be one expression).
  const idDefault = sql.__dangerous__rawValue(expression);
  await db.query(sql`
    create table ${sql.ident(scratch, table)} (
      id uuid not null default ${idDefault},
      ref uuid,
      tag text,
      kind text not null,
      body jsonb not null default '{}'::jsonb,
      happened timestamptz not null default now(),
      stamped timestamptz not null default now(),
      constraint ${sql.ident(`${table}_pkey`)} primary key (id))`);
  const generateStarted = performance.now();
  await db.query(sql`select count(${idDefault}) from generate_series(1, ${rows}::int)`);
  const generateOnlyMs = performance.now() - generateStarted;
  const started = performance.now();
  await db.query(sql`
    insert into ${sql.ident(scratch, table)} (ref, tag, kind, body, happened)
    select md5('u' || (i % 5000))::uuid, 's' || (i / 7), 'kind_' || (i % 20),
           jsonb_build_object('label', 'c' || (i % 500), 'value', i % 1000),
           now() - make_interval(secs => (${rows}::int - i) * 0.01)
      from generate_series(1, ${rows}::int) i`);
  const insertMs = performance.now() - started;
  const sizes = await db.query(sql`
    select pg_relation_size(${`${scratch}.${table}_pkey`}::regclass)::bigint as pk,
           pg_relation_size(${`${scratch}.${table}`}::regclass)::bigint as heap`);
  return {
    variant: kind,
    defaultExpression: expression,
    rows,
    insertMs: Math.round(insertMs),
    rowsPerSecond: Math.round((rows * 1000) / Math.max(insertMs, 1)),
    pkIndexBytes: Number(sizes[0]?.pk ?? 0),
    tableBytes: Number(sizes[0]?.heap ?? 0),
    generateOnlyMs: Math.round(generateOnlyMs),
  };
}

export async function compareUuidVersions(db: Queryable & { task?: unknown }, options: { readonly rows: number; readonly v7Expression: string }): Promise<UuidComparison> {
  const run = async (conn: Queryable): Promise<UuidComparison> => {
    await conn.query(sql`drop schema if exists ${sql.ident(scratch)} cascade`);
    await conn.query(sql`create schema ${sql.ident(scratch)}`);
    try {
      const v4 = await variant(conn, 'v4', options.rows, options.v7Expression);
      const v7 = await variant(conn, 'v7', options.rows, options.v7Expression);
      return {
        rows: options.rows,
        v4,
        v7,
        indexSizeRatio: Math.round((v4.pkIndexBytes / Math.max(v7.pkIndexBytes, 1)) * 100) / 100,
        insertRateRatio: Math.round((v7.rowsPerSecond / Math.max(v4.rowsPerSecond, 1)) * 100) / 100,
      };
    } finally {
      await conn.query(sql`drop schema if exists ${sql.ident(scratch)} cascade`);
    }
  };
  const pool = db as unknown as { task?: <T>(fn: (conn: Queryable) => Promise<T>) => Promise<T> };
  if (typeof pool.task === 'function') return pool.task((conn) => run(conn));
  return run(db);
}
