/**
 * Run the catalogue against a loaded database. For each query:
 *   1. work: EXPLAIN (ANALYZE, BUFFERS) as its actor and as the RLS-bypassing
 *      actor on a connection of its own, one warm-up round then `workRuns`
 *      rounds; the least work seen is kept (a cold catalog cache only ever
 *      adds) and the rounds are reported as stable when they agree;
 *   2. plan checks on that plan: no seq scan over a large table, the expected
 *      indexes used;
 *   3. RLS overhead as work: the actor's work ÷ the bypassing actor's;
 *   4. timings (server planning + execution, EXPLAIN ANALYZE with TIMING OFF)
 *      as both actors, interleaved run by run — reported always, gated only
 *      when the project's config turns the timing gates on (with its reason).
 * Gates 1–3 give the same verdict on an idle and on a loaded machine.
 */
import { sql, type ConnectionPool, type SQLQuery, type Transaction } from '@databases/pg';
import { asActor, becomeActor, type Actor } from '../postgres/index.ts';
import type { Scale } from '../config/index.ts';
import { expectedIndexesAt, type Catalogue, type CatalogueQuery } from './catalogue.ts';
import { catalogFacts, planShape, planWork, seqScans, type CatalogFacts, type PlanShape, type PlanWork, type SeqScan } from './explain.ts';
import { prepareCatalogue, sessionActor, type PreparedQuery, type ResolvedActor } from './prepare.ts';
import { percentile, summarise, type TimingSummary } from './stats.ts';
import { asParameter, type Resolved } from './values.ts';

export interface BenchGates {
  /** A seq scan over a table with more estimated rows than this fails the query (not index-backed). */
  readonly seqScanRowLimit: number;
  /** RLS overhead: the actor's work (and, when timings are gated, time) at most this × the bypassing actor's. */
  readonly rlsRatio: number;
  /** The RLS work ratio applies when RLS adds more than this much work (buffers + function calls). */
  readonly rlsFloorWork: number;
  /** Baseline: this × the baseline's work fails a query ... */
  readonly workFactor: number;
  /** ... when the work also grew by more than this (a page or two more is not a regression). */
  readonly workFloor: number;
  /** Wall-time gates (p95 limits, time RLS ratio, baseline slowdown): off unless the project asks, with a reason. */
  readonly timingsGate: boolean;
  readonly timingsGateReason: string | null;
  readonly p95Ms: number;
  readonly aggregateP95Ms: number;
  readonly rlsFloorMs: number;
  readonly slowdownFactor: number;
}

export interface RunCatalogueOptions {
  readonly runs: number;
  readonly warmup: number;
  readonly gates: BenchGates;
  /** The catalogue's file, named in catalogue errors. */
  readonly file: string;
  /** Rounds of work measurement after the warm-up round (default 3). */
  readonly workRuns?: number;
  /**
   * A fresh single connection for the work measurement of one query (so each
   * query starts from the same session state, whatever ran before it);
   * default: one connection of `db` per query.
   */
  readonly connect?: () => ConnectionPool;
  /**
   * Planner settings applied (SET LOCAL) to the work runs and plan checks,
   * e.g. { enable_seqscan: 'off' } to show an index *can* serve a query on
   * tables too small for the planner to prefer it. Timings use defaults.
   */
  readonly plannerSettings?: Readonly<Record<string, string>>;
  /** Skip timings (work and plan checks only), e.g. in tests. */
  readonly timings?: boolean;
  /** Scale of the loaded data: at `small`, a query's `smallScale` expectation applies. */
  readonly scale?: Scale;
  readonly onProgress?: (message: string) => void;
}

export interface QueryBenchResult {
  readonly id: string;
  readonly title: string;
  readonly area: string | null;
  readonly actor: string;
  readonly aggregate: boolean;
  readonly params: Readonly<Record<string, string | null>>;
  readonly planNodes: { readonly top: string; readonly indexes: readonly string[]; readonly nodeTypes: readonly string[] };
  readonly seqScans: readonly SeqScan[];
  readonly expectedIndexes: readonly string[];
  readonly expectedIndexMissing: readonly string[];
  /** Expected indexes the default plan skipped on small tables but that serve the query with seq scans disabled. */
  readonly waivedIndexes: readonly string[];
  /** Work as the query's actor (least of the measured rounds). */
  readonly work: PlanWork | null;
  /** Work of the plan statement as the RLS-bypassing actor. */
  readonly bypassWork: PlanWork | null;
  /** Whether every measured round did the same work (false points at caching inside functions). */
  readonly workStable: boolean;
  readonly rlsWorkRatio: number | null;
  readonly rlsAddedWork: number | null;
  readonly executionMs: number | null;
  readonly timings: TimingSummary | null;
  readonly bypassTimings: TimingSummary | null;
  /** Median of run-by-run time ratios (actor ÷ bypassing); reported, gated only with timings. */
  readonly rlsTimeRatio: number | null;
  readonly passed: boolean;
  readonly failures: readonly string[];
}

export interface CatalogueRun {
  readonly actors: Readonly<Record<string, ResolvedActor>>;
  readonly bypassActor: string;
  readonly values: Readonly<Record<string, Resolved>>;
  /** Whether function calls were counted (track_functions needs a role allowed to set it). */
  readonly functionCallsCounted: boolean;
  readonly queries: readonly QueryBenchResult[];
}

type ExplainMode = 'plan' | 'timing';

/**
 * EXPLAIN (FORMAT JSON) of `query` as `actor`, rolled back: 'plan' only
 * plans; 'timing' runs it with TIMING OFF and the summary (see timeOnce).
 */
async function explain(db: ConnectionPool, actor: Actor, query: SQLQuery, settings: Readonly<Record<string, string>>, mode: ExplainMode): Promise<unknown> {
  const options = { plan: 'format json', timing: 'analyze, timing off, summary on, format json' }[mode];
  return asActor(
    db,
    actor,
    async (tx) => {
      for (const [name, value] of Object.entries(settings)) await tx.query(sql`select set_config(${name}, ${value}, true)`);
      const rows = await tx.query(sql`explain (${sql.__dangerous__rawValue(options)}) ${query}`);
      return rows[0]?.['QUERY PLAN'];
    },
    { rollback: true },
  );
}

interface WorkSample {
  readonly plan: unknown;
  readonly work: PlanWork;
}

/** A connection work can be measured on: a pool of one, or one connection of a pool. */
interface TxRunner {
  tx<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
}

class Rollback extends Error {
  constructor(readonly sample: WorkSample) {
    super('rollback');
  }
}

/**
 * One EXPLAIN (ANALYZE, BUFFERS) execution as `actor`, rolled back. With
 * `countCalls`, track_functions is set for the transaction and the calls the
 * statement made are read from pg_stat_xact_user_functions before and after
 * (the counters of the open transaction: exact, nothing sampled or timed).
 */
async function workOnce(conn: TxRunner, actor: Actor, query: SQLQuery, settings: Readonly<Record<string, string>>, countCalls: boolean): Promise<WorkSample> {
  const calls = sql`select coalesce(sum(calls), 0)::int as n from pg_stat_xact_user_functions`;
  try {
    await conn.tx(async (tx) => {
      let before = 0;
      if (countCalls) {
        await tx.query(sql`set local track_functions = 'all'`);
        before = Number((await tx.query(calls))[0]?.n ?? 0);
      }
      await becomeActor(tx, actor);
      for (const [name, value] of Object.entries(settings)) await tx.query(sql`select set_config(${name}, ${value}, true)`);
      const rows = await tx.query(sql`explain (analyze, buffers, format json) ${query}`);
      const plan = rows[0]?.['QUERY PLAN'];
      let functionCalls: number | null = null;
      if (countCalls) {
        await tx.query(sql`reset role`);
        functionCalls = Number((await tx.query(calls))[0]?.n ?? 0) - before;
      }
      throw new Rollback({ plan, work: planWork(plan, functionCalls) });
    });
  } catch (error) {
    if (error instanceof Rollback) return error.sample;
    throw error;
  }
  throw new Error('internal: the work transaction ended without a sample');
}

/** Whether this session may set track_functions (superuser, or GRANT SET ON PARAMETER). */
async function canCountCalls(db: ConnectionPool): Promise<boolean> {
  try {
    await db.tx(async (tx) => tx.query(sql`set local track_functions = 'all'`));
    return true;
  } catch {
    return false;
  }
}

interface SideWork {
  readonly best: WorkSample;
  readonly stable: boolean;
}

/** Work of each side on one connection: a warm-up round, then `rounds` rounds; the least work per side. */
async function measureSides(
  conn: TxRunner,
  sides: readonly { readonly actor: Actor; readonly statement: SQLQuery }[],
  settings: Readonly<Record<string, string>>,
  rounds: number,
  countCalls: boolean,
): Promise<SideWork[]> {
  const samples: WorkSample[][] = sides.map(() => []);
  for (let round = 0; round <= rounds; round += 1) {
    for (const [index, side] of sides.entries()) {
      const sample = await workOnce(conn, side.actor, side.statement, settings, countCalls);
      if (round > 0) samples[index]?.push(sample);
    }
  }
  return samples.map((list) => {
    const best = list.reduce((least, sample) => (sample.work.total < least.work.total ? sample : least));
    return { best, stable: list.every((sample) => sample.work.total === best.work.total) };
  });
}

/**
 * One timed run: the server's planning + execution time of the statement, as
 * EXPLAIN (ANALYZE, TIMING OFF) reports it. TIMING OFF leaves no per-node
 * clock calls, only row counting. Shipping the result to this process and
 * parsing it in JavaScript is left out on purpose: it depends on the client,
 * not on the schema.
 */
export async function timeOnce(db: ConnectionPool, actor: Actor, query: SQLQuery): Promise<number> {
  return serverMs(await explain(db, actor, query, {}, 'timing'));
}

/**
 * The RLS time ratio: the median of run-by-run ratios (as the actor ÷
 * bypassing RLS, the two measured back to back). Pairing cancels drift in
 * machine speed across the runs and the median drops the odd stalled run.
 */
export function pairedRatio(own: readonly number[], bypass: readonly number[]): number | null {
  const ratios = own
    .map((value, i) => value / (bypass[i] ?? Number.NaN))
    .filter((ratio) => Number.isFinite(ratio))
    .sort((a, b) => a - b);
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

function describeWork(work: PlanWork): string {
  return `${work.total} = ${work.buffers} buffers + ${work.functionCalls ?? 'uncounted'} function calls + ${work.filterCalls} filter calls`;
}

/** The deterministic RLS gate: fails when RLS adds more than the floor and more than the ratio allows, saying what grew. */
export function rlsWorkFinding(actorName: string, bypassName: string, work: PlanWork, bypassWork: PlanWork, gates: Pick<BenchGates, 'rlsRatio' | 'rlsFloorWork'>): string | null {
  const added = work.total - bypassWork.total;
  const ratio = bypassWork.total > 0 ? work.total / bypassWork.total : Number.POSITIVE_INFINITY;
  if (added <= gates.rlsFloorWork || ratio <= gates.rlsRatio) return null;
  const addedCalls = (work.functionCalls ?? 0) + work.filterCalls - (bypassWork.functionCalls ?? 0) - bypassWork.filterCalls;
  const addedBuffers = work.buffers - bypassWork.buffers;
  const causes: string[] = [];
  if (addedCalls > 0) causes.push(`${addedCalls} more function calls: a policy function evaluated per row? wrap it as (select fn()) so it runs once per statement`);
  if (addedBuffers > 0) causes.push(`${addedBuffers} more buffers: a policy condition the indexes do not serve, or a function reading a table per row?`);
  return `RLS work ratio ${Number.isFinite(ratio) ? ratio.toFixed(2) : '∞'} > ${gates.rlsRatio}: as ${actorName} ${describeWork(work)}; bypassing RLS as ${bypassName} ${describeWork(bypassWork)}; RLS adds ${added} > ${gates.rlsFloorWork} — ${causes.join('; ') || 'the work differs'}`;
}

function checkPlan(query: CatalogueQuery, shape: PlanShape, facts: CatalogFacts, gates: BenchGates, scale: Scale | undefined): { scans: SeqScan[]; missing: string[]; failures: string[] } {
  const scans = seqScans(shape, facts);
  const failures: string[] = [];
  for (const scan of scans) {
    if (scan.rows > gates.seqScanRowLimit) failures.push(`Seq Scan on ${scan.relation} (${scan.rows} rows > ${gates.seqScanRowLimit}): the query is not index-backed`);
  }
  const missing = expectedIndexesAt(query, scale).filter((index) => !shape.indexes.includes(index));
  return { scans, missing, failures };
}

function refusedResult(prepared: PreparedQuery, options: RunCatalogueOptions): QueryBenchResult {
  const { query } = prepared;
  return {
    id: query.id,
    title: query.title,
    area: query.area ?? null,
    actor: query.actor,
    aggregate: query.aggregate,
    params: Object.fromEntries(Object.entries(prepared.params).map(([name, value]) => [name, asParameter(value)])),
    planNodes: { top: '-', indexes: [], nodeTypes: [] },
    seqScans: [],
    expectedIndexes: expectedIndexesAt(query, options.scale),
    expectedIndexMissing: [],
    waivedIndexes: [],
    work: null,
    bypassWork: null,
    workStable: true,
    rlsWorkRatio: null,
    rlsAddedWork: null,
    executionMs: null,
    timings: null,
    bypassTimings: null,
    rlsTimeRatio: null,
    passed: false,
    failures: [`not run: the grants refuse it ${prepared.refused}`],
  };
}

async function runQuery(db: ConnectionPool, prepared: PreparedQuery, bypass: ResolvedActor, facts: CatalogFacts, countCalls: boolean, options: RunCatalogueOptions): Promise<QueryBenchResult> {
  if (prepared.refused) return refusedResult(prepared, options);
  const { query } = prepared;
  const settings = options.plannerSettings ?? {};
  const gates = options.gates;
  const actor = sessionActor(prepared.actor);
  const bypassActor = sessionActor(bypass);
  const planSeparate = query.plan !== undefined && prepared.planActor.name !== bypass.name;
  const sides = [
    { actor, statement: prepared.statement },
    { actor: bypassActor, statement: prepared.planStatement },
    ...(planSeparate ? [{ actor: sessionActor(prepared.planActor), statement: prepared.planStatement }] : []),
  ];
  const conn = options.connect ? options.connect() : null;
  let measured: SideWork[];
  try {
    measured = conn ? await measureSides(conn, sides, settings, options.workRuns ?? 3, countCalls) : await measureOnPooledConnection(db, sides, settings, options.workRuns ?? 3, countCalls);
  } finally {
    await conn?.dispose();
  }
  const [own, free, planned] = measured as [SideWork, SideWork, SideWork | undefined];
  // Plan checks read the statement the catalogue says to check: the query itself, or its `plan` statement.
  const planSample = query.plan ? (planned ?? free).best : own.best;
  const shape = planShape(planSample.plan, facts);
  const failures: string[] = [];
  const check = checkPlan(query, shape, facts, gates, options.scale);
  failures.push(...check.failures);
  const waived: string[] = [];
  const missing: string[] = [];
  if (check.missing.length > 0) {
    // Small tables: the planner may rightly prefer a seq scan. Show that the
    // index can serve the query (seq scans disabled); only then is it waived.
    const small = check.scans.length > 0 && check.scans.every((scan) => scan.rows <= gates.seqScanRowLimit);
    const planActor = query.plan ? sessionActor(prepared.planActor) : actor;
    const forced = small && settings.enable_seqscan !== 'off' ? planShape(await explain(db, planActor, prepared.planStatement, { ...settings, enable_seqscan: 'off' }, 'plan'), facts) : null;
    for (const index of check.missing) {
      if (forced?.indexes.includes(index)) waived.push(index);
      else missing.push(index);
    }
    for (const index of missing) failures.push(`expected index ${index} is not used (plan: ${shape.topNode}; indexes: ${shape.indexes.join(', ') || 'none'})`);
  }

  const work = own.best.work;
  const bypassWork = free.best.work;
  const rlsWorkRatio = bypassWork.total > 0 ? Math.round((work.total / bypassWork.total) * 100) / 100 : null;
  const rlsFinding = rlsWorkFinding(query.actor, bypass.name, work, bypassWork, gates);
  if (rlsFinding) failures.push(rlsFinding);

  let timings: TimingSummary | null = null;
  let bypassTimings: TimingSummary | null = null;
  let rlsTimeRatio: number | null = null;
  if (options.timings !== false) {
    for (let i = 0; i < options.warmup; i += 1) {
      await timeOnce(db, actor, prepared.statement);
      await timeOnce(db, bypassActor, prepared.planStatement);
    }
    const ownTimes: number[] = [];
    const bypassTimes: number[] = [];
    for (let i = 0; i < options.runs; i += 1) {
      // Alternate which goes first so neither side always gets the warmer cache.
      if (i % 2 === 0) {
        ownTimes.push(await timeOnce(db, actor, prepared.statement));
        bypassTimes.push(await timeOnce(db, bypassActor, prepared.planStatement));
      } else {
        bypassTimes.push(await timeOnce(db, bypassActor, prepared.planStatement));
        ownTimes.push(await timeOnce(db, actor, prepared.statement));
      }
    }
    timings = summarise(ownTimes);
    bypassTimings = summarise(bypassTimes);
    rlsTimeRatio = pairedRatio(ownTimes, bypassTimes);
    if (gates.timingsGate) {
      const limit = query.aggregate ? gates.aggregateP95Ms : gates.p95Ms;
      if (timings.p95 > limit) failures.push(`p95 ${timings.p95} ms > ${limit} ms${query.aggregate ? ' (aggregation gate)' : ''} (timing gate: ${gates.timingsGateReason ?? 'on'})`);
      if (rlsTimeRatio !== null && rlsTimeRatio > gates.rlsRatio && timings.p50 - bypassTimings.p50 > gates.rlsFloorMs) {
        failures.push(
          `RLS time ratio ${rlsTimeRatio} (p50 ${timings.p50} ms as ${query.actor} vs ${bypassTimings.p50} ms bypassing RLS) > ${gates.rlsRatio} and the overhead exceeds ${gates.rlsFloorMs} ms (timing gate: ${gates.timingsGateReason ?? 'on'})`,
        );
      }
    }
  }

  return {
    id: query.id,
    title: query.title,
    area: query.area ?? null,
    actor: query.actor,
    aggregate: query.aggregate,
    params: Object.fromEntries(Object.entries(prepared.params).map(([name, value]) => [name, asParameter(value)])),
    planNodes: { top: shape.topNode, indexes: shape.indexes, nodeTypes: shape.nodeTypes },
    seqScans: check.scans,
    expectedIndexes: expectedIndexesAt(query, options.scale),
    expectedIndexMissing: missing,
    waivedIndexes: waived,
    work,
    bypassWork,
    workStable: measured.every((side) => side.stable),
    rlsWorkRatio,
    rlsAddedWork: work.total - bypassWork.total,
    executionMs: planShape(own.best.plan, facts).executionMs,
    timings,
    bypassTimings,
    rlsTimeRatio,
    passed: failures.length === 0,
    failures,
  };
}

/** Without a fresh connection: one pooled connection for all rounds of a query. */
async function measureOnPooledConnection(
  db: ConnectionPool,
  sides: readonly { readonly actor: Actor; readonly statement: SQLQuery }[],
  settings: Readonly<Record<string, string>>,
  rounds: number,
  countCalls: boolean,
): Promise<SideWork[]> {
  return db.task(async (connection) => measureSides(connection, sides, settings, rounds, countCalls));
}

export async function runCatalogue(db: ConnectionPool, catalogue: Catalogue, queries: readonly CatalogueQuery[], options: RunCatalogueOptions): Promise<CatalogueRun> {
  const prepared = await prepareCatalogue(db, catalogue, queries, options.file);
  const facts = await catalogFacts(db);
  const countCalls = await canCountCalls(db);
  const results: QueryBenchResult[] = [];
  for (const query of prepared.queries) {
    options.onProgress?.(`${query.query.id} ${query.query.title}`);
    results.push(await runQuery(db, query, prepared.bypass, facts, countCalls, options));
  }
  return { actors: prepared.actors, bypassActor: prepared.bypass.name, values: prepared.values, functionCallsCounted: countCalls, queries: results };
}
