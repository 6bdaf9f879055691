/**
 * Run the catalogue against a loaded database: for each query, the plan as
 * its production actor (`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`), the plan
 * checks, and timings as the actor and as a role that bypasses RLS,
 * interleaved run by run so both see the same cache and load. Timings are
 * server-side (planning + execution; see timeOnce).
 */
import { sql, type ConnectionPool, type SQLQuery } from '@databases/pg';
import { asActor, type Actor } from '../postgres/index.ts';
import type { Scale } from '../config/index.ts';
import { expectedIndexesAt, type CatalogueActor, type CatalogueQuery } from './catalogue.ts';
import { catalogFacts, planShape, seqScans, type CatalogFacts, type PlanShape, type SeqScan } from './explain.ts';
import { benchActors, pickParams, type PickerName } from './params.ts';
import { percentile, summarise, type TimingSummary } from './stats.ts';

export interface BenchGates {
  readonly p95Ms: number;
  readonly aggregateP95Ms: number;
  readonly rlsRatio: number;
  readonly rlsFloorMs: number;
  readonly slowdownFactor: number;
  readonly seqScanRowLimit: number;
  readonly timingsGate: boolean;
}

export interface RunCatalogueOptions {
  readonly runs: number;
  readonly warmup: number;
  readonly gates: BenchGates;
  /**
   * Planner settings applied (SET LOCAL) to the plan check only, e.g.
   * { enable_seqscan: 'off' } to show an index *can* serve a query on tables
   * too small for the planner to prefer it. Timings always use defaults.
   */
  readonly plannerSettings?: Readonly<Record<string, string>>;
  /** Skip timings (plan checks only), e.g. in tests. */
  readonly timings?: boolean;
  /** Scale of the loaded data: at `small`, a query's `smallScale` expectation applies. */
  readonly scale?: Scale;
  readonly onProgress?: (message: string) => void;
}

export interface QueryBenchResult {
  readonly id: string;
  readonly title: string;
  readonly area: string;
  readonly actor: CatalogueActor;
  readonly aggregate: boolean;
  readonly params: Readonly<Record<string, string | null>>;
  readonly planNodes: { readonly top: string; readonly indexes: readonly string[]; readonly nodeTypes: readonly string[] };
  readonly seqScans: readonly SeqScan[];
  readonly expectedIndexes: readonly string[];
  readonly expectedIndexMissing: readonly string[];
  /** Expected indexes the default plan skipped on small tables but that serve the query with seq scans disabled. */
  readonly waivedIndexes: readonly string[];
  readonly executionMs: number | null;
  readonly buffers: { readonly sharedHit: number | null; readonly sharedRead: number | null };
  readonly timings: TimingSummary | null;
  readonly bypassTimings: TimingSummary | null;
  readonly rlsRatio: number | null;
  readonly passed: boolean;
  readonly failures: readonly string[];
}

export interface CatalogueRun {
  readonly actors: { readonly heavyUserId: string | null; readonly adminUserId: string | null };
  readonly picked: Readonly<Record<string, string | null>>;
  readonly queries: readonly QueryBenchResult[];
}

const placeholder = /(?<![:\w]):([a-z][a-z0-9_]*)/g;

/** The catalogue SQL with its named parameters bound as values. */
export function boundQuery(text: string, values: Readonly<Record<string, string | null>>): SQLQuery {
  const parts: SQLQuery[] = [];
  let last = 0;
  for (const match of text.matchAll(placeholder)) {
    parts.push(sql.__dangerous__rawValue(text.slice(last, match.index)));
    parts.push(sql.value(values[match[1] as string] ?? null));
    last = (match.index ?? 0) + match[0].length;
  }
  parts.push(sql.__dangerous__rawValue(text.slice(last)));
  return sql.join(parts, sql``);
}

function actorFor(kind: CatalogueActor, ids: CatalogueRun['actors']): Actor {
  switch (kind) {
    case 'anon':
      return { kind: 'anon' };
    case 'service':
      return { kind: 'service' };
    case 'user':
      return { kind: 'user', id: ids.heavyUserId ?? '00000000-0000-0000-0000-000000000001' };
    case 'admin':
      return { kind: 'admin', id: ids.adminUserId ?? '00000000-0000-0000-0000-0000000000ad' };
  }
}

/** service_role has BYPASSRLS (Supabase semantics, and the shim's). */
const bypassActor: Actor = { kind: 'service' };

/**
 * EXPLAIN (FORMAT JSON) of `query` as `actor`, rolled back: 'plan' only
 * plans; 'analyze' runs it with buffers (the plan checks); 'timing' runs it
 * with TIMING OFF and the summary (the timed runs, see timeOnce).
 */
async function explain(db: ConnectionPool, actor: Actor, query: SQLQuery, settings: Readonly<Record<string, string>>, mode: 'plan' | 'analyze' | 'timing'): Promise<unknown> {
  const options = { plan: 'format json', analyze: 'analyze, buffers, format json', timing: 'analyze, timing off, summary on, format json' }[mode];
  return asActor(db, actor, async (tx) => {
    for (const [name, value] of Object.entries(settings)) {
      await tx.query(sql`select set_config(${name}, ${value}, true)`);
    }
    const rows = await tx.query(sql`explain (${sql.__dangerous__rawValue(options)}) ${query}`);
    return rows[0]?.['QUERY PLAN'];
  }, { rollback: true });
}

/**
 * One timed run: the server's planning + execution time of the statement, as
 * EXPLAIN (ANALYZE, TIMING OFF) reports it. TIMING OFF leaves no per-node
 * clock calls, only row counting. Shipping the result to this process and
 * parsing it in JavaScript is left out on purpose: it depends on the client
 * (for the 2,200-row answer of query 12 it tripled the measured time and,
 * through garbage-collection pauses, doubled its p95), not on the schema.
 */
export async function timeOnce(db: ConnectionPool, actor: Actor, query: SQLQuery): Promise<number> {
  return serverMs(await explain(db, actor, query, {}, 'timing'));
}

/**
 * The RLS ratio: the median of run-by-run ratios (as the actor ÷ bypassing
 * RLS, the two measured back to back). Pairing cancels drift in machine
 * speed across the runs and the median drops the odd stalled run; on this
 * shared 2-core machine the ratio of two independent medians moved by up to
 * 0.2 between runs of the same query (q06: 1.02-1.23).
 */
export function pairedRatio(own: readonly number[], bypass: readonly number[]): number | null {
  const ratios = own.map((value, i) => value / (bypass[i] ?? Number.NaN)).filter((ratio) => Number.isFinite(ratio)).sort((a, b) => a - b);
  if (ratios.length === 0) return null;
  return Math.round(percentile(ratios, 0.5) * 100) / 100;
}

/** Planning Time + Execution Time of an EXPLAIN ANALYZE (FORMAT JSON) result. */
export function serverMs(plan: unknown): number {
  const root = (Array.isArray(plan) ? plan[0] : plan) as { 'Planning Time'?: unknown; 'Execution Time'?: unknown } | undefined;
  const planning = root?.['Planning Time'];
  const execution = root?.['Execution Time'];
  if (typeof planning !== 'number' || typeof execution !== 'number') {
    throw new Error('internal: EXPLAIN ANALYZE returned no planning/execution time');
  }
  return planning + execution;
}

function checkPlan(query: CatalogueQuery, shape: PlanShape, facts: CatalogFacts, gates: BenchGates, scale: Scale | undefined): { scans: SeqScan[]; missing: string[]; failures: string[] } {
  const scans = seqScans(shape, facts);
  const failures: string[] = [];
  for (const scan of scans) {
    if (scan.rows > gates.seqScanRowLimit) {
      failures.push(`Seq Scan on ${scan.relation} (${scan.rows} rows > ${gates.seqScanRowLimit}): the query is not index-backed`);
    }
  }
  const missing = expectedIndexesAt(query, scale).filter((index) => !shape.indexes.includes(index));
  return { scans, missing, failures };
}

export async function runCatalogue(db: ConnectionPool, queries: readonly CatalogueQuery[], options: RunCatalogueOptions): Promise<CatalogueRun> {
  const facts = await catalogFacts(db);
  const actors = await benchActors(db);
  const pickerSet = new Set<PickerName>();
  for (const query of queries) for (const param of Object.values(query.params)) pickerSet.add(param.pick);
  const picked = await pickParams(db, pickerSet);
  const settings = options.plannerSettings ?? {};
  const results: QueryBenchResult[] = [];

  for (const query of queries) {
    options.onProgress?.(`${query.id} ${query.title}`);
    const values: Record<string, string | null> = {};
    for (const [name, param] of Object.entries(query.params)) values[name] = picked[param.pick] ?? null;
    const bound = boundQuery(query.sql, values);
    const actor = actorFor(query.actor, actors);
    const failures: string[] = [];
    for (const [name, value] of Object.entries(values)) {
      if (value === null) failures.push(`parameter ${name} (${query.params[name]?.pick}) found no value in the data`);
    }

    // Queries served by a SECURITY DEFINER function are planned through the statement it runs.
    const planStatement = query.plan ? boundQuery(query.plan.sql, values) : bound;
    const planActor = query.plan ? bypassActor : actor;
    const shape = planShape(await explain(db, planActor, planStatement, settings, 'analyze'), facts);
    const check = checkPlan(query, shape, facts, options.gates, options.scale);
    failures.push(...check.failures);
    const waived: string[] = [];
    const missing: string[] = [];
    if (check.missing.length > 0) {
      // Small tables: the planner may rightly prefer a seq scan. Show that the
      // index can serve the query (seq scans disabled); only then is it waived.
      const small = check.scans.length > 0 && check.scans.every((scan) => scan.rows <= options.gates.seqScanRowLimit);
      const forced = small && settings.enable_seqscan !== 'off'
        ? planShape(await explain(db, planActor, planStatement, { ...settings, enable_seqscan: 'off' }, 'plan'), facts)
        : null;
      for (const index of check.missing) {
        if (forced?.indexes.includes(index)) waived.push(index);
        else missing.push(index);
      }
      for (const index of missing) failures.push(`expected index ${index} is not used (plan: ${shape.topNode}; indexes: ${shape.indexes.join(', ') || 'none'})`);
    }

    let timings: TimingSummary | null = null;
    let bypassTimings: TimingSummary | null = null;
    let rlsRatio: number | null = null;
    if (options.timings !== false) {
      for (let i = 0; i < options.warmup; i += 1) {
        await timeOnce(db, actor, bound);
        await timeOnce(db, bypassActor, planStatement);
      }
      const own: number[] = [];
      const bypass: number[] = [];
      for (let i = 0; i < options.runs; i += 1) {
        // Alternate which goes first so neither side always gets the warmer cache.
        if (i % 2 === 0) {
          own.push(await timeOnce(db, actor, bound));
          bypass.push(await timeOnce(db, bypassActor, planStatement));
        } else {
          bypass.push(await timeOnce(db, bypassActor, planStatement));
          own.push(await timeOnce(db, actor, bound));
        }
      }
      timings = summarise(own);
      bypassTimings = summarise(bypass);
      rlsRatio = pairedRatio(own, bypass);
      if (options.gates.timingsGate) {
        const limit = query.aggregate ? options.gates.aggregateP95Ms : options.gates.p95Ms;
        if (timings.p95 > limit) failures.push(`p95 ${timings.p95} ms > ${limit} ms${query.aggregate ? ' (aggregation gate)' : ''}`);
        // A fixed per-query cost (evaluating auth.uid()/is_admin() once) dominates sub-millisecond
        // queries; the ratio gate applies when RLS adds more than rlsFloorMs at p50.
        if (rlsRatio !== null && rlsRatio > options.gates.rlsRatio && timings.p50 - bypassTimings.p50 > options.gates.rlsFloorMs) {
          failures.push(`RLS ratio ${rlsRatio} (p50 ${timings.p50} ms as ${query.actor} vs ${bypassTimings.p50} ms bypassing RLS) > ${options.gates.rlsRatio} and the overhead exceeds ${options.gates.rlsFloorMs} ms`);
        }
      }
    }

    results.push({
      id: query.id,
      title: query.title,
      area: query.area,
      actor: query.actor,
      aggregate: query.aggregate,
      params: values,
      planNodes: { top: shape.topNode, indexes: shape.indexes, nodeTypes: shape.nodeTypes },
      seqScans: check.scans,
      expectedIndexes: expectedIndexesAt(query, options.scale),
      expectedIndexMissing: missing,
      waivedIndexes: waived,
      executionMs: shape.executionMs,
      buffers: { sharedHit: shape.sharedHitBlocks, sharedRead: shape.sharedReadBlocks },
      timings,
      bypassTimings,
      rlsRatio,
      passed: failures.length === 0,
      failures,
    });
  }
  return { actors, picked, queries: results };
}
