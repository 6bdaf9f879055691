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
 *     loaded; every table is VACUUMed and ANALYZEd at the end (VACUUM sets
 *     the visibility map now, so no autovacuum changes index-only-scan
 *     costs during a benchmark).
 * Without superuser (or with `triggers: 'on'`) every trigger fires as in
 * production and steps with triggers never overlap.
 *
 * Times are relative to the anchor (default: the start of the current UTC
 * day), so "the last 7 days" finds data; the same seed on the same day
 * gives identical rows.
 */
import { sql, type ConnectionPool, type Queryable, type SQLQuery } from '@databases/pg';
import type { Scale } from '../config/index.ts';
import { SchemaproofError } from '../errors/index.ts';
import {
  checkForeignKeys,
  readDeferrableIndexes,
  readEnumLabels,
  readTable,
  readUserTables,
  type DeferredIndex,
  type TableFacts,
} from './catalog.ts';
import {
  buildSelect,
  closure,
  helperFunctions,
  inputsOf,
  pickExpression,
  renderStatement,
  scratch,
  scratchSchema,
  stepValues,
  type RowContext,
  type Scalars,
} from './compile.ts';
import {
  keyPath,
  parentStep,
  pickingAliases,
  qualifiedTable,
  sameTable,
  stepRows,
  valuePlaceholders,
  type JsonScalar,
  type Recipe,
  type SqlStep,
  type TableStep,
  type ValueSpec,
} from './recipe.ts';
import { runTasks, type Task } from './schedule.ts';

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

const statementProblem = (recipe: Recipe, path: readonly (string | number)[], error: unknown): SchemaproofError => {
  const message = (error as Error).message?.split('\n')[0] ?? String(error);
  return new SchemaproofError({ code: 'recipe_invalid', file: recipe.file, problems: [`${keyPath(path)}: ${message}`] }, { cause: error });
};

/** Start of the current UTC day, or the recipe's fixed date. */
export function anchorFor(recipe: Recipe, now: Date = new Date()): Date {
  if (recipe.anchor !== 'today') return new Date(`${recipe.anchor}T00:00:00Z`);
  return new Date(Math.floor(now.getTime() / 86_400_000) * 86_400_000);
}

interface Plan {
  readonly step: TableStep;
  readonly index: number;
  /** Rows at this scale (null: follows from the parents' counts). */
  readonly rows: number | null;
  /** Values kept in a scratch table for later steps (null: none); filled while planning. */
  keep: Set<string> | null;
  readonly facts: TableFacts | null;
  readonly bulk: boolean;
  readonly skipped: boolean;
}

function describeValue(value: JsonScalar | undefined): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

export async function generateData(db: ConnectionPool, options: GenerateOptions): Promise<RecipeRun> {
  const started = performance.now();
  const { recipe, scale, seed } = options;
  const anchor = (options.anchor ?? anchorFor(recipe)).toISOString();
  const excluded = [scratchSchema, ...(options.excludeSchemas ?? [])];
  const tableSteps = recipe.steps.filter((step): step is TableStep => step.kind === 'table');
  const indexOf = new Map(recipe.steps.map((step, index) => [step.name, index]));

  // ---- Validate against the database (nothing is written yet) -------------
  const problems: string[] = [];
  const facts = new Map<string, TableFacts>();
  const tableFacts = async (name: string, path: readonly (string | number)[]): Promise<TableFacts | null> => {
    const key = `${qualifiedTable(name).schema}.${qualifiedTable(name).table}`;
    const known = facts.get(key);
    if (known) return known;
    const read = await readTable(db, name);
    if (!read) {
      problems.push(`${keyPath(path)}: unknown table ${JSON.stringify(name)}`);
      return null;
    }
    facts.set(key, read);
    return read;
  };
  const enumSizes = new Map<string, number>();
  const checkEnums = async (spec: ValueSpec, path: readonly (string | number)[]) => {
    if (spec.kind === 'choice' && spec.enumType) {
      const labels = await readEnumLabels(db, spec.enumType);
      if (!labels) problems.push(`${keyPath([...path, 'choice', 'enum'])}: unknown enum type ${JSON.stringify(spec.enumType)}`);
      else {
        enumSizes.set(spec.enumType, labels.length);
        if (spec.weights && spec.weights.length !== labels.length) problems.push(`${keyPath([...path, 'weights'])}: ${spec.weights.length} weights for the ${labels.length} labels of ${spec.enumType}`);
      }
    }
    for (const [key, inner] of Object.entries(spec.kind === 'json' ? spec.object ?? {} : {})) await checkEnums(inner, [...path, 'json', key]);
    for (const [index, inner] of (spec.kind === 'json' ? spec.array ?? [] : []).entries()) await checkEnums(inner, [...path, 'json', index]);
  };
  const unlessTables = new Map<string, boolean>();
  for (const step of recipe.steps) {
    const base = ['steps', step.name];
    if (step.unlessRowsIn && !unlessTables.has(step.unlessRowsIn)) {
      const target = await tableFacts(step.unlessRowsIn, [...base, 'unlessRowsIn']);
      if (target) {
        const rows = await db.query(sql`select exists (select 1 from ${sql.ident(target.schema, target.table)}) as found`);
        unlessTables.set(step.unlessRowsIn, rows[0]?.found === true);
      }
    }
    if (step.kind !== 'table') continue;
    if (step.table) {
      const target = await tableFacts(step.table, [...base, 'table']);
      if (target) {
        for (const column of Object.keys(step.columns)) {
          const column_ = target.columns.get(column);
          if (!column_) problems.push(`${keyPath([...base, 'columns', column])}: ${target.schema}.${target.table} has no column ${JSON.stringify(column)}`);
          else if (column_.generated) problems.push(`${keyPath([...base, 'columns', column])}: ${column} is a generated column; the database computes it`);
        }
      }
    }
    for (const [alias, parent] of Object.entries(step.parents)) {
      if (parent.table === null) continue;
      const target = await tableFacts(parent.table, [...base, 'parents', alias, 'table']);
      if (!target) continue;
      for (const column of parent.orderBy ?? []) {
        if (!target.columns.has(column)) problems.push(`${keyPath([...base, 'parents', alias, 'orderBy'])}: ${parent.table} has no column ${JSON.stringify(column)}`);
      }
      const source = parentStep(parent, recipe.steps, step);
      if (source) continue;
      if (target.primaryKey.length === 0 && !parent.orderBy) problems.push(`${keyPath([...base, 'parents', alias, 'table'])}: ${parent.table} has no primary key to rank its rows by; name columns in "orderBy"`);
      for (const placeholder of [...Object.values(step.lets), ...Object.values(step.columns)].flatMap(valuePlaceholders)) {
        if (placeholder.kind === 'parent' && placeholder.alias === alias && placeholder.column !== 'idx' && !target.columns.has(placeholder.column)) {
          problems.push(`${keyPath([...base, 'parents', alias])}: ${parent.table} has no column ${JSON.stringify(placeholder.column)} (used as {${alias}.${placeholder.column}})`);
        }
      }
    }
    for (const [name, spec] of Object.entries(step.lets)) await checkEnums(spec, [...base, 'let', name]);
    for (const [name, spec] of Object.entries(step.columns)) await checkEnums(spec, [...base, 'columns', name]);
  }
  if (problems.length > 0) throw new SchemaproofError({ code: 'recipe_invalid', file: recipe.file, problems: [...new Set(problems)] });

  // ---- Plan ------------------------------------------------------------------
  const superuser = (await db.query(sql`select rolsuper from pg_catalog.pg_roles where rolname = current_user`))[0]?.rolsuper === true;
  const bulkAllowed = options.triggers !== 'on' && superuser;
  const skipped = new Set(recipe.steps.filter((step) => step.unlessRowsIn && unlessTables.get(step.unlessRowsIn)).map((step) => step.name));
  const plans = new Map<string, Plan>();
  for (const step of tableSteps) {
    plans.set(step.name, {
      step,
      index: indexOf.get(step.name) ?? 0,
      rows: stepRows(step, scale, options.rows),
      keep: step.table === null ? new Set(stepValues(step).keys()) : null,
      facts: step.table ? facts.get(`${qualifiedTable(step.table).schema}.${qualifiedTable(step.table).table}`) ?? null : null,
      bulk: bulkAllowed && step.triggers === 'off',
      skipped: skipped.has(step.name),
    });
  }
  // Where each parent's rows come from: a generated step's kept values, or the table itself.
  type Source = { readonly kind: 'kept'; readonly step: string } | { readonly kind: 'table'; readonly table: string; readonly orderBy: readonly string[] | null; readonly columns: Set<string> };
  const planOf = (name: string): Plan => plans.get(name) as Plan;
  const tableSources = new Map<string, { table: string; orderBy: readonly string[] | null; columns: Set<string> }>();
  const sources = new Map<string, Map<string, Source>>();
  for (const step of tableSteps) {
    const perAlias = new Map<string, Source>();
    const needed = inputsOf(step, stepValues(step).keys()).parents;
    for (const [alias, parent] of Object.entries(step.parents)) {
      const columns = [...(needed.get(alias) ?? [])].filter((column) => column !== 'idx');
      if (step.each?.parent === alias && step.each.count.kind === 'value') columns.push(step.each.count.name);
      const generating = parentStep(parent, recipe.steps, step);
      const plan = generating ? plans.get(generating.name) : undefined;
      if (plan && !plan.skipped) {
        plan.keep ??= new Set<string>();
        for (const name of columns) plan.keep.add(name);
        perAlias.set(alias, { kind: 'kept', step: plan.step.name });
        continue;
      }
      const table = parent.table ?? '';
      // One pick list per table and ranking.
      const key = `${qualifiedTable(table).schema}.${qualifiedTable(table).table}/${(parent.orderBy ?? []).join(',')}`;
      const entry = tableSources.get(key) ?? { table, orderBy: parent.orderBy, columns: new Set<string>() };
      tableSources.set(key, entry);
      for (const column of columns) entry.columns.add(column);
      perAlias.set(alias, { kind: 'table', table: entry.table, orderBy: entry.orderBy, columns: entry.columns });
    }
    sources.set(step.name, perAlias);
  }
  for (const plan of plans.values()) if (plan.keep) plan.keep = closure(plan.step, plan.keep);

  const scalars = (own: TableStep | null): Scalars => ({
    seed,
    anchor,
    rows: (name) => {
      const plan = planOf(name ?? own?.name ?? '');
      if (!plan || plan.rows === null) throw new SchemaproofError({ code: 'recipe_invalid', file: recipe.file, problems: [`${keyPath(['steps', own?.name ?? '?'])}: {rows${name ? `:${name}` : ''}} is not known before the step runs (a fan-out counted by a parent value)`] });
      return plan.rows;
    },
    param: (name) => recipe.params[name]?.[scale] ?? Number.NaN,
  });
  const rowContext = (step: TableStep): RowContext => ({ step, scalars: scalars(step), enumSize: (type) => enumSizes.get(type) ?? 0 });

  // Deferred indexes, read before any is dropped.
  const deferred = new Map<string, DeferredIndex[]>();
  for (const plan of plans.values()) {
    if (!plan.step.table || !plan.step.deferIndexes || plan.skipped || !plan.facts) continue;
    const key = `${plan.facts.schema}.${plan.facts.table}`;
    if (!deferred.has(key)) deferred.set(key, await readDeferrableIndexes(db, key));
  }

  // ---- Tasks -----------------------------------------------------------------
  const steps: GeneratedStep[] = [];
  const record = (name: string, rows: number, since: number) => {
    const entry = { step: name, rows, ms: Math.round(performance.now() - since) };
    steps.push(entry);
    options.onProgress?.(entry);
  };
  const bulkTables = new Set<string>();
  const tableKey = (plan: Plan) => (plan.facts ? `${plan.facts.schema}.${plan.facts.table}` : '');
  const droppedIndexes = new Set<string>();
  const pickLists = new Map<string, Promise<{ name: string; rows: number }>>();

  const tablePickList = (connection: Queryable, source: Extract<Source, { kind: 'table' }>): Promise<{ name: string; rows: number }> => {
    const tableName = `${qualifiedTable(source.table).schema}.${qualifiedTable(source.table).table}`;
    const key = `${tableName}/${(source.orderBy ?? []).join(',')}`;
    const existing = pickLists.get(key);
    if (existing) return existing;
    const created = (async () => {
      const target = facts.get(tableName) as TableFacts;
      const ranking = source.orderBy ?? target.primaryKey;
      const name = `table_${pickLists.size}`;
      const columns = [...source.columns].map((column) => sql`t.${sql.ident(column)}`);
      await connection.query(sql`
        create unlogged table ${scratch(name)} as
        select (row_number() over (order by ${sql.join(ranking.map((column) => sql`t.${sql.ident(column)}`), sql`, `)}) - 1)::int8 as idx
               ${columns.length > 0 ? sql`, ${sql.join(columns, sql`, `)}` : sql``}
          from ${sql.ident(target.schema, target.table)} t`);
      await connection.query(sql`alter table ${scratch(name)} add primary key (idx)`);
      await connection.query(sql`analyze ${scratch(name)}`);
      const rows = await connection.query(sql`select count(*)::int8 as n from ${scratch(name)}`);
      return { name, rows: Number(rows[0]?.n ?? 0) };
    })();
    pickLists.set(key, created);
    return created;
  };
  const keptName = (plan: Plan) => `keep_${plan.index}`;
  const countName = (plan: Plan) => `n_${plan.index}`;

  /** Level 0 of a phase: row source, parent joins, child counts, and the base column list. */
  const levelZero = async (connection: Queryable, plan: Plan, phase: 'series' | 'kept', values: Set<string>): Promise<{ source: SQLQuery; baseColumns: SQLQuery[] }> => {
    const { step } = plan;
    const fanOut = step.each;
    let from: SQLQuery;
    let index: SQLQuery;
    let parentIndex: SQLQuery | null = null;
    const baseColumns: SQLQuery[] = [];
    if (phase === 'kept') {
      from = sql`${scratch(keptName(plan))} g`;
      index = sql`g.idx`;
      baseColumns.push(sql`g.idx as i`);
      if (fanOut) {
        baseColumns.push(sql`g.k`, sql`g.parent_idx`);
        parentIndex = sql`g.parent_idx`;
      }
      for (const name of plan.keep ?? []) baseColumns.push(sql`g.${sql.ident(name)}`);
    } else if (fanOut) {
      from = sql`${scratch(countName(plan))} c cross join lateral generate_series(0::int8, c.n - 1) as g(k)`;
      index = sql`(c.first + g.k)`;
      parentIndex = sql`c.idx`;
      baseColumns.push(sql`c.first + g.k as i`, sql`g.k as k`, sql`c.idx as parent_idx`);
    } else {
      from = sql`generate_series(0::int8, ${plan.rows ?? 0}::int8 - 1) as g(i)`;
      index = sql`g.i`;
      baseColumns.push(sql`g.i`);
    }
    const joins: SQLQuery[] = [];
    const inputs = inputsOf(step, values);
    const perAlias = sources.get(step.name) ?? new Map<string, Source>();
    for (const [alias, columns] of inputs.parents) {
      const parent = step.parents[alias];
      const source = perAlias.get(alias);
      if (!parent || !source) continue;
      let list: SQLQuery;
      let size: number;
      if (source.kind === 'kept') {
        list = scratch(keptName(planOf(source.step)));
        const rows = await connection.query(sql`select count(*)::int8 as n from ${list}`);
        size = Number(rows[0]?.n ?? 0);
      } else {
        const made = await tablePickList(connection, source);
        list = scratch(made.name);
        size = made.rows;
      }
      const joined = sql.ident(`p:${alias}`);
      if (fanOut?.parent === alias) {
        joins.push(sql`join ${list} ${joined} on ${joined}.idx = ${parentIndex ?? sql`null`}`);
      } else {
        const pick = pickExpression(step, alias, parent, size, index);
        joins.push(parent.nullRate > 0 ? sql`left join ${list} ${joined} on ${joined}.idx = ${pick}` : sql`join ${list} ${joined} on ${joined}.idx = ${pick}`);
      }
      for (const column of columns) baseColumns.push(sql`${joined}.${sql.ident(column)} as ${sql.ident(`${alias}.${column}`)}`);
    }
    for (const childName of inputs.counts) {
      const child = planOf(childName);
      const [alias] = pickingAliases(child.step, step, recipe.steps);
      const parent = child.step.parents[alias ?? ''];
      if (!alias || !parent) throw new Error(`internal: ${childName} picks nothing from ${step.name}`);
      const counted = sql.ident(`c:${childName}`);
      const pick = pickExpression(child.step, alias, parent, plan.rows ?? 0, sql`x.i`);
      joins.push(sql`left join (select ${pick} as idx, count(*)::int8 as n from generate_series(0::int8, ${child.rows ?? 0}::int8 - 1) as x(i) group by 1) ${counted} on ${counted}.idx = ${index}`);
      baseColumns.push(sql`${counted}.n as ${sql.ident(`#count:${childName}`)}`);
    }
    return { source: sql`${from} ${sql.join(joins, sql` `)}`, baseColumns };
  };

  const fanOutCounts = async (connection: Queryable, plan: Plan): Promise<void> => {
    const fanOut = plan.step.each;
    if (!fanOut) return;
    const source = sources.get(plan.step.name)?.get(fanOut.parent);
    if (!source) throw new Error(`internal: no source for ${plan.step.name}.${fanOut.parent}`);
    const list = source.kind === 'kept' ? scratch(keptName(planOf(source.step))) : scratch((await tablePickList(connection, source)).name);
    const target = scratch(countName(plan));
    if (fanOut.count.kind === 'value') {
      await connection.query(sql`
        create unlogged table ${target} as
        select idx, n, (sum(n) over (order by idx) - n)::int8 as first
          from (select p.idx, greatest(0, coalesce((p.${sql.ident(fanOut.count.name)})::int8, 0)) as n from ${list} p) x`);
    } else {
      // Children per parent ∝ 1/(rank+1)^s, each parent at least `min`, at
      // most `max`, exactly `rows` in total: the heaviest ranks are capped
      // at max while their share would exceed it, the rest share the
      // remainder by cumulative floors (which sum exactly).
      const { exponent, min, max } = fanOut.count;
      const total = plan.rows ?? 0;
      const parents = Number((await connection.query(sql`select count(*)::int8 as n from ${list}`))[0]?.n ?? 0);
      if (total < parents * min || total > parents * max) {
        throw new SchemaproofError({ code: 'recipe_invalid', file: recipe.file, problems: [`${keyPath(['steps', plan.step.name, 'each', 'count'])}: ${total} rows cannot be spread over ${parents} parents with ${min} to ${max} each`] });
      }
      await connection.query(sql`
        create unlogged table ${target} as
        with w as (
          select p.idx, (p.idx + 1)::float8 ^ (-${exponent}::float8) as w from ${list} p
        ), s as (
          select idx, w, sum(w) over (order by idx desc) as suffix from w
        ), capped as (
          select coalesce(min(idx), ${parents}::int8) as m from s
           where (${total - parents * min}::float8 - idx * ${max - min}::float8) * w / suffix <= ${Math.max(0, max - min - 1)}::float8
        ), spread as (
          select s.idx, s.w, c.m,
                 ${total - parents * min}::int8 - c.m * ${max - min}::int8 as extra,
                 sum(s.w) over (order by s.idx) - coalesce(sum(s.w) filter (where s.idx < c.m) over (), 0) as cum,
                 sum(s.w) filter (where s.idx >= c.m) over () as weight
            from s cross join capped c
        ), previous as (
          select spread.*, case when idx <= m then 0 else lag(cum) over (order by idx) end as before from spread
        ), n as (
          select idx,
                 ${min}::int8 + case
                   when idx < m then ${max - min}::int8
                   when idx = ${parents - 1}::int8 then extra - greatest(0, floor(extra * before / weight))::int8
                   else greatest(0, floor(extra * cum / weight))::int8 - greatest(0, floor(extra * before / weight))::int8
                 end as n
            from previous
        )
        select idx, n, (sum(n) over (order by idx) - n)::int8 as first from n`);
    }
    await connection.query(sql`alter table ${target} add primary key (idx)`);
  };

  const runTableStep = async (connection: Queryable, plan: Plan): Promise<void> => {
    const since = performance.now();
    const { step } = plan;
    const context = rowContext(step);
    const base = ['steps', step.name];
    if (plan.skipped) {
      record(`${step.name} (skipped: ${step.unlessRowsIn} has rows)`, 0, since);
      return;
    }
    const key = tableKey(plan);
    for (const index of deferred.get(key) ?? []) {
      if (droppedIndexes.has(`${index.schema}.${index.name}`)) continue;
      droppedIndexes.add(`${index.schema}.${index.name}`);
      await connection.query(sql`drop index ${sql.ident(index.schema, index.name)}`);
    }
    if (plan.bulk) {
      bulkTables.add(key);
      await connection.query(sql`set session_replication_role = replica`);
    }
    let rows = 0;
    try {
      await fanOutCounts(connection, plan);
      const all = new Set(stepValues(step).keys());
      let available = new Set<string>();
      if (plan.keep) {
        const keep = plan.keep;
        const zero = await levelZero(connection, plan, 'series', keep);
        const select = buildSelect({ ...zero, compute: keep, available, order: [] }, context);
        const kept = [...keep].map((name) => sql`r.${sql.ident(name)}`);
        const extra = step.each ? [sql`r.k`, sql`r.parent_idx`] : [];
        await connection.query(sql`
          create unlogged table ${scratch(keptName(plan))} as
          select ${sql.join([sql`r.i as idx`, ...extra, ...kept], sql`, `)} from (${select}) r`);
        await connection.query(sql`alter table ${scratch(keptName(plan))} add primary key (idx)`);
        await connection.query(sql`analyze ${scratch(keptName(plan))}`);
        available = keep;
        rows = Number((await connection.query(sql`select count(*)::int8 as n from ${scratch(keptName(plan))}`))[0]?.n ?? 0);
      }
      if (plan.facts) {
        const compute = new Set([...all].filter((name) => !available.has(name)));
        const zero = await levelZero(connection, plan, plan.keep ? 'kept' : 'series', compute);
        const select = buildSelect({ ...zero, compute, available, order: step.order }, context);
        const facts_ = plan.facts;
        const columns = Object.keys(step.columns);
        const casts = columns.map((column) => sql`(r.${sql.ident(column)})::${sql.__dangerous__rawValue(facts_.columns.get(column)?.type ?? 'text')}`);
        const overriding = columns.some((column) => facts_.columns.get(column)?.identityAlways) ? sql`overriding system value` : sql``;
        const conflict = step.onConflict === 'ignore' ? sql`on conflict do nothing` : sql``;
        const inserted = await connection.query(sql`
          with inserted as (
            insert into ${sql.ident(facts_.schema, facts_.table)} (${sql.join(columns.map((column) => sql.ident(column)), sql`, `)}) ${overriding}
            select ${sql.join(casts, sql`, `)} from (${select}) r
            ${conflict}
            returning 1)
          select count(*)::int8 as n from inserted`);
        rows = Number(inserted[0]?.n ?? 0);
      }
    } catch (error) {
      if (error instanceof SchemaproofError) throw error;
      throw statementProblem(recipe, base, error);
    } finally {
      if (plan.bulk) await connection.query(sql`reset session_replication_role`);
    }
    record(step.name, rows, since);
  };

  const runSqlStep = async (connection: Queryable, step: SqlStep): Promise<void> => {
    const since = performance.now();
    if (skipped.has(step.name)) {
      record(`${step.name} (skipped: ${step.unlessRowsIn} has rows)`, 0, since);
      return;
    }
    let result: unknown[];
    try {
      result = await connection.query(renderStatement(step.sql, scalars(null)));
    } catch (error) {
      throw statementProblem(recipe, ['steps', step.name, 'sql'], error);
    }
    if (step.expect !== undefined) expectFirst(result, step.expect, ['steps', step.name, 'expect']);
    record(step.name, result.length, since);
  };

  const expectFirst = (result: unknown[], expected: JsonScalar, path: readonly (string | number)[]) => {
    const first = result[0] as Record<string, unknown> | undefined;
    const value = first ? Object.values(first)[0] : undefined;
    const actual = typeof value === 'bigint' ? Number(value) : value;
    if (actual === undefined || String(actual) !== String(expected)) {
      throw new SchemaproofError({ code: 'recipe_invalid', file: recipe.file, problems: [`${keyPath(path)}: expected ${describeValue(expected)}, the statement returned ${actual === undefined ? 'no row' : JSON.stringify(typeof actual === 'bigint' ? String(actual) : actual)}`] });
    }
  };

  const tasks: Task[] = [];
  const loadIds: string[] = [];
  const stepTask = (name: string) => `step:${name}`;
  for (const [index, step] of recipe.steps.entries()) {
    const earlier = recipe.steps.slice(0, index);
    if (step.kind === 'sql') {
      const after = step.after ?? earlier.map((other) => other.name);
      tasks.push({ id: stepTask(step.name), dependsOn: after.map(stepTask), weight: 1, exclusive: true, run: (connection) => runSqlStep(connection, step) });
    } else {
      const plan = planOf(step.name);
      const parents = [...new Set(Object.values(step.parents).map((parent) => parentStep(parent, recipe.steps, step)?.name).filter((name): name is string => name !== undefined))];
      // A step writing a table waits for earlier steps writing the same table.
      const sameTableSteps = earlier.filter((other): other is TableStep => other.kind === 'table' && other.table !== null && step.table !== null && sameTable(other.table, step.table)).map((other) => other.name);
      const rows = plan.rows ?? planOf(parents[0] ?? '')?.rows ?? 1;
      const weight = step.cost ?? rows * (plan.bulk ? 1 : 4) * (plan.step.table === null ? 0.5 : 1);
      tasks.push({
        id: stepTask(step.name),
        dependsOn: [...new Set([...parents, ...step.after, ...sameTableSteps])].map(stepTask),
        weight,
        exclusive: !plan.bulk && plan.step.table !== null,
        run: (connection) => runTableStep(connection, planOf(step.name)),
      });
    }
    loadIds.push(stepTask(step.name));
  }

  // Index rebuilds: per table, on one connection (builds of one table queue on its catalog rows).
  const rebuildIds = new Map<string, string>();
  for (const [key, indexes] of deferred) {
    if (indexes.length === 0) continue;
    const writers = tableSteps.filter((step) => step.table !== null && sameTable(step.table, key)).map((step) => stepTask(step.name));
    const id = `indexes:${key}`;
    rebuildIds.set(key, id);
    const rows = tableSteps.filter((step) => step.table !== null && sameTable(step.table, key)).reduce((sum, step) => sum + (planOf(step.name).rows ?? 0), 0);
    tasks.push({
      id,
      dependsOn: writers,
      weight: rows * indexes.length * 0.3,
      exclusive: false,
      run: async (connection) => {
        const since = performance.now();
        for (const index of indexes) {
          if (!droppedIndexes.has(`${index.schema}.${index.name}`)) continue;
          // pg_get_indexdef of a partitioned index says ON ONLY (the parent
          // alone); the migration built it on every partition.
          await connection.query(sql`${sql.__dangerous__rawValue(index.definition.replace(' ON ONLY ', ' ON '))}`);
          if (index.comment !== null) {
            await connection.query(sql`select ${scratch('exec')}(format('comment on index %I.%I is %L', ${index.schema}::text, ${index.name}::text, ${index.comment}::text))`);
          }
        }
        record(`indexes of ${key}`, indexes.length, since);
      },
    });
  }

  // Foreign keys of every table loaded with triggers off, then the re-derivations.
  const checksId = 'checks';
  tasks.push({
    id: checksId,
    dependsOn: loadIds,
    weight: 1,
    exclusive: true,
    run: async (connection) => {
      if (bulkTables.size === 0) return;
      const since = performance.now();
      const orphans = await checkForeignKeys(connection, [...bulkTables]);
      if (orphans.length > 0) {
        throw new SchemaproofError({ code: 'recipe_invalid', file: recipe.file, problems: orphans.map((orphan) => `steps: ${orphan.rows} generated row(s) break foreign key ${orphan.constraint} (loaded with triggers off, checked afterwards)`) });
      }
      record('foreign keys (anti-join per constraint)', bulkTables.size, since);
      for (const plan of plans.values()) {
        if (!plan.bulk || plan.skipped) continue;
        for (const [checkIndex, check] of plan.step.then.entries()) {
          const checkSince = performance.now();
          const path = ['steps', plan.step.name, 'load', 'then', checkIndex];
          let result: unknown[];
          try {
            result = await connection.query(renderStatement(check.sql, scalars(plan.step)));
          } catch (error) {
            throw statementProblem(recipe, [...path, 'sql'], error);
          }
          if (check.expect !== undefined) expectFirst(result, check.expect, [...path, 'expect']);
          record(`${plan.step.name}: then[${checkIndex}]`, result.length, checkSince);
        }
      }
    },
  });

  // VACUUM (ANALYZE) every table once everything that may write it is done.
  const userTables = await readUserTables(db, excluded);
  for (const table of userTables) {
    const key = `${table.schema}.${table.table}`;
    const rebuild = rebuildIds.get(key);
    tasks.push({
      id: `vacuum:${key}`,
      dependsOn: [checksId, ...(rebuild ? [rebuild] : [])],
      weight: table.bytes / 100 + tableSteps.filter((step) => step.table !== null && sameTable(step.table, key)).reduce((sum, step) => sum + (planOf(step.name).rows ?? 0), 0),
      exclusive: false,
      run: async (connection) => {
        const since = performance.now();
        await connection.query(sql`vacuum (analyze) ${sql.ident(table.schema, table.table)}`);
        record(`vacuum analyze ${key}`, 1, since);
      },
    });
  }

  // ---- Run -------------------------------------------------------------------
  const setup = async (connection: Queryable) => {
    await connection.query(sql`set synchronous_commit = off`);
    await connection.query(sql`set work_mem = '256MB'`);
    await connection.query(sql`set maintenance_work_mem = '256MB'`).catch(() => undefined);
    // Date arithmetic on timestamptz follows the session time zone: fixed, so the rows do not depend on it.
    await connection.query(sql`set timezone = 'UTC'`);
  };
  await db.query(sql`drop schema if exists ${sql.ident(scratchSchema)} cascade`);
  await db.query(sql`create schema ${sql.ident(scratchSchema)}`);
  try {
    for (const helper of helperFunctions(seed)) await db.query(helper);
    await runTasks(tasks, options.connections ?? 2, (work) => db.task(async (connection) => {
      await setup(connection);
      return work(connection);
    }));
  } finally {
    await db.query(sql`drop schema if exists ${sql.ident(scratchSchema)} cascade`).catch(() => undefined);
  }

  const counts: Record<string, number> = {};
  const named = new Set(tableSteps.flatMap((step) => (step.table ? [step.table] : [])).map((name) => `${qualifiedTable(name).schema}.${qualifiedTable(name).table}`));
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
    bulkPath: bulkTables.size > 0,
    steps,
    counts,
    durationMs: Math.round(performance.now() - started),
  };
}
