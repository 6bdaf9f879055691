/**
 * Running the steps of a planned recipe: a table step's rows (its kept
 * values first when later steps read them, then the insert), SQL steps,
 * deferred index rebuilds, and the checks after a load with triggers off.
 * State shared between connections (pick lists, dropped indexes, tables
 * loaded with triggers off) lives in one runner per generation.
 */
import { sql, type Queryable, type SQLQuery } from '@databases/pg';
import type { Scale } from '../config/index.ts';
import { SchemaproofError } from '../errors/index.ts';
import { checkForeignKeys, type DeferredIndex, type TableFacts } from './catalog.ts';
import { tableKey, type DatabaseFacts } from './check.ts';
import { buildSelect, inputsOf, pickExpression, renderStatement, scratch, stepValues, type RowContext, type Scalars } from './compile.ts';
import type { Plan, RecipePlan, Source } from './plan.ts';
import { keyPath, pickingAliases, type JsonScalar, type Recipe, type SqlStep, type TableStep } from './recipe.ts';

export interface StepRunnerContext {
  readonly recipe: Recipe;
  readonly plan: RecipePlan;
  readonly facts: DatabaseFacts;
  readonly scale: Scale;
  readonly seed: number;
  /** ISO time the history ends at. */
  readonly anchor: string;
  /** Deferrable indexes per table ("schema.table"), read before any is dropped. */
  readonly deferred: ReadonlyMap<string, readonly DeferredIndex[]>;
  readonly record: (step: string, rows: number, since: number) => void;
}

export interface StepRunner {
  tableStep(connection: Queryable, plan: Plan): Promise<void>;
  sqlStep(connection: Queryable, step: SqlStep): Promise<void>;
  rebuildIndexes(connection: Queryable, table: string): Promise<void>;
  /** Foreign keys of every table loaded with triggers off, then their steps' `then` SQL. */
  checks(connection: Queryable): Promise<void>;
  /** Tables loaded with triggers off so far. */
  readonly bulkTables: ReadonlySet<string>;
}

function statementProblem(recipe: Recipe, path: readonly (string | number)[], error: unknown): SchemaproofError {
  const message = (error as Error).message?.split('\n')[0] ?? String(error);
  return new SchemaproofError({ code: 'recipe_invalid', file: recipe.file, problems: [`${keyPath(path)}: ${message}`] }, { cause: error });
}

export function createStepRunner(context: StepRunnerContext): StepRunner {
  const { recipe, plan: recipePlan, facts, scale, seed, anchor, deferred, record } = context;
  const { planOf, sources, skipped } = recipePlan;
  const bulkTables = new Set<string>();
  const droppedIndexes = new Set<string>();
  const pickLists = new Map<string, Promise<{ name: string; rows: number }>>();
  const keptName = (plan: Plan) => `keep_${plan.index}`;
  const countName = (plan: Plan) => `n_${plan.index}`;

  const scalars = (own: TableStep | null): Scalars => ({
    seed,
    anchor,
    rows: (name) => {
      const rows = recipePlan.plans.get(name ?? own?.name ?? '')?.rows ?? null;
      if (rows === null)
        throw new SchemaproofError({
          code: 'recipe_invalid',
          file: recipe.file,
          problems: [`${keyPath(['steps', own?.name ?? '?'])}: {rows${name ? `:${name}` : ''}} is not known before the step runs (a fan-out counted by a parent value)`],
        });
      return rows;
    },
    param: (name) => recipe.params[name]?.[scale] ?? Number.NaN,
  });
  const rowContext = (step: TableStep): RowContext => ({ step, scalars: scalars(step), enumSize: (type) => facts.enumSizes.get(type) ?? 0 });

  const tablePickList = (connection: Queryable, source: Extract<Source, { kind: 'table' }>): Promise<{ name: string; rows: number }> => {
    const tableName = tableKey(source.table);
    const key = `${tableName}/${(source.orderBy ?? []).join(',')}`;
    const existing = pickLists.get(key);
    if (existing) return existing;
    const created = (async () => {
      const target = facts.tables.get(tableName) as TableFacts;
      const ranking = source.orderBy ?? target.primaryKey;
      const name = `table_${pickLists.size}`;
      const columns = [...source.columns].map((column) => sql`t.${sql.ident(column)}`);
      await connection.query(sql`
        create unlogged table ${scratch(name)} as
        select (row_number() over (order by ${sql.join(
          ranking.map((column) => sql`t.${sql.ident(column)}`),
          sql`, `,
        )}) - 1)::int8 as idx
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
  /** Level 0 of a phase: row source, parent joins, child counts, and the base column list. */
  const levelZero = async (connection: Queryable, plan: Plan, phase: 'series' | 'kept', values: ReadonlySet<string>): Promise<{ source: SQLQuery; baseColumns: SQLQuery[] }> => {
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
        throw new SchemaproofError({
          code: 'recipe_invalid',
          file: recipe.file,
          problems: [`${keyPath(['steps', plan.step.name, 'each', 'count'])}: ${total} rows cannot be spread over ${parents} parents with ${min} to ${max} each`],
        });
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

  const tableStep = async (connection: Queryable, plan: Plan): Promise<void> => {
    const since = performance.now();
    const { step } = plan;
    const context = rowContext(step);
    const base = ['steps', step.name];
    if (plan.skipped) {
      record(`${step.name} (skipped: ${step.unlessRowsIn} has rows)`, 0, since);
      return;
    }
    const key = plan.facts ? `${plan.facts.schema}.${plan.facts.table}` : '';
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
      let available: ReadonlySet<string> = new Set<string>();
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
            insert into ${sql.ident(facts_.schema, facts_.table)} (${sql.join(
              columns.map((column) => sql.ident(column)),
              sql`, `,
            )}) ${overriding}
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

  const sqlStep = async (connection: Queryable, step: SqlStep): Promise<void> => {
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
      throw new SchemaproofError({
        code: 'recipe_invalid',
        file: recipe.file,
        problems: [
          `${keyPath(path)}: expected ${JSON.stringify(expected)}, the statement returned ${actual === undefined ? 'no row' : JSON.stringify(typeof actual === 'bigint' ? String(actual) : actual)}`,
        ],
      });
    }
  };

  const rebuildIndexes = async (connection: Queryable, table: string): Promise<void> => {
    const since = performance.now();
    const indexes = deferred.get(table) ?? [];
    for (const index of indexes) {
      if (!droppedIndexes.has(`${index.schema}.${index.name}`)) continue;
      // pg_get_indexdef of a partitioned index says ON ONLY (the parent
      // alone); the migration built it on every partition.
      await connection.query(sql`${sql.__dangerous__rawValue(index.definition.replace(' ON ONLY ', ' ON '))}`);
      if (index.comment !== null) {
        await connection.query(sql`select ${scratch('exec')}(format('comment on index %I.%I is %L', ${index.schema}::text, ${index.name}::text, ${index.comment}::text))`);
      }
    }
    record(`indexes of ${table}`, indexes.length, since);
  };

  const checks = async (connection: Queryable): Promise<void> => {
    if (bulkTables.size === 0) return;
    const since = performance.now();
    const orphans = await checkForeignKeys(connection, [...bulkTables]);
    if (orphans.length > 0) {
      throw new SchemaproofError({
        code: 'recipe_invalid',
        file: recipe.file,
        problems: orphans.map((orphan) => `steps: ${orphan.rows} generated row(s) break foreign key ${orphan.constraint} (loaded with triggers off, checked afterwards)`),
      });
    }
    record('foreign keys (anti-join per constraint)', bulkTables.size, since);
    for (const plan of recipePlan.plans.values()) {
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
  };

  return { tableStep, sqlStep, rebuildIndexes, checks, bulkTables };
}
