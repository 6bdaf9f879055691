/**
 * The data recipe: a project's declarative description of its benchmark data
 * (docs/data-recipe.md). Read, validated and normalised here, with every
 * problem collected and reported at once as `recipe_invalid` (exit 6), each
 * naming the key it is about. What needs the database (tables, columns,
 * enum labels) is checked when the recipe runs (`./catalog.ts`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { scales, type Scale } from '../config/index.ts';
import { SchemaproofError } from '../errors/index.ts';
import { isReservedName, tokenize, type Placeholder } from './placeholders.ts';

export type JsonScalar = string | number | boolean | null;
export type JsonValue = JsonScalar | readonly JsonValue[] | { readonly [key: string]: JsonValue };

interface Nullable {
  /** Share of rows that get NULL instead of a value. */
  readonly nullRate: number;
}

export type ValueSpec = Nullable &
  (
    | { readonly kind: 'const'; readonly value: JsonValue }
    | { readonly kind: 'sql'; readonly sql: string }
    | { readonly kind: 'template'; readonly template: string }
    | { readonly kind: 'int'; readonly min: number; readonly max: number; readonly skew: number }
    | { readonly kind: 'number'; readonly min: number; readonly max: number; readonly skew: number; readonly decimals: number | null }
    | { readonly kind: 'exponential'; readonly mean: number; readonly max: number | null }
    | { readonly kind: 'choice'; readonly values: readonly JsonScalar[] | null; readonly enumType: string | null; readonly weights: readonly number[] | null; readonly skew: number }
    | { readonly kind: 'lookup'; readonly values: readonly JsonScalar[]; readonly by: string }
    | { readonly kind: 'bool'; readonly probability: number }
    | { readonly kind: 'recent'; readonly withinSeconds: number; readonly skew: number; readonly gapSeconds: number }
    | { readonly kind: 'between'; readonly from: string; readonly to: string }
    | { readonly kind: 'uuid'; readonly version: 'random' | 'v7'; readonly time: string | null }
    | { readonly kind: 'hex'; readonly length: number }
    | { readonly kind: 'ref'; readonly alias: string; readonly column: string }
    | { readonly kind: 'json'; readonly object: Readonly<Record<string, ValueSpec>> | null; readonly array: readonly ValueSpec[] | null; readonly omitNulls: boolean }
    | { readonly kind: 'count'; readonly step: string }
  );

export type Pick = { readonly skew: number };

export interface ParentSpec {
  /** A table: rows in `orderBy` (default primary-key) order, or in generation order when a step of this recipe generated it. */
  readonly table: string | null;
  /** Columns ranking an existing table's rows (default: its primary key; name a stable key when that is random). */
  readonly orderBy: readonly string[] | null;
  /** A step of this recipe (a scratch step, or a table step's generated rows). */
  readonly step: string | null;
  /** Rank = floor(N * u^skew): skew 1 is uniform, larger skews favour low ranks. */
  readonly pick: Pick;
  readonly nullRate: number;
}

export type FanOutCount = { readonly kind: 'value'; readonly name: string } | { readonly kind: 'zipf'; readonly exponent: number; readonly min: number; readonly max: number };

export interface FanOut {
  readonly parent: string;
  readonly count: FanOutCount;
}

export interface Check {
  readonly sql: string;
  /** When set, the statement's first column of its first row must equal this. */
  readonly expect: JsonScalar | undefined;
}

export interface TableStep {
  readonly kind: 'table';
  readonly name: string;
  /** null for a scratch step (rows kept for later steps, inserted nowhere). */
  readonly table: string | null;
  readonly rows: Readonly<Record<Scale, number>> | null;
  readonly parents: Readonly<Record<string, ParentSpec>>;
  readonly each: FanOut | null;
  readonly lets: Readonly<Record<string, ValueSpec>>;
  readonly columns: Readonly<Record<string, ValueSpec>>;
  readonly order: readonly string[];
  readonly triggers: 'on' | 'off';
  readonly deferIndexes: boolean;
  readonly then: readonly Check[];
  readonly onConflict: 'error' | 'ignore';
  readonly unlessRowsIn: string | null;
  readonly after: readonly string[];
  /** Estimated cost for scheduling (rows; trigger paths weigh more). */
  readonly cost: number | null;
}

export interface SqlStep {
  readonly kind: 'sql';
  readonly name: string;
  readonly sql: string;
  readonly expect: JsonScalar | undefined;
  /** null: after every earlier step (the default: SQL may read anything). */
  readonly after: readonly string[] | null;
  readonly unlessRowsIn: string | null;
}

export type Step = TableStep | SqlStep;

export interface Recipe {
  readonly file: string;
  /** sha256 of the file's bytes: part of the data cache key. */
  readonly sha256: string;
  readonly anchor: 'today' | string;
  readonly params: Readonly<Record<string, Readonly<Record<Scale, number>>>>;
  readonly steps: readonly Step[];
}

// ---------------------------------------------------------------------------
// Raw shapes (zod). Value specs are validated per kind in a second pass so a
// problem reads "int: expected [min, max]" instead of "no union member".

const count = z.number().int().nonnegative();
const probability = z.number().min(0).max(1);
const positive = z.number().positive();
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const durationPattern = /^(\d+(?:\.\d+)?)\s*(second|minute|hour|day|week)s?$/;
const duration = z.string().regex(durationPattern, 'expected a duration such as "365 days", "90 minutes" or "60 seconds"');
const perScaleRows = z.object({ small: count, medium: count, large: count }).strict();
const rowsSchema = z.union([count, perScaleRows]);
const checkSchema = z.object({ sql: z.string().min(1), expect: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional() }).strict();

const parentSchema = z
  .object({
    table: z.string().min(1).optional(),
    step: z.string().min(1).optional(),
    pick: z.union([z.literal('uniform'), z.object({ skew: positive }).strict(), z.object({ zipf: z.number().min(0).lt(1) }).strict()]).optional(),
    nullRate: probability.optional(),
    orderBy: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

const tableStepSchema = z
  .object({
    table: z.string().min(1).optional(),
    scratch: z.literal(true).optional(),
    rows: rowsSchema.optional(),
    parents: z.record(z.string(), parentSchema).optional(),
    each: z
      .object({
        parent: z.string(),
        count: z.union([z.string().min(1), z.object({ zipf: z.number().nonnegative(), min: count, max: z.number().int().positive() }).strict()]),
      })
      .strict()
      .optional(),
    let: z.record(z.string(), z.unknown()).optional(),
    columns: z.record(z.string(), z.unknown()).optional(),
    order: z.array(z.string()).optional(),
    load: z
      .object({
        triggers: z.enum(['on', 'off']).optional(),
        deferIndexes: z.boolean().optional(),
        then: z.array(checkSchema).optional(),
      })
      .strict()
      .optional(),
    onConflict: z.enum(['error', 'ignore']).optional(),
    unlessRowsIn: z.string().min(1).optional(),
    after: z.array(z.string()).optional(),
    cost: positive.optional(),
    description: z.string().optional(),
  })
  .strict();

const sqlStepSchema = z
  .object({
    sql: z.string().min(1),
    expect: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    after: z.array(z.string()).optional(),
    unlessRowsIn: z.string().min(1).optional(),
    description: z.string().optional(),
  })
  .strict();

const recipeSchema = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    version: z.literal(1),
    /** Factors applied to a plain number of rows (the medium count). */
    scales: z.object({ small: positive, medium: positive, large: positive }).strict().optional(),
    anchor: z.union([z.literal('today'), z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected "today" or a date YYYY-MM-DD')]).optional(),
    params: z.record(z.string(), rowsSchema).optional(),
    steps: z.record(z.string(), z.unknown()),
  })
  .strict();

const valueKinds = ['const', 'sql', 'template', 'int', 'number', 'exponential', 'choice', 'lookup', 'bool', 'recent', 'between', 'uuid', 'hex', 'ref', 'json', 'count'] as const;
type ValueKind = (typeof valueKinds)[number];

const common = { nullRate: probability.optional(), description: z.string().optional() };
const range = z.tuple([z.number(), z.number()]).refine(([min, max]) => min <= max, 'expected [min, max] with min <= max');
const valueSchemas: Readonly<Record<ValueKind, z.ZodType>> = {
  const: z.object({ const: z.unknown(), ...common }).strict(),
  sql: z.object({ sql: z.string().min(1), ...common }).strict(),
  template: z.object({ template: z.string(), ...common }).strict(),
  int: z.object({ int: z.tuple([z.number().int(), z.number().int()]).refine(([min, max]) => min <= max, 'expected [min, max] with min <= max'), skew: positive.optional(), ...common }).strict(),
  number: z.object({ number: range, skew: positive.optional(), decimals: z.number().int().min(0).max(12).optional(), ...common }).strict(),
  exponential: z.object({ exponential: positive, max: z.number().optional(), ...common }).strict(),
  choice: z
    .object({
      choice: z.union([z.array(scalar).min(1), z.object({ enum: z.string().min(1) }).strict()]),
      weights: z.array(z.number().nonnegative()).min(1).optional(),
      skew: positive.optional(),
      ...common,
    })
    .strict(),
  lookup: z.object({ lookup: z.array(scalar).min(1), by: z.string().min(1), ...common }).strict(),
  bool: z.object({ bool: probability, ...common }).strict(),
  recent: z.object({ recent: duration, skew: positive.optional(), gap: duration.optional(), ...common }).strict(),
  between: z.object({ between: z.tuple([z.string().min(1), z.string().min(1)]), ...common }).strict(),
  uuid: z.object({ uuid: z.enum(['random', 'v7']), time: z.string().min(1).optional(), ...common }).strict(),
  hex: z.object({ hex: z.number().int().min(1).max(1024), ...common }).strict(),
  ref: z.object({ ref: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]*\.[A-Za-z_][A-Za-z0-9_$]*$/, 'expected "alias.column"'), ...common }).strict(),
  json: z.object({ json: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]), omitNulls: z.boolean().optional(), ...common }).strict(),
  count: z.object({ count: z.string().min(1), ...common }).strict(),
};

// ---------------------------------------------------------------------------

const identifier = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const defaultScales: Readonly<Record<Scale, number>> = { small: 0.01, medium: 1, large: 10 };

/** A key path as a reader finds it in the file: steps."shop.orders".columns.id */
export function keyPath(parts: readonly (string | number)[]): string {
  return parts
    .map((part, index) => {
      if (typeof part === 'number') return `[${part}]`;
      const text = identifier.test(part) ? part : JSON.stringify(part);
      return index === 0 ? text : `.${text}`;
    })
    .join('')
    .replace(/\.\[/g, '[');
}

function zodProblems(error: z.ZodError, base: readonly (string | number)[]): string[] {
  return error.issues.map((issue) => `${keyPath([...base, ...issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part))])}: ${issue.message}`);
}

/** Seconds in a duration string ("365 days"). */
export function durationSeconds(text: string): number {
  const match = durationPattern.exec(text);
  if (!match) return Number.NaN;
  const unit: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86_400, week: 604_800 };
  return Number(match[1]) * (unit[match[2] ?? 'second'] ?? 1);
}

/** Strip "$comment" keys anywhere: the recipe's comments. */
function withoutComments(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutComments);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== '$comment')
        .map(([key, inner]) => [key, withoutComments(inner)]),
    );
  }
  return value;
}

function rowsPerScale(raw: number | Readonly<Record<Scale, number>>, factors: Readonly<Record<Scale, number>>): Readonly<Record<Scale, number>> {
  if (typeof raw !== 'number') return raw;
  const entries = scales.map((scale) => [scale, raw === 0 ? 0 : Math.max(1, Math.round(raw * factors[scale]))] as const);
  return Object.fromEntries(entries) as Record<Scale, number>;
}

function parseValue(raw: unknown, path: readonly (string | number)[], problems: string[]): ValueSpec | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push(`${keyPath(path)}: expected a value object such as {"int": [0, 9]}, {"choice": [...]}, {"sql": "..."} (one of ${valueKinds.join(', ')})`);
    return null;
  }
  const kinds = valueKinds.filter((kind) => kind in raw);
  if (kinds.length !== 1) {
    problems.push(
      `${keyPath(path)}: ${kinds.length === 0 ? `unknown value kind (keys ${Object.keys(raw).join(', ') || 'none'}); expected one of ${valueKinds.join(', ')}` : `more than one value kind (${kinds.join(', ')})`}`,
    );
    return null;
  }
  const kind = kinds[0] as ValueKind;
  const parsed = valueSchemas[kind].safeParse(raw);
  if (!parsed.success) {
    problems.push(...zodProblems(parsed.error, path));
    return null;
  }
  const value = parsed.data as Record<string, unknown>;
  const nullRate = (value.nullRate as number | undefined) ?? 0;
  switch (kind) {
    case 'const':
      return { kind, value: value.const as JsonValue, nullRate };
    case 'sql':
      return { kind, sql: value.sql as string, nullRate };
    case 'template':
      return { kind, template: value.template as string, nullRate };
    case 'int': {
      const [min, max] = value.int as [number, number];
      return { kind, min, max, skew: (value.skew as number | undefined) ?? 1, nullRate };
    }
    case 'number': {
      const [min, max] = value.number as [number, number];
      return { kind, min, max, skew: (value.skew as number | undefined) ?? 1, decimals: (value.decimals as number | undefined) ?? null, nullRate };
    }
    case 'exponential':
      return { kind, mean: value.exponential as number, max: (value.max as number | undefined) ?? null, nullRate };
    case 'choice': {
      const choice = value.choice as JsonScalar[] | { enum: string };
      const weights = (value.weights as number[] | undefined) ?? null;
      if (weights && value.skew !== undefined) problems.push(`${keyPath(path)}: give weights or skew, not both`);
      if (Array.isArray(choice)) {
        if (weights && weights.length !== choice.length) problems.push(`${keyPath([...path, 'weights'])}: ${weights.length} weights for ${choice.length} choices`);
        if (new Set(choice.map((entry) => typeof entry)).size > 1)
          problems.push(`${keyPath([...path, 'choice'])}: mixes value types (${[...new Set(choice.map((entry) => typeof entry))].join(', ')})`);
      }
      if (weights && !weights.some((weight) => weight > 0)) problems.push(`${keyPath([...path, 'weights'])}: at least one weight must be positive`);
      return { kind, values: Array.isArray(choice) ? choice : null, enumType: Array.isArray(choice) ? null : choice.enum, weights, skew: (value.skew as number | undefined) ?? 1, nullRate };
    }
    case 'lookup': {
      const values = value.lookup as JsonScalar[];
      if (new Set(values.map((entry) => typeof entry)).size > 1) problems.push(`${keyPath([...path, 'lookup'])}: mixes value types`);
      return { kind, values, by: value.by as string, nullRate };
    }
    case 'bool':
      return { kind, probability: value.bool as number, nullRate };
    case 'recent':
      return {
        kind,
        withinSeconds: durationSeconds(value.recent as string),
        skew: (value.skew as number | undefined) ?? 1,
        gapSeconds: value.gap ? durationSeconds(value.gap as string) : 0,
        nullRate,
      };
    case 'between': {
      const [from, to] = value.between as [string, string];
      return { kind, from, to, nullRate };
    }
    case 'uuid': {
      const version = value.uuid as 'random' | 'v7';
      if (version === 'v7' && value.time === undefined) problems.push(`${keyPath(path)}: a v7 uuid needs "time": the value holding its timestamp`);
      if (version === 'random' && value.time !== undefined) problems.push(`${keyPath([...path, 'time'])}: only a v7 uuid takes a time`);
      return { kind, version, time: (value.time as string | undefined) ?? null, nullRate };
    }
    case 'hex':
      return { kind, length: value.hex as number, nullRate };
    case 'ref': {
      const [alias = '', column = ''] = (value.ref as string).split('.');
      return { kind, alias, column, nullRate };
    }
    case 'json': {
      const shape = value.json as Record<string, unknown> | unknown[];
      if (Array.isArray(shape)) {
        const array = shape.map((inner, index) => parseValue(inner, [...path, 'json', index], problems));
        return { kind, object: null, array: array.filter((inner): inner is ValueSpec => inner !== null), omitNulls: (value.omitNulls as boolean | undefined) ?? false, nullRate };
      }
      const object: Record<string, ValueSpec> = {};
      for (const [key, inner] of Object.entries(shape)) {
        const spec = parseValue(inner, [...path, 'json', key], problems);
        if (spec) object[key] = spec;
      }
      return { kind, object, array: null, omitNulls: (value.omitNulls as boolean | undefined) ?? false, nullRate };
    }
    case 'count':
      return { kind, step: value.count as string, nullRate };
  }
}

/** The placeholder-bearing texts of a value (not of values nested in a json shape). */
export function valueTexts(spec: ValueSpec): string[] {
  switch (spec.kind) {
    case 'sql':
      return [spec.sql];
    case 'template':
      return [spec.template];
    case 'between':
      return [spec.from, spec.to];
    default:
      return [];
  }
}

export function nestedValues(spec: ValueSpec): ValueSpec[] {
  return spec.kind === 'json' ? [...Object.values(spec.object ?? {}), ...(spec.array ?? [])] : [];
}

/** The placeholders a value uses, including the names a structured kind points at. */
export function valuePlaceholders(spec: ValueSpec): Placeholder[] {
  if (spec.kind === 'json') return nestedValues(spec).flatMap(valuePlaceholders);
  const found = valueTexts(spec).flatMap((text) => tokenize(text).tokens.flatMap((token) => ('placeholder' in token ? [token.placeholder] : [])));
  if (spec.kind === 'lookup') found.push({ kind: 'value', name: spec.by });
  if (spec.kind === 'uuid' && spec.time) found.push({ kind: 'value', name: spec.time });
  if (spec.kind === 'ref') found.push({ kind: 'parent', alias: spec.alias, column: spec.column });
  return found;
}

/** Value names (of the same row) a value depends on. */
export function valueDependencies(spec: ValueSpec): Set<string> {
  const names = new Set<string>();
  for (const placeholder of valuePlaceholders(spec)) if (placeholder.kind === 'value') names.add(placeholder.name);
  return names;
}

/** Parse and validate a recipe (static checks); throws recipe_invalid listing every problem. */
export function parseRecipe(raw: unknown, file: string, bytes: string = JSON.stringify(raw)): Recipe {
  const problems: string[] = [];
  const top = recipeSchema.safeParse(withoutComments(raw));
  if (!top.success) throw new SchemaproofError({ code: 'recipe_invalid', file, problems: zodProblems(top.error, []) });
  const factors = top.data.scales ?? defaultScales;
  const params: Record<string, Readonly<Record<Scale, number>>> = {};
  for (const [name, value] of Object.entries(top.data.params ?? {})) {
    if (!identifier.test(name)) problems.push(`${keyPath(['params', name])}: a parameter name must be an identifier`);
    params[name] = rowsPerScale(value, factors);
  }

  const steps: Step[] = [];
  const seen = new Set<string>();
  const sqlSteps = new Set<string>();
  for (const [name, rawStep] of Object.entries(top.data.steps)) {
    const base = ['steps', name];
    if (/^\d+$/.test(name)) problems.push(`${keyPath(base)}: a step name cannot be a number (JSON objects reorder such keys)`);
    if (rawStep !== null && typeof rawStep === 'object' && 'sql' in rawStep) {
      const parsed = sqlStepSchema.safeParse(rawStep);
      if (!parsed.success) {
        problems.push(...zodProblems(parsed.error, base));
        continue;
      }
      steps.push({ kind: 'sql', name, sql: parsed.data.sql, expect: parsed.data.expect, after: parsed.data.after ?? null, unlessRowsIn: parsed.data.unlessRowsIn ?? null });
      seen.add(name);
      sqlSteps.add(name);
      continue;
    }
    const parsed = tableStepSchema.safeParse(rawStep);
    if (!parsed.success) {
      problems.push(...zodProblems(parsed.error, base));
      continue;
    }
    const step = parsed.data;
    const scratch = step.scratch === true;
    if (scratch && step.table) problems.push(`${keyPath([...base, 'table'])}: a scratch step inserts into no table`);
    if (scratch && (step.load || step.onConflict)) problems.push(`${keyPath(base)}: a scratch step has no load options or onConflict`);
    const parents: Record<string, ParentSpec> = {};
    for (const [alias, parent] of Object.entries(step.parents ?? {})) {
      const path = [...base, 'parents', alias];
      if (!identifier.test(alias) || isReservedName(alias))
        problems.push(`${keyPath(path)}: an alias must be an identifier other than ${['i', 'k', 'seed', 'anchor', 'rows', 'param', 'u'].join(', ')}`);
      if ((parent.table === undefined) === (parent.step === undefined)) problems.push(`${keyPath(path)}: give exactly one of "table" or "step"`);
      if (parent.step !== undefined && !seen.has(parent.step)) problems.push(`${keyPath([...path, 'step'])}: no earlier step named ${JSON.stringify(parent.step)}`);
      if (parent.step !== undefined && sqlSteps.has(parent.step)) problems.push(`${keyPath([...path, 'step'])}: ${parent.step} is a SQL step; a parent step generates rows`);
      const pick = parent.pick === undefined || parent.pick === 'uniform' ? { skew: 1 } : 'skew' in parent.pick ? { skew: parent.pick.skew } : { skew: 1 / (1 - parent.pick.zipf) };
      if (parent.orderBy && parent.step !== undefined) problems.push(`${keyPath([...path, 'orderBy'])}: a step's rows are ranked in generation order; orderBy ranks an existing table`);
      parents[alias] = { table: parent.table ?? null, step: parent.step ?? null, orderBy: parent.orderBy ?? null, pick, nullRate: parent.nullRate ?? 0 };
    }
    let each: FanOut | null = null;
    if (step.each) {
      const parent = parents[step.each.parent];
      if (!parent) problems.push(`${keyPath([...base, 'each', 'parent'])}: no parent aliased ${JSON.stringify(step.each.parent)} in "parents"`);
      else if (parent.nullRate > 0 || step.parents?.[step.each.parent]?.pick !== undefined)
        problems.push(`${keyPath([...base, 'parents', step.each.parent])}: the fan-out parent is not picked (no pick, no nullRate)`);
      const countSpec = step.each.count;
      each = {
        parent: step.each.parent,
        count: typeof countSpec === 'string' ? { kind: 'value', name: countSpec } : { kind: 'zipf', exponent: countSpec.zipf, min: countSpec.min, max: countSpec.max },
      };
      if (typeof countSpec === 'string' && step.rows !== undefined) problems.push(`${keyPath([...base, 'rows'])}: the rows of a fan-out counted by a parent value follow from the parents`);
      if (typeof countSpec !== 'string' && countSpec.min > countSpec.max) problems.push(`${keyPath([...base, 'each', 'count'])}: min > max`);
    }
    if (step.rows === undefined && !(each && each.count.kind === 'value'))
      problems.push(`${keyPath([...base, 'rows'])}: rows are required (a number for medium, scaled by "scales", or {"small", "medium", "large"})`);
    const lets: Record<string, ValueSpec> = {};
    const columns: Record<string, ValueSpec> = {};
    for (const [valueName, rawValue] of Object.entries(step.let ?? {})) {
      if (!identifier.test(valueName) || isReservedName(valueName))
        problems.push(`${keyPath([...base, 'let', valueName])}: a let name must be an identifier other than i, k, seed, anchor, rows, param, u`);
      const spec = parseValue(rawValue, [...base, 'let', valueName], problems);
      if (spec) lets[valueName] = spec;
    }
    for (const [column, rawValue] of Object.entries(step.columns ?? {})) {
      if (column in lets) problems.push(`${keyPath([...base, 'columns', column])}: also defined under "let"`);
      if (isReservedName(column)) problems.push(`${keyPath([...base, 'columns', column])}: ${column} is a placeholder name; the recipe cannot set a column of that name`);
      const spec = parseValue(rawValue, [...base, 'columns', column], problems);
      if (spec) columns[column] = spec;
    }
    if (!scratch && Object.keys(columns).length === 0) problems.push(`${keyPath([...base, 'columns'])}: a table step sets at least one column`);
    const load = step.load ?? {};
    const tableStep: TableStep = {
      kind: 'table',
      name,
      table: scratch ? null : (step.table ?? name),
      rows: step.rows === undefined ? null : rowsPerScale(step.rows, factors),
      parents,
      each,
      lets,
      columns,
      order: step.order ?? [],
      triggers: load.triggers ?? 'on',
      deferIndexes: load.deferIndexes ?? false,
      then: (load.then ?? []).map((check) => ({ sql: check.sql, expect: check.expect })),
      onConflict: step.onConflict ?? 'error',
      unlessRowsIn: step.unlessRowsIn ?? null,
      after: step.after ?? [],
      cost: step.cost ?? null,
    };
    if (tableStep.then.length > 0 && tableStep.triggers !== 'off') problems.push(`${keyPath([...base, 'load', 'then'])}: "then" re-derives what skipped triggers maintain; it needs "triggers": "off"`);
    steps.push(tableStep);
    seen.add(name);
  }
  if (steps.length === 0 && problems.length === 0) problems.push('steps: the recipe has no steps');

  problems.push(...crossCheck(steps, params));
  if (problems.length > 0) throw new SchemaproofError({ code: 'recipe_invalid', file, problems });
  return {
    file,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    anchor: top.data.anchor ?? 'today',
    params,
    steps,
  };
}

/** Checks across steps and values: names, placeholders, parents, counts, cycles. */
function crossCheck(steps: readonly Step[], params: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const byName = new Map(steps.map((step) => [step.name, step]));
  const order = new Map(steps.map((step, index) => [step.name, index]));
  const checkStatement = (text: string, path: readonly (string | number)[], own: TableStep | null) => {
    const { tokens, problems: syntax } = tokenize(text);
    for (const problem of syntax) problems.push(`${keyPath(path)}: ${problem}`);
    for (const token of tokens) {
      if (!('placeholder' in token)) continue;
      const placeholder = token.placeholder;
      const where = `${keyPath(path)}: ${token.source}`;
      switch (placeholder.kind) {
        case 'seed':
        case 'anchor':
          break;
        case 'rows':
          if (placeholder.step === null && !own) problems.push(`${where}: a SQL step has no rows of its own; name a step ({rows:step})`);
          if (placeholder.step !== null && !byName.has(placeholder.step)) problems.push(`${where}: no step named ${JSON.stringify(placeholder.step)}`);
          if (placeholder.step !== null && byName.get(placeholder.step)?.kind === 'sql') problems.push(`${where}: ${placeholder.step} is a SQL step and has no rows`);
          break;
        case 'param':
          if (!(placeholder.name in params)) problems.push(`${where}: no parameter named ${JSON.stringify(placeholder.name)} in "params"`);
          break;
        case 'i':
        case 'u':
        case 'value':
          if (!own) problems.push(`${where}: only a table step's values can use {i}, {u} and row values`);
          else if (placeholder.kind === 'value' && !(placeholder.name in own.lets) && !(placeholder.name in own.columns))
            problems.push(`${where}: no value named ${JSON.stringify(placeholder.name)} in this step's "let" or "columns"`);
          break;
        case 'k':
          if (!own || !own.each) problems.push(`${where}: {k} (the index within the parent) exists only in a fan-out step ("each")`);
          break;
        case 'parent':
          if (!own) problems.push(`${where}: a SQL step has no parents`);
          else if (!(placeholder.alias in own.parents)) problems.push(`${where}: no parent aliased ${JSON.stringify(placeholder.alias)} in "parents"`);
          else checkParentColumn(own, placeholder.alias, placeholder.column, where);
          break;
      }
    }
  };
  const checkParentColumn = (own: TableStep, alias: string, column: string, where: string) => {
    const parent = own.parents[alias];
    if (!parent || column === 'idx') return;
    const source = parentStep(parent, steps, own);
    if (source && source.kind === 'table' && !(column in source.lets) && !(column in source.columns)) {
      problems.push(`${where}: ${source.name} generates no value named ${JSON.stringify(column)} (children read a generated parent's values)`);
    }
  };
  const checkValue = (spec: ValueSpec, path: readonly (string | number)[], own: TableStep) => {
    for (const text of valueTexts(spec)) checkStatement(text, path, own);
    if (spec.kind === 'json') {
      for (const [key, inner] of Object.entries(spec.object ?? {})) checkValue(inner, [...path, 'json', key], own);
      (spec.array ?? []).forEach((inner, index) => checkValue(inner, [...path, 'json', index], own));
      return;
    }
    if (spec.kind === 'lookup' && !(spec.by in own.lets) && !(spec.by in own.columns)) problems.push(`${keyPath([...path, 'by'])}: no value named ${JSON.stringify(spec.by)}`);
    if (spec.kind === 'uuid' && spec.time && !(spec.time in own.lets) && !(spec.time in own.columns)) problems.push(`${keyPath([...path, 'time'])}: no value named ${JSON.stringify(spec.time)}`);
    if (spec.kind === 'ref') {
      if (!(spec.alias in own.parents)) problems.push(`${keyPath([...path, 'ref'])}: no parent aliased ${JSON.stringify(spec.alias)} in "parents"`);
      else checkParentColumn(own, spec.alias, spec.column, keyPath([...path, 'ref']));
    }
    if (spec.kind === 'count') {
      const child = byName.get(spec.step);
      const childIndex = order.get(spec.step) ?? -1;
      if (!child || child.kind !== 'table') problems.push(`${keyPath([...path, 'count'])}: no table step named ${JSON.stringify(spec.step)}`);
      else if (childIndex <= (order.get(own.name) ?? 0)) problems.push(`${keyPath([...path, 'count'])}: ${spec.step} must come after this step (it picks its rows from it)`);
      else if (child.each !== null || child.rows === null) problems.push(`${keyPath([...path, 'count'])}: ${spec.step} is a fan-out step; counts follow picks of a step with its own rows`);
      else if (pickingAliases(child, own, steps).length !== 1)
        problems.push(`${keyPath([...path, 'count'])}: ${spec.step} must pick exactly one parent from this step (found ${pickingAliases(child, own, steps).length})`);
    }
  };

  for (const step of steps) {
    const base = ['steps', step.name];
    const index = order.get(step.name) ?? 0;
    const after = step.kind === 'sql' ? (step.after ?? []) : step.after;
    for (const name of after) {
      if (!byName.has(name)) problems.push(`${keyPath([...base, 'after'])}: no step named ${JSON.stringify(name)}`);
      else if ((order.get(name) ?? 0) >= index) problems.push(`${keyPath([...base, 'after'])}: ${name} comes later; a step can only wait for earlier ones`);
    }
    if (step.kind === 'sql') {
      checkStatement(step.sql, [...base, 'sql'], null);
      continue;
    }
    step.then.forEach((check, checkIndex) => checkStatement(check.sql, [...base, 'load', 'then', checkIndex, 'sql'], null));
    for (const [name, spec] of Object.entries(step.lets)) checkValue(spec, [...base, 'let', name], step);
    for (const [name, spec] of Object.entries(step.columns)) checkValue(spec, [...base, 'columns', name], step);
    for (const key of step.order) {
      if (key !== 'i' && !(key in step.lets) && !(key in step.columns)) problems.push(`${keyPath([...base, 'order'])}: no value named ${JSON.stringify(key)}`);
    }
    if (step.each?.count.kind === 'value') {
      const parent = step.parents[step.each.parent];
      const source = parent ? parentStep(parent, steps, step) : null;
      if (parent && !source) problems.push(`${keyPath([...base, 'each', 'count'])}: a count taken from a parent value needs a parent generated by an earlier step of this recipe`);
      if (source && source.kind === 'table' && !(step.each.count.name in source.lets) && !(step.each.count.name in source.columns)) {
        problems.push(`${keyPath([...base, 'each', 'count'])}: ${source.name} generates no value named ${JSON.stringify(step.each.count.name)}`);
      }
    }
    const cycle = findCycle(step);
    if (cycle) problems.push(`${keyPath([...base])}: values depend on each other in a cycle: ${cycle.join(' -> ')}`);
  }
  return problems;
}

/** The step generating a parent: its `step`, or the last earlier table step on its table. */
export function parentStep(parent: ParentSpec, steps: readonly Step[], child: TableStep): Step | null {
  const before = steps.slice(
    0,
    steps.findIndex((step) => step.name === child.name),
  );
  if (parent.step !== null) return before.find((step) => step.name === parent.step) ?? null;
  const onTable = before.filter((step): step is TableStep => step.kind === 'table' && step.table !== null && sameTable(step.table, parent.table ?? ''));
  return onTable.at(-1) ?? null;
}

/** The aliases under which `child` picks rows generated by `parent` (not the fan-out parent). */
export function pickingAliases(child: TableStep, parent: TableStep, steps: readonly Step[]): string[] {
  return Object.entries(child.parents)
    .filter(([alias, spec]) => alias !== child.each?.parent && parentStep(spec, steps, child)?.name === parent.name)
    .map(([alias]) => alias);
}

/** "users" and "public.users" name the same table; "auth.users" does not. */
export function qualifiedTable(name: string): { schema: string; table: string } {
  const dot = name.indexOf('.');
  return dot < 0 ? { schema: 'public', table: name } : { schema: name.slice(0, dot), table: name.slice(dot + 1) };
}

export function sameTable(a: string, b: string): boolean {
  const x = qualifiedTable(a);
  const y = qualifiedTable(b);
  return x.schema === y.schema && x.table === y.table;
}

function findCycle(step: TableStep): string[] | null {
  const specs = new Map<string, ValueSpec>([...Object.entries(step.lets), ...Object.entries(step.columns)]);
  const state = new Map<string, 'open' | 'done'>();
  const visit = (name: string, trail: string[]): string[] | null => {
    if (state.get(name) === 'done') return null;
    if (state.get(name) === 'open') return [...trail.slice(trail.indexOf(name)), name];
    state.set(name, 'open');
    const spec = specs.get(name);
    for (const dependency of spec ? valueDependencies(spec) : []) {
      if (!specs.has(dependency)) continue;
      const found = visit(dependency, [...trail, name]);
      if (found) return found;
    }
    state.set(name, 'done');
    return null;
  };
  for (const name of specs.keys()) {
    const found = visit(name, []);
    if (found) return found;
  }
  return null;
}

/** Read a recipe file; null when it does not exist (the project has no recipe). */
export function loadRecipe(file: string): Recipe | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SchemaproofError({ code: 'recipe_invalid', file, problems: [`cannot be read: ${(error as Error).message}`] });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SchemaproofError({ code: 'recipe_invalid', file, problems: [`not valid JSON: ${(error as Error).message}`] });
  }
  return parseRecipe(raw, file, text);
}

/** Rows of a step at a scale, with per-step overrides (tests). */
export function stepRows(step: TableStep, scale: Scale, overrides: Readonly<Record<string, number>> = {}): number | null {
  const override = overrides[step.name];
  if (override !== undefined) return override;
  return step.rows ? step.rows[scale] : null;
}
