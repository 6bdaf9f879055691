/**
 * Reading `EXPLAIN (FORMAT JSON)` plans: the top node, every scan with its
 * relation and index, and the catalog facts needed to judge them (row
 * estimates per relation, partition indexes mapped to their root index).
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
  /** From the top node when ANALYZE/BUFFERS were on. */
  readonly executionMs: number | null;
  readonly sharedHitBlocks: number | null;
  readonly sharedReadBlocks: number | null;
}

export interface CatalogFacts {
  /** relation name → reltuples (planner's row estimate, -1 when never analyzed → 0). */
  readonly rows: ReadonlyMap<string, number>;
  /** index name → root index name. */
  readonly rootIndex: ReadonlyMap<string, string>;
}

export async function catalogFacts(db: Queryable): Promise<CatalogFacts> {
  const relations = await db.query(sql`
    select c.relname as name, greatest(c.reltuples, 0)::float8 as rows
      from pg_class c
     where c.relnamespace in ('public'::regnamespace, 'auth'::regnamespace, 'private'::regnamespace)
       and c.relkind in ('r', 'p', 'm')`);
  const indexes = await db.query(sql`
    select c.relname as name, coalesce(r.relname, c.relname) as root
      from pg_class c
      left join pg_class r on r.oid = pg_partition_root(c.oid)
     where c.relkind in ('i', 'I')
       and c.relnamespace in ('public'::regnamespace, 'auth'::regnamespace, 'private'::regnamespace)`);
  return {
    rows: new Map(relations.map((row) => [String(row.name), Number(row.rows)])),
    rootIndex: new Map(indexes.map((row) => [String(row.name), String(row.root)])),
  };
}

interface RawNode {
  readonly 'Node Type'?: string;
  readonly 'Relation Name'?: string;
  readonly 'Index Name'?: string;
  readonly 'Actual Total Time'?: number;
  readonly 'Shared Hit Blocks'?: number;
  readonly 'Shared Read Blocks'?: number;
  readonly Plans?: readonly RawNode[];
}

/** `explain (format json)` returns `[{ Plan: {...}, "Execution Time": n }]`. */
export function planShape(explainJson: unknown, facts: CatalogFacts): PlanShape {
  const document = (Array.isArray(explainJson) ? explainJson[0] : explainJson) as { Plan?: RawNode; 'Execution Time'?: number } | undefined;
  const root = document?.Plan;
  if (!root) throw new Error('not an EXPLAIN (FORMAT JSON) document');
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
    executionMs: document?.['Execution Time'] ?? null,
    sharedHitBlocks: root['Shared Hit Blocks'] ?? null,
    sharedReadBlocks: root['Shared Read Blocks'] ?? null,
  };
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
