/**
 * Reading `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` plans: the top node,
 * every scan with its relation and index, the work the executor did, and the
 * catalog facts needed to judge them (row estimates per relation, partition
 * indexes mapped to their root index).
 *
 * Work is what a verdict can rest on: for the same data and the same plan it
 * is the same number on an idle machine and on a busy one, unlike a time.
 *   - buffers: shared blocks hit + read by the execution (planning excluded:
 *     it depends on what the session's catalog caches already hold);
 *   - rows: rows each node produced or removed by a filter, times its loops;
 *   - function calls: calls of the database's own functions, counted by the
 *     server (track_functions = all, read from pg_stat_xact_user_functions in
 *     the same transaction) — an RLS helper called once per row is thousands
 *     of calls where the wrapped `(select helper())` is one, while the
 *     buffers are the same;
 *   - filter calls: function calls written in a node's per-row filter times
 *     the rows that filter examined (per-loop conditions times the loops) —
 *     the same signal for SQL functions the planner inlines (auth.uid()
 *     unwrapped shows up as two current_setting() calls per row), which no
 *     counter sees.
 */
import { sql, type Queryable } from '@databases/pg';

export interface PlanScan {
  readonly nodeType: string;
  readonly relation: string | null;
  /** Root index name (a partition's index is reported as its parent's). */
  readonly index: string | null;
}

export interface PlanShape {
  readonly topNode: string;
  readonly nodeTypes: readonly string[];
  readonly scans: readonly PlanScan[];
  readonly indexes: readonly string[];
  /** From the document when ANALYZE was on. */
  readonly executionMs: number | null;
  readonly sharedHitBlocks: number | null;
  readonly sharedReadBlocks: number | null;
}

/** Work done by one execution; see the module comment. */
export interface PlanWork {
  readonly buffers: number;
  readonly rows: number;
  /** null when the session may not set track_functions (not a superuser). */
  readonly functionCalls: number | null;
  readonly filterCalls: number;
  /** buffers + function calls + filter calls: the number the gates compare. */
  readonly total: number;
}

export interface CatalogFacts {
  /** relation name → reltuples (planner's row estimate, -1 when never analyzed → 0). */
  readonly rows: ReadonlyMap<string, number>;
  /** index name → root index name. */
  readonly rootIndex: ReadonlyMap<string, string>;
}

/**
 * Row estimates and root indexes of every relation outside the system
 * schemas. Keyed by name, as EXPLAIN names them; when two schemas hold a
 * relation of the same name the larger estimate is kept (the seq-scan gate
 * errs on the side of flagging).
 */
export async function catalogFacts(db: Queryable): Promise<CatalogFacts> {
  const system = sql`n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'`;
  const relations = await db.query(sql`
    select c.relname as name, max(greatest(c.reltuples, 0))::float8 as rows
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where ${system} and c.relkind in ('r', 'p', 'm')
     group by c.relname`);
  const indexes = await db.query(sql`
    select c.relname as name, coalesce(r.relname, c.relname) as root
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      left join pg_class r on r.oid = pg_partition_root(c.oid)
     where ${system} and c.relkind in ('i', 'I')`);
  return {
    rows: new Map(relations.map((row) => [String(row.name), Number(row.rows)])),
    rootIndex: new Map(indexes.map((row) => [String(row.name), String(row.root)])),
  };
}

interface RawNode {
  readonly 'Node Type'?: string;
  readonly 'Relation Name'?: string;
  readonly 'Index Name'?: string;
  readonly 'Actual Rows'?: number;
  readonly 'Actual Loops'?: number;
  readonly 'Rows Removed by Filter'?: number;
  readonly 'Rows Removed by Join Filter'?: number;
  readonly 'Rows Removed by Index Recheck'?: number;
  readonly 'Shared Hit Blocks'?: number;
  readonly 'Shared Read Blocks'?: number;
  readonly Filter?: string;
  readonly 'Join Filter'?: string;
  readonly 'Index Cond'?: string;
  readonly 'Order By'?: string;
  readonly Plans?: readonly RawNode[];
}

interface RawDocument {
  readonly Plan?: RawNode;
  readonly 'Execution Time'?: number;
}

function document(explainJson: unknown): RawDocument {
  const found = (Array.isArray(explainJson) ? explainJson[0] : explainJson) as RawDocument | undefined;
  if (!found?.Plan) throw new Error('not an EXPLAIN (FORMAT JSON) document');
  return found;
}

/** `explain (format json)` returns `[{ Plan: {...}, "Execution Time": n }]`. */
export function planShape(explainJson: unknown, facts: CatalogFacts): PlanShape {
  const doc = document(explainJson);
  const root = doc.Plan as RawNode;
  const nodeTypes: string[] = [];
  const scans: PlanScan[] = [];
  const walk = (node: RawNode): void => {
    const type = node['Node Type'] ?? '?';
    nodeTypes.push(type);
    if (node['Relation Name'] !== undefined || node['Index Name'] !== undefined) {
      const index = node['Index Name'] ?? null;
      scans.push({ nodeType: type, relation: node['Relation Name'] ?? null, index: index === null ? null : (facts.rootIndex.get(index) ?? index) });
    }
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(root);
  const indexes = [...new Set(scans.map((scan) => scan.index).filter((index): index is string => index !== null))];
  return {
    topNode: root['Node Type'] ?? '?',
    nodeTypes,
    scans,
    indexes,
    executionMs: doc['Execution Time'] ?? null,
    sharedHitBlocks: root['Shared Hit Blocks'] ?? null,
    sharedReadBlocks: root['Shared Read Blocks'] ?? null,
  };
}

/**
 * Function calls written in a deparsed plan expression: `name(` or
 * `schema.name(` in lower case (EXPLAIN prints functions in lower case and
 * SQL constructs such as COALESCE, NULLIF, ANY, ARRAY in upper case), after
 * string constants are blanked.
 */
export function functionCallsIn(expression: string): number {
  const withoutStrings = expression.replace(/'(?:[^']|'')*'/g, "''");
  const identifier = '(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)';
  const call = new RegExp(`(?<![\\w$."])${identifier}(?:\\.${identifier})?\\(`, 'g');
  return withoutStrings.match(call)?.length ?? 0;
}

/** Work of one EXPLAIN (ANALYZE, BUFFERS) execution; `functionCalls` comes from the server's counter. */
export function planWork(explainJson: unknown, functionCalls: number | null): PlanWork {
  const root = document(explainJson).Plan as RawNode;
  let rows = 0;
  let filterCalls = 0;
  const walk = (node: RawNode): void => {
    const loops = node['Actual Loops'] ?? 1;
    const examined = (node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Join Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0);
    rows += examined * loops;
    // Per-row conditions are evaluated on every row the node examined; index
    // conditions and orderings once per loop (per rescan).
    for (const key of ['Filter', 'Join Filter'] as const) {
      const expression = node[key];
      if (expression) filterCalls += functionCallsIn(expression) * examined * loops;
    }
    for (const key of ['Index Cond', 'Order By'] as const) {
      const expression = node[key];
      if (expression) filterCalls += functionCallsIn(expression) * loops;
    }
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(root);
  const buffers = (root['Shared Hit Blocks'] ?? 0) + (root['Shared Read Blocks'] ?? 0);
  rows = Math.round(rows);
  filterCalls = Math.round(filterCalls);
  return { buffers, rows, functionCalls, filterCalls, total: buffers + (functionCalls ?? 0) + filterCalls };
}

export interface SeqScan {
  readonly relation: string;
  readonly rows: number;
}

export function seqScans(shape: PlanShape, facts: CatalogFacts): SeqScan[] {
  const seen = new Map<string, number>();
  for (const scan of shape.scans) {
    if (scan.nodeType !== 'Seq Scan' || scan.relation === null) continue;
    seen.set(scan.relation, facts.rows.get(scan.relation) ?? 0);
  }
  return [...seen].map(([relation, rows]) => ({ relation, rows: Math.round(rows) }));
}
