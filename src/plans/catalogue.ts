/**
 * The query catalogue (tests/plans/catalogue.json): queries.md as data.
 * Validated with zod; every problem is reported at once (catalogue_invalid).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Scale } from '../config/index.ts';
import { SchemaproofError } from '../errors/index.ts';
import { pickerNames } from './params.ts';

export const catalogueActors = ['anon', 'user', 'admin', 'service'] as const;
export type CatalogueActor = (typeof catalogueActors)[number];

const paramSchema = z.object({
  pick: z.enum(pickerNames),
  note: z.string().min(1),
}).strict();

export const catalogueQuerySchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'ids are short lowercase slugs like q01'),
  number: z.number().int().positive().optional(),
  title: z.string().min(3),
  area: z.enum(['analytics', 'privacy', 'fec', 'ingestion']),
  actor: z.enum(catalogueActors),
  sql: z.string().min(10),
  params: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), paramSchema),
  expectedIndexes: z.array(z.string().min(1)).min(1, 'every query names the index it should use'),
  aggregate: z.boolean(),
  /**
   * For a query served by a SECURITY DEFINER function: EXPLAIN cannot see
   * inside the function, so the plan checks run on the statement the
   * function executes, as the role it executes as (its owner bypasses RLS;
   * `service` stands for that). The same statement is the RLS-bypassing side
   * of the timing comparison.
   */
  plan: z.object({
    sql: z.string().min(10),
    actor: z.literal('service'),
    why: z.string().min(10),
  }).strict().optional(),
  /**
   * The index the planner rightly picks at `small` scale when it differs
   * from the one it picks at volume (tiny tables change which plan is
   * cheapest). Checked instead of `expectedIndexes` when the data is at
   * small scale (bench/verify --scale small, the plan-shape test); at
   * medium/large `expectedIndexes` always applies. Must say why.
   */
  smallScale: z.object({
    expectedIndexes: z.array(z.string().min(1)).min(1),
    why: z.string().min(10),
  }).strict().optional(),
}).strict();

export const catalogueSchema = z.object({
  version: z.literal(1),
  description: z.string().optional(),
  queries: z.array(catalogueQuerySchema).min(1),
}).strict();

export type CatalogueQuery = z.output<typeof catalogueQuerySchema>;
export type Catalogue = z.output<typeof catalogueSchema>;

/** `:name` placeholders (not `::casts`), in order of first appearance. */
export function placeholders(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(/(?<![:\w]):([a-z][a-z0-9_]*)/g)) {
    const name = match[1] as string;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** Rewrite `:name` placeholders to `$1..$n`; returns the text and the parameter order. */
export function positional(text: string): { text: string; order: string[] } {
  const order = placeholders(text);
  const rewritten = text.replace(/(?<![:\w]):([a-z][a-z0-9_]*)/g, (_all, name: string) => `$${order.indexOf(name) + 1}`);
  return { text: rewritten, order };
}

function semanticProblems(catalogue: Catalogue): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  catalogue.queries.forEach((query, index) => {
    const where = `queries.${index} (${query.id})`;
    if (seen.has(query.id)) problems.push(`${where}: duplicate id`);
    seen.add(query.id);
    const used = placeholders(query.sql);
    for (const name of used) if (!(name in query.params)) problems.push(`${where}: sql uses :${name} but params does not say how to pick it`);
    for (const name of Object.keys(query.params)) if (!used.includes(name)) problems.push(`${where}: param ${name} is not used in sql`);
    if (!/^\s*(select|with)\b/i.test(query.sql)) problems.push(`${where}: sql must be a single SELECT (or WITH ... SELECT)`);
    if (query.sql.includes(';')) problems.push(`${where}: sql must be one statement without ';'`);
  });
  return problems;
}

export function parseCatalogue(raw: unknown, file: string): Catalogue {
  const parsed = catalogueSchema.safeParse(raw);
  if (!parsed.success) {
    throw new SchemaproofError({
      code: 'catalogue_invalid',
      file,
      problems: parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`),
    });
  }
  const problems = semanticProblems(parsed.data);
  if (problems.length > 0) throw new SchemaproofError({ code: 'catalogue_invalid', file, problems });
  return parsed.data;
}

export function loadCatalogue(file: string): Catalogue {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SchemaproofError({ code: 'catalogue_invalid', file, problems: [`cannot be read as JSON: ${(error as Error).message.split('\n')[0]}`] });
  }
  return parseCatalogue(raw, file);
}

/** The queries asked for, in catalogue order; an unknown id is `unknown_query`. */
export function selectQueries(catalogue: Catalogue, ids: readonly string[] | undefined): CatalogueQuery[] {
  if (!ids || ids.length === 0) return [...catalogue.queries];
  const known = catalogue.queries.map((query) => query.id);
  for (const id of ids) if (!known.includes(id)) throw new SchemaproofError({ code: 'unknown_query', id, known });
  return catalogue.queries.filter((query) => ids.includes(query.id));
}

/** The indexes a query must use on data of this scale (see `smallScale`). */
export function expectedIndexesAt(query: CatalogueQuery, scale: Scale | undefined): readonly string[] {
  return scale === 'small' && query.smallScale ? query.smallScale.expectedIndexes : query.expectedIndexes;
}
