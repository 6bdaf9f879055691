/**
 * Recipe values and steps → SQL. Every row is a function of its index `i`
 * and the seed: a draw is `u(label, i)`, a hash of the index keyed by the
 * seed and a label naming the step and value, so the same seed gives the
 * same rows whatever the plan, the parallelism or the order of the steps,
 * and renaming one value changes only that value's draws.
 *
 * A step's SELECT is built in levels: level 0 is the row source (a series,
 * a fan-out over parents, or the step's kept rows) joined to the picked
 * parents; each further level adds the values whose inputs exist below it
 * (`offset 0` keeps each value computed once). When the step has an order,
 * the values the order needs are computed, the narrow rows sorted, and the
 * remaining (wide) values built after the sort.
 */
import { sql, type SQLQuery } from '@databases/pg';
import { tokenize } from './placeholders.ts';
import { nestedValues, valueDependencies, valuePlaceholders, type JsonScalar, type JsonValue, type ParentSpec, type TableStep, type ValueSpec } from './recipe.ts';

/** The engine's scratch schema: helper functions, kept rows, pick lists. Dropped when a run ends. */
export const scratchSchema = 'schemaproof_recipe';

export function scratch(name: string): SQLQuery {
  return sql.ident(scratchSchema, name);
}

/** Helper functions; the seed is baked into `u` and `hash` (an integer, validated). */
export function helperFunctions(seed: number): SQLQuery[] {
  if (!Number.isSafeInteger(seed)) throw new Error(`internal: seed ${seed} is not an integer`);
  const seedLiteral = sql.__dangerous__rawValue(String(seed));
  return [
    sql`create function ${scratch('exec')}(statement text) returns void language plpgsql as $$ begin execute statement; end $$`,
    // Each parameter is used once, so the planner inlines these into the
    // statement and folds hashtextextended(<label constant>, seed) once.
    sql`create function ${scratch('hash')}(label text, i bigint) returns bigint language sql immutable parallel safe
        as $$ select hashint8extended(i, hashtextextended(label, ${seedLiteral})) $$`,
    sql`create function ${scratch('u')}(label text, i bigint) returns double precision language sql immutable parallel safe
        as $$ select (hashint8extended(i, hashtextextended(label, ${seedLiteral})) & 140737488355327)::float8 / 140737488355328.0 $$`,
    // UUID v7 from a time and a 64-bit hash: 48-bit unix ms, version 7,
    // rand_a 0, variant 10, 60 bits of the hash.
    sql`create function ${scratch('uuidv7')}(t timestamptz, h bigint) returns uuid language sql immutable parallel safe
        as $$ select (lpad(to_hex(floor(date_part('epoch', t) * 1000)::bigint), 12, '0') || '7000'
                      || overlay(encode(int8send(h), 'hex') placing '8' from 1 for 1))::uuid $$`,
  ];
}

export interface Scalars {
  readonly seed: number;
  /** ISO timestamp the history ends at. */
  readonly anchor: string;
  /** Rows of a step at this run's scale (null: the step's own). */
  readonly rows: (step: string | null) => number;
  readonly param: (name: string) => number;
}

function numberLiteral(value: number): SQLQuery {
  if (!Number.isFinite(value)) throw new Error(`internal: ${value} is not a finite number`);
  return sql.__dangerous__rawValue(String(value));
}

/** A statement (SQL step, load.then) with its scalar placeholders filled in as literals. */
export function renderStatement(text: string, scalars: Scalars): SQLQuery {
  const parts = tokenize(text).tokens.map((token): SQLQuery => {
    if ('text' in token) return sql.__dangerous__rawValue(token.text);
    const placeholder = token.placeholder;
    switch (placeholder.kind) {
      case 'seed':
        return numberLiteral(scalars.seed);
      case 'anchor':
        return sql.__dangerous__rawValue(`'${new Date(scalars.anchor).toISOString()}'::timestamptz`);
      case 'rows':
        return numberLiteral(scalars.rows(placeholder.step));
      case 'param':
        return numberLiteral(scalars.param(placeholder.name));
      default:
        throw new Error(`internal: ${token.source} in a statement`);
    }
  });
  return sql.join(parts, sql``);
}

/** Row-level context a value is compiled in. */
export interface RowContext {
  readonly step: TableStep;
  readonly scalars: Scalars;
  /** Number of labels of an enum type (read from the catalog). */
  readonly enumSize: (type: string) => number;
}

const r = (name: string): SQLQuery => sql.ident('r', name);
export const rowIndex = sql`r.i`;

/** A uniform draw in [0, 1) for a label of the step at row index `index`. */
export function draw(step: string, label: string, index: SQLQuery = rowIndex): SQLQuery {
  return sql`${scratch('u')}(${`${step}/${label}`}::text, ${index})`;
}

function skewed(u: SQLQuery, skew: number): SQLQuery {
  return skew === 1 ? u : sql`(${u} ^ ${numberLiteral(skew)}::float8)`;
}

function arrayOf(values: readonly JsonScalar[]): SQLQuery {
  const kinds = new Set(values.map((value) => typeof value));
  if (kinds.has('boolean')) return sql`${values}::boolean[]`;
  if (kinds.has('number')) return values.every((value) => Number.isInteger(value)) ? sql`${values}::int8[]` : sql`${values}::float8[]`;
  return sql`${values.map(String)}::text[]`;
}

function constant(value: JsonValue): SQLQuery {
  if (value === null) return sql`null`;
  if (typeof value === 'string') return sql`${value}::text`;
  if (typeof value === 'boolean') return sql`${value}::boolean`;
  if (typeof value === 'number') return Number.isInteger(value) ? sql`${value}::int8` : sql`${String(value)}::numeric`;
  return sql`${JSON.stringify(value)}::jsonb`;
}

/** Thresholds for width_bucket: the cumulative shares before each choice after the first. */
function thresholds(weights: readonly number[]): number[] {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const cuts: number[] = [];
  let running = 0;
  for (const weight of weights.slice(0, -1)) {
    running += weight;
    cuts.push(running / total);
  }
  return cuts;
}

/** A recipe text (sql, template part, between bound) with row placeholders resolved. */
function renderRowText(text: string, name: string, context: RowContext, asText: boolean): SQLQuery {
  const parts = tokenize(text).tokens.map((token): SQLQuery => {
    if ('text' in token) return asText ? sql`${token.text}::text` : sql.__dangerous__rawValue(token.text);
    const placeholder = token.placeholder;
    let expression: SQLQuery;
    switch (placeholder.kind) {
      case 'i':
        expression = rowIndex;
        break;
      case 'k':
        expression = sql`r.k`;
        break;
      case 'u':
        expression = draw(context.step.name, placeholder.label ?? name);
        break;
      case 'value':
        expression = r(placeholder.name);
        break;
      case 'parent':
        expression = r(`${placeholder.alias}.${placeholder.column}`);
        break;
      default:
        expression = renderStatement(token.source, context.scalars);
    }
    return asText ? sql`(${expression})::text` : sql`(${expression})`;
  });
  if (parts.length === 0) return asText ? sql`''::text` : sql`null`;
  return asText ? sql`(${sql.join(parts, sql` || `)})` : sql`(${sql.join(parts, sql``)})`;
}

/** SQL for one value of a row; `name` labels its draws. */
export function compileValue(name: string, spec: ValueSpec, context: RowContext): SQLQuery {
  const step = context.step.name;
  const u = draw(step, name);
  let expression: SQLQuery;
  switch (spec.kind) {
    case 'const':
      expression = constant(spec.value);
      break;
    case 'sql':
      expression = renderRowText(spec.sql, name, context, false);
      break;
    case 'template':
      expression = renderRowText(spec.template, name, context, true);
      break;
    case 'int':
      expression = sql`(${numberLiteral(spec.min)}::int8 + floor(${numberLiteral(spec.max - spec.min + 1)}::float8 * ${skewed(u, spec.skew)})::int8)`;
      break;
    case 'number': {
      const raw = sql`(${numberLiteral(spec.min)}::float8 + ${numberLiteral(spec.max - spec.min)}::float8 * ${skewed(u, spec.skew)})`;
      expression = spec.decimals === null ? raw : sql`round(${raw}::numeric, ${numberLiteral(spec.decimals)})`;
      break;
    }
    case 'exponential': {
      const raw = sql`floor(-ln(1 - ${u}) * ${numberLiteral(spec.mean)}::float8)::int8`;
      expression = spec.max === null ? raw : sql`least(${numberLiteral(spec.max)}::int8, ${raw})`;
      break;
    }
    case 'choice': {
      const size = spec.values ? spec.values.length : context.enumSize(spec.enumType ?? '');
      const values = spec.values ? arrayOf(spec.values) : sql`enum_range(null::${typeName(spec.enumType ?? '')})`;
      const index = spec.weights ? sql`1 + width_bucket(${u}, ${thresholds(spec.weights)}::float8[])` : sql`1 + floor(${numberLiteral(size)}::float8 * ${skewed(u, spec.skew)})::int`;
      expression = sql`(${values})[${index}]`;
      break;
    }
    case 'lookup':
      expression = sql`(${arrayOf(spec.values)})[1 + (${r(spec.by)})::int]`;
      break;
    case 'bool':
      expression = sql`(${u} < ${numberLiteral(spec.probability)}::float8)`;
      break;
    case 'recent':
      expression = sql`(${renderStatement('{anchor}', context.scalars)} - make_interval(secs => ${numberLiteral(spec.withinSeconds)}::float8 * ${skewed(u, spec.skew)} + ${numberLiteral(spec.gapSeconds)}::float8))`;
      break;
    case 'between': {
      const from = renderRowText(spec.from, name, context, false);
      const to = renderRowText(spec.to, name, context, false);
      expression = sql`(${from} + (${to} - ${from}) * ${u})`;
      break;
    }
    case 'uuid':
      expression =
        spec.version === 'v7'
          ? sql`${scratch('uuidv7')}(${r(spec.time ?? '')}, ${scratch('hash')}(${`${step}/${name}`}::text, ${rowIndex}))`
          : sql`md5(${`${context.scalars.seed}/${step}/${name}/`}::text || ${rowIndex}::text)::uuid`;
      break;
    case 'hex': {
      const blocks = Array.from({ length: Math.ceil(spec.length / 32) }, (_, block) => sql`md5(${`${context.scalars.seed}/${step}/${name}/${block}/`}::text || ${rowIndex}::text)`);
      expression = sql`substr(${sql.join(blocks, sql` || `)}, 1, ${numberLiteral(spec.length)})`;
      break;
    }
    case 'ref':
      expression = r(`${spec.alias}.${spec.column}`);
      break;
    case 'json': {
      if (spec.array) {
        expression = sql`jsonb_build_array(${sql.join(
          spec.array.map((inner, index) => compileValue(`${name}.${index}`, inner, context)),
          sql`, `,
        )})`;
      } else {
        const pairs = Object.entries(spec.object ?? {}).map(([key, inner]) => sql`${key}::text, ${compileValue(`${name}.${key}`, inner, context)}`);
        expression = pairs.length === 0 ? sql`'{}'::jsonb` : sql`jsonb_build_object(${sql.join(pairs, sql`, `)})`;
      }
      if (spec.omitNulls) expression = sql`jsonb_strip_nulls(${expression})`;
      break;
    }
    case 'count':
      expression = sql`coalesce(${r(`#count:${spec.step}`)}, 0)::int8`;
      break;
  }
  if (spec.nullRate > 0) return sql`(case when ${draw(step, `${name}#null`)} < ${numberLiteral(spec.nullRate)}::float8 then null else ${expression} end)`;
  return expression;
}

/** A schema-qualified type name from the recipe, as identifiers. */
export function typeName(name: string): SQLQuery {
  const dot = name.indexOf('.');
  return dot < 0 ? sql.ident(name) : sql.ident(name.slice(0, dot), name.slice(dot + 1));
}

/** The parent rank a child row picks: floor(N * u^skew), or null (nullRate). */
export function pickExpression(step: TableStep, alias: string, parent: ParentSpec, parentRows: SQLQuery | number, index: SQLQuery = rowIndex): SQLQuery {
  const size = typeof parentRows === 'number' ? numberLiteral(parentRows) : parentRows;
  const pick = sql`floor(${size}::float8 * ${skewed(draw(step.name, `pick:${alias}`, index), parent.pick.skew)})::int8`;
  if (parent.nullRate <= 0) return pick;
  return sql`(case when ${draw(step.name, `pick:${alias}#null`, index)} < ${numberLiteral(parent.nullRate)}::float8 then null else ${pick} end)`;
}

/** Values of a step, by name (lets and columns). */
export function stepValues(step: TableStep): Map<string, ValueSpec> {
  return new Map([...Object.entries(step.lets), ...Object.entries(step.columns)]);
}

/** The given values and every value they depend on. */
export function closure(step: TableStep, names: Iterable<string>): Set<string> {
  const values = stepValues(step);
  const result = new Set<string>();
  const visit = (name: string) => {
    if (result.has(name) || !values.has(name)) return;
    result.add(name);
    for (const dependency of valueDependencies(values.get(name) as ValueSpec)) visit(dependency);
  };
  for (const name of names) visit(name);
  return result;
}

/** Parent aliases and columns a set of values reads, and the child steps it counts. */
export function inputsOf(step: TableStep, names: Iterable<string>): { parents: Map<string, Set<string>>; counts: Set<string> } {
  const values = stepValues(step);
  const parents = new Map<string, Set<string>>();
  const counts = new Set<string>();
  const visitSpec = (spec: ValueSpec) => {
    if (spec.kind === 'count') counts.add(spec.step);
    for (const inner of nestedValues(spec)) visitSpec(inner);
  };
  for (const name of names) {
    const spec = values.get(name);
    if (!spec) continue;
    visitSpec(spec);
    for (const placeholder of valuePlaceholders(spec)) {
      if (placeholder.kind !== 'parent') continue;
      const columns = parents.get(placeholder.alias) ?? new Set<string>();
      columns.add(placeholder.column);
      parents.set(placeholder.alias, columns);
    }
  }
  return { parents, counts };
}

/** Group values into levels: each level's values depend only on values in earlier levels or already available. */
export function levels(step: TableStep, compute: ReadonlySet<string>, available: ReadonlySet<string>): string[][] {
  const values = stepValues(step);
  const done = new Set(available);
  const pending = [...compute].filter((name) => !done.has(name));
  const result: string[][] = [];
  while (pending.length > 0) {
    const ready = pending.filter((name) => [...valueDependencies(values.get(name) as ValueSpec)].every((dependency) => done.has(dependency) || !values.has(dependency)));
    if (ready.length === 0) throw new Error(`internal: values of ${step.name} could not be ordered (${pending.join(', ')})`);
    result.push(ready);
    for (const name of ready) {
      done.add(name);
      pending.splice(pending.indexOf(name), 1);
    }
  }
  return result;
}

export interface LevelledSelect {
  /** FROM clause of level 0 (row source and joins) and its select list. */
  readonly source: SQLQuery;
  readonly baseColumns: readonly SQLQuery[];
  readonly compute: ReadonlySet<string>;
  readonly available: ReadonlySet<string>;
  /** Values to sort by (then i); the values they need are computed before the sort. */
  readonly order: readonly string[];
}

/** A SELECT exposing i (and k) and every computed and available value as columns of `r`. */
export function buildSelect(plan: LevelledSelect, context: RowContext): SQLQuery {
  const values = stepValues(context.step);
  let query = sql`select ${sql.join([...plan.baseColumns], sql`, `)} from ${plan.source}`;
  const addLevels = (names: ReadonlySet<string>, available: ReadonlySet<string>) => {
    for (const level of levels(context.step, names, available)) {
      const columns = level.map((name) => sql`${compileValue(name, values.get(name) as ValueSpec, context)} as ${sql.ident(name)}`);
      query = sql`select r.*, ${sql.join(columns, sql`, `)} from (${query} offset 0) r`;
    }
  };
  const orderKeys = plan.order.filter((key) => key !== 'i');
  if (plan.order.length > 0) {
    const beforeSort = new Set([...closure(context.step, orderKeys)].filter((name) => plan.compute.has(name)));
    addLevels(beforeSort, plan.available);
    const sortKeys = [...orderKeys.map((key) => r(key)), rowIndex];
    query = sql`select r.* from (${query} offset 0) r order by ${sql.join(sortKeys, sql`, `)}`;
    const after = new Set([...plan.compute].filter((name) => !beforeSort.has(name)));
    addLevels(after, new Set([...plan.available, ...beforeSort]));
  } else {
    addLevels(plan.compute, plan.available);
  }
  return query;
}
