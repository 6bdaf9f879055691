/**
 * The recipe engine: runs a project's data recipe against a database with
 * set-based SQL only (no row is built in TypeScript), deterministically
 * from the seed, on a few pooled connections.
 *
 * What made generation fast is kept as features the recipe switches on per
 * table (measured history: notes/data-recipes.md):
 *   - `load.triggers: "off"`: the step loads with triggers off when the role
 *     may (superuser: session_replication_role = replica), skipping one RI
 *     lookup per row and foreign key and whatever row/statement triggers
 *     maintain. Afterwards every foreign key of such a table is checked by
 *     one anti-join (an orphan fails the run) and the step's `then` SQL
 *     re-derives, or with `expect` proves, what the skipped triggers keep;
 *   - `load.deferIndexes`: secondary indexes that back no constraint are
 *     dropped before the load and rebuilt from their catalog definition
 *     (and comment) once the table is loaded;
 *   - independent steps run at the same time on separate connections, the
 *     longest chain first; index builds start as soon as their table is
 *     loaded; every table is VACUUMed and ANALYZEd once all of it is done,
 *     and then every page must be all-visible (settle.ts), so the map an
 *     index-only scan reads is the same on every generation and no
 *     autovacuum changes it during a benchmark.
 * Without superuser (or with `triggers: 'on'`) every trigger fires as in
 * production and steps with triggers never overlap.
 *
 * Times are relative to the anchor (default: the start of the current UTC
 * day), so "the last 7 days" finds data; the same seed on the same day
 * gives identical rows.
 */
import { sql, type ConnectionPool, type Queryable } from '@databases/pg';
import type { Scale } from '../config/index.ts';
import { readDeferrableIndexes, readUserTables, type DeferredIndex } from './catalog.ts';
import { checkAgainstDatabase, tableKey } from './check.ts';
import { helperFunctions, scratchSchema } from './compile.ts';
import { planRecipe } from './plan.ts';
import { parentStep, sameTable, type Recipe, type TableStep } from './recipe.ts';
import { runTasks, type Task } from './schedule.ts';
import { settleData } from './settle.ts';
import { createStepRunner } from './steps.ts';

export interface GenerateOptions {
  readonly recipe: Recipe;
  readonly scale: Scale;
  readonly seed: number;
  /** Time the generated history ends at (default: the recipe's anchor, else the start of the current UTC day). */
  readonly anchor?: Date;
  /** Rows per step name, overriding the recipe (tests). */
  readonly rows?: Readonly<Record<string, number>>;
  /** 'auto' (default): steps that ask for it load with triggers off when the role is a superuser; 'on': every trigger fires. */
  readonly triggers?: 'auto' | 'on';
  /** Connections to spread independent steps over (default 2). */
  readonly connections?: number;
  readonly onProgress?: (event: GeneratedStep) => void;
  /** Schemas left out of the final VACUUM ANALYZE and row counts (the harness's bookkeeping). */
  readonly excludeSchemas?: readonly string[];
}

export interface GeneratedStep {
  readonly step: string;
  readonly rows: number;
  readonly ms: number;
}

export interface RecipeRun {
  readonly recipe: string;
  readonly scale: Scale;
  readonly seed: number;
  readonly anchor: string;
  /** Whether any step loaded with triggers off (and was then checked set-based). */
  readonly bulkPath: boolean;
  readonly steps: readonly GeneratedStep[];
  /** Exact rows per table after generation (every non-empty table, and every table the recipe names). */
  readonly counts: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

/** Start of the current UTC day, or the recipe's fixed date. */
export function anchorFor(recipe: Recipe, now: Date = new Date()): Date {
  if (recipe.anchor !== 'today') return new Date(`${recipe.anchor}T00:00:00Z`);
  return new Date(Math.floor(now.getTime() / 86_400_000) * 86_400_000);
}

/** Per-connection settings of a generation. */
async function setupConnection(connection: Queryable): Promise<void> {
  await connection.query(sql`set synchronous_commit = off`);
  await connection.query(sql`set work_mem = '256MB'`);
  await connection.query(sql`set maintenance_work_mem = '256MB'`).catch(() => undefined);
  // Date arithmetic on timestamptz follows the session time zone: fixed, so the rows do not depend on it.
  await connection.query(sql`set timezone = 'UTC'`);
}

export async function generateData(db: ConnectionPool, options: GenerateOptions): Promise<RecipeRun> {
  const started = performance.now();
  const { recipe, scale, seed } = options;
  const anchor = (options.anchor ?? anchorFor(recipe)).toISOString();
  const excluded = [scratchSchema, ...(options.excludeSchemas ?? [])];
  const tableSteps = recipe.steps.filter((step): step is TableStep => step.kind === 'table');

  // Checked against the database and planned before anything is written.
  const facts = await checkAgainstDatabase(db, recipe);
  const superuser = (await db.query(sql`select rolsuper from pg_catalog.pg_roles where rolname = current_user`))[0]?.rolsuper === true;
  const plan = planRecipe(recipe, facts, { scale, ...(options.rows ? { rows: options.rows } : {}), bulkAllowed: options.triggers !== 'on' && superuser });
  const deferred = new Map<string, DeferredIndex[]>();
  for (const stepPlan of plan.plans.values()) {
    if (!stepPlan.step.deferIndexes || stepPlan.skipped || !stepPlan.facts) continue;
    const key = `${stepPlan.facts.schema}.${stepPlan.facts.table}`;
    if (!deferred.has(key)) deferred.set(key, await readDeferrableIndexes(db, key));
  }

  const steps: GeneratedStep[] = [];
  const record = (name: string, rows: number, since: number) => {
    const entry = { step: name, rows, ms: Math.round(performance.now() - since) };
    steps.push(entry);
    options.onProgress?.(entry);
  };
  const runner = createStepRunner({ recipe, plan, facts, scale, seed, anchor, deferred, record });

  // ---- The task graph: steps, index rebuilds, checks, VACUUM ANALYZE -------
  const tasks: Task[] = [];
  const stepTask = (name: string) => `step:${name}`;
  const rowsOn = (table: string) => tableSteps.filter((step) => step.table !== null && sameTable(step.table, table)).reduce((sum, step) => sum + (plan.planOf(step.name).rows ?? 0), 0);
  for (const [index, step] of recipe.steps.entries()) {
    const earlier = recipe.steps.slice(0, index);
    if (step.kind === 'sql') {
      // Without "after", a SQL step may read anything written before it.
      const after = step.after ?? earlier.map((other) => other.name);
      tasks.push({ id: stepTask(step.name), dependsOn: after.map(stepTask), weight: 1, exclusive: true, run: (connection) => runner.sqlStep(connection, step) });
      continue;
    }
    const stepPlan = plan.planOf(step.name);
    const parents = [
      ...new Set(
        Object.values(step.parents)
          .map((parent) => parentStep(parent, recipe.steps, step)?.name)
          .filter((name): name is string => name !== undefined),
      ),
    ];
    // A step writing a table waits for earlier steps writing the same table.
    const sameTableSteps = earlier
      .filter((other): other is TableStep => other.kind === 'table' && other.table !== null && step.table !== null && sameTable(other.table, step.table))
      .map((other) => other.name);
    const rows = stepPlan.rows ?? plan.plans.get(parents[0] ?? '')?.rows ?? 1;
    tasks.push({
      id: stepTask(step.name),
      dependsOn: [...new Set([...parents, ...step.after, ...sameTableSteps])].map(stepTask),
      weight: step.cost ?? rows * (stepPlan.bulk ? 1 : 4) * (step.table === null ? 0.5 : 1),
      // Steps whose triggers fire never overlap: their triggers may write the same rows.
      exclusive: !stepPlan.bulk && step.table !== null,
      run: (connection) => runner.tableStep(connection, stepPlan),
    });
  }
  const loadIds = recipe.steps.map((step) => stepTask(step.name));
  // Index rebuilds, per table on one connection (builds of one table queue on its catalog rows), as soon as it is loaded.
  const rebuildIds = new Map<string, string>();
  for (const [table, indexes] of deferred) {
    if (indexes.length === 0) continue;
    const id = `indexes:${table}`;
    rebuildIds.set(table, id);
    tasks.push({
      id,
      dependsOn: tableSteps.filter((step) => step.table !== null && sameTable(step.table, table)).map((step) => stepTask(step.name)),
      weight: rowsOn(table) * indexes.length * 0.3,
      exclusive: false,
      run: (connection) => runner.rebuildIndexes(connection, table),
    });
  }
  // A SQL step reads what the steps before it wrote, so it also waits for
  // their tables' deferred indexes: a rebuild step that ran before the index
  // its anti-join needed was back went quadratic (527 s instead of 36 s at
  // medium, whenever the scheduler happened to pick that order). Only tables
  // written entirely by steps the SQL step already waits for (so no cycle
  // can form).
  for (const [position, task] of tasks.entries()) {
    const step = recipe.steps.find((candidate) => stepTask(candidate.name) === task.id);
    if (!step || step.kind !== 'sql') continue;
    const extra: string[] = [];
    for (const [table, id] of rebuildIds) {
      const writers = tableSteps.filter((other) => other.table !== null && sameTable(other.table, table)).map((other) => stepTask(other.name));
      if (writers.length > 0 && writers.every((writer) => task.dependsOn.includes(writer))) extra.push(id);
    }
    if (extra.length > 0) tasks[position] = { ...task, dependsOn: [...task.dependsOn, ...extra] };
  }
  tasks.push({ id: 'checks', dependsOn: loadIds, weight: 1, exclusive: true, run: (connection) => runner.checks(connection) });

  // ---- Run -------------------------------------------------------------------
  await db.query(sql`drop schema if exists ${sql.ident(scratchSchema)} cascade`);
  await db.query(sql`create schema ${sql.ident(scratchSchema)}`);
  try {
    for (const helper of helperFunctions(seed)) await db.query(helper);
    await runTasks(tasks, options.connections ?? 2, (work) =>
      db.task(async (connection) => {
        await setupConnection(connection);
        return work(connection);
      }),
    );
  } finally {
    await db.query(sql`drop schema if exists ${sql.ident(scratchSchema)} cascade`).catch(() => undefined);
  }
  // VACUUM (ANALYZE) every table once every write is done (settle.ts says why not sooner).
  await settleData(db, {
    excludeSchemas: excluded,
    connections: options.connections ?? 2,
    onVacuumed: (table, ms) => record(`vacuum analyze ${table}`, 1, performance.now() - ms),
  });

  const counts: Record<string, number> = {};
  const named = new Set(tableSteps.flatMap((step) => (step.table ? [tableKey(step.table)] : [])));
  for (const table of await readUserTables(db, excluded)) {
    const key = `${table.schema}.${table.table}`;
    const rows = Number((await db.query(sql`select count(*)::int8 as n from ${sql.ident(table.schema, table.table)}`))[0]?.n ?? 0);
    if (rows > 0 || named.has(key)) counts[key] = rows;
  }
  return {
    recipe: recipe.file,
    scale,
    seed,
    anchor,
    bulkPath: runner.bulkTables.size > 0,
    steps,
    counts,
    durationMs: Math.round(performance.now() - started),
  };
}
