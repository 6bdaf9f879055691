/**
 * The query catalogue (a project's tests/plans/catalogue.json): the queries
 * the project runs, who runs them, the values they are run with, and the
 * indexes they must use, all as data. The harness knows no table: every
 * parameter is a SQL query against the loaded data (or a literal), and every
 * actor is a database role plus a JWT-claims template whose values are SQL or
 * literals. Validated with zod; every problem is reported at once
 * (catalogue_invalid). Queries that do not run (syntax, unknown relation, a
 * value query that finds nothing) are found before anything is measured
 * (see prepare.ts).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Scale } from '../config/index.ts';
import { SchemaproofError } from '../errors/index.ts';

export const catalogueVersion = 2;

const name = z.string().regex(/^[a-z][a-z0-9_]*$/, 'names are lower-case identifiers like busiest_day');
const literal = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/**
 * How a value is obtained. A plain string is SQL (one row, one column,
 * evaluated as the connecting role before anything is measured); numbers and
 * booleans are literals; `{ "sql" }`, `{ "literal" }` and `{ "use": <value> }`
 * say it explicitly (and may carry a note). SQL may refer to the catalogue's
 * named values as `:name`.
 */
export const valueSpecSchema = z.union([
  z.string().min(1),
  z.number(),
  z.boolean(),
  z.object({ sql: z.string().min(1), note: z.string().optional() }).strict(),
  z.object({ literal, note: z.string().optional() }).strict(),
  z.object({ use: name, note: z.string().optional() }).strict(),
]);
export type ValueSpec = z.output<typeof valueSpecSchema>;

/**
 * A JWT-claims template: plain JSON (strings are literals here), where an
 * object `{ "sql": ... }` or `{ "use": <value> }` is replaced by the value it
 * yields. Nested objects and arrays are templates too.
 */
export type ClaimTemplate = string | number | boolean | null | { readonly sql: string } | { readonly use: string } | readonly ClaimTemplate[] | { readonly [key: string]: ClaimTemplate };
export const claimTemplateSchema: z.ZodType<ClaimTemplate> = z.lazy(() =>
  z.union([literal, z.object({ sql: z.string().min(1) }).strict(), z.object({ use: name }).strict(), z.array(claimTemplateSchema), z.record(z.string(), claimTemplateSchema)]),
);

export const actorSchema = z
  .object({
    /** The database role the actor's statements run as (SET LOCAL ROLE). */
    role: z.string().min(1),
    /** request.jwt.claims for the transaction; null = none set. */
    claims: z.record(z.string(), claimTemplateSchema).nullable().default(null),
    note: z.string().optional(),
  })
  .strict();
export type CatalogueActorDefinition = z.output<typeof actorSchema>;

/**
 * Actors every catalogue has unless it redefines them: the Supabase API roles
 * (the harness installs them on a server it starts). `service` bypasses RLS
 * and is the default side of the RLS comparison.
 */
export const defaultActors: Readonly<Record<string, CatalogueActorDefinition>> = {
  anon: { role: 'anon', claims: { role: 'anon' } },
  service: { role: 'service_role', claims: { role: 'service_role' } },
};

export const catalogueQuerySchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'ids are short lowercase slugs like q01'),
    number: z.number().int().positive().optional(),
    title: z.string().min(3),
    /** Free text, for grouping in the report. */
    area: z.string().min(1).optional(),
    /** An actor name: one of `actors`, or anon / service. */
    actor: name,
    sql: z.string().min(10),
    params: z.record(name, valueSpecSchema).default({}),
    expectedIndexes: z.array(z.string().min(1)).min(1, 'every query names the index it should use'),
    aggregate: z.boolean().default(false),
    /**
     * For a query served by a SECURITY DEFINER function: EXPLAIN cannot see
     * inside the function, so the plan checks run on the statement the
     * function executes, as the role it executes as (default: the bypass
     * actor). The same statement is the RLS-bypassing side of the comparison.
     */
    plan: z
      .object({
        sql: z.string().min(10),
        actor: name.optional(),
        why: z.string().min(10),
      })
      .strict()
      .optional(),
    /**
     * The index the planner rightly picks at `small` scale when it differs
     * from the one it picks at volume (tiny tables change which plan is
     * cheapest). Checked instead of `expectedIndexes` when the data is at
     * small scale; at medium/large `expectedIndexes` always applies. Must say why.
     */
    smallScale: z
      .object({
        expectedIndexes: z.array(z.string().min(1)).min(1),
        why: z.string().min(10),
      })
      .strict()
      .optional(),
  })
  .strict();

export const catalogueSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(catalogueVersion, { message: `the catalogue format is version ${catalogueVersion} (params and actors as SQL or literals; see the README)` }),
    description: z.string().optional(),
    /** Named values shared by queries and actors (`{ "use": name }` or `:name` in their SQL). */
    values: z.record(name, valueSpecSchema).default({}),
    /** Actor name → role and claims template. anon and service are predefined. */
    actors: z.record(name, actorSchema).default({}),
    /** The actor whose run is the RLS-free side of the comparison; its role must bypass RLS. */
    bypassActor: name.default('service'),
    /**
     * Optional UUID v7 vs v4 primary-key comparison: the SQL expression that
     * makes a v7 UUID in this project (e.g. a function the migrations define).
     */
    uuidComparison: z
      .object({ v7Expression: z.string().min(3), note: z.string().optional() })
      .strict()
      .optional(),
    queries: z.array(catalogueQuerySchema).min(1),
  })
  .strict();

export type CatalogueQuery = z.output<typeof catalogueQuerySchema>;
export type Catalogue = z.output<typeof catalogueSchema>;

const placeholderPattern = /(?<![:\w]):([a-z][a-z0-9_]*)/g;

/** `:name` placeholders (not `::casts`), in order of first appearance. */
export function placeholders(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(placeholderPattern)) {
    const found = match[1] as string;
    if (!names.includes(found)) names.push(found);
  }
  return names;
}

/** Rewrite `:name` placeholders to `$1..$n`; returns the text and the parameter order. */
export function positional(text: string): { text: string; order: string[] } {
  const order = placeholders(text);
  const rewritten = text.replace(placeholderPattern, (_all, found: string) => `$${order.indexOf(found) + 1}`);
  return { text: rewritten, order };
}

/** The catalogue values a spec depends on (its `use`, or the `:name`s of its SQL). */
export function valueDependencies(spec: ValueSpec): string[] {
  if (typeof spec === 'string') return placeholders(spec);
  if (typeof spec !== 'object' || spec === null) return [];
  if ('use' in spec) return [spec.use];
  if ('sql' in spec) return placeholders(spec.sql);
  return [];
}

/** Every value a claims template depends on. */
export function claimDependencies(template: ClaimTemplate): string[] {
  if (template === null || typeof template !== 'object') return [];
  if (Array.isArray(template)) return template.flatMap((item) => claimDependencies(item));
  const record = template as Readonly<Record<string, ClaimTemplate>>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === 'use') return [String(record.use)];
  if (keys.length === 1 && keys[0] === 'sql') return placeholders(String(record.sql));
  return Object.values(record).flatMap((item) => claimDependencies(item));
}

/** Actor definitions: the predefined ones, overridden or extended by the catalogue's. */
export function catalogueActors(catalogue: Catalogue): Readonly<Record<string, CatalogueActorDefinition>> {
  return { ...defaultActors, ...catalogue.actors };
}

function semanticProblems(catalogue: Catalogue): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const actors = catalogueActors(catalogue);
  const values = catalogue.values;
  const knownValue = (where: string, wanted: string) => {
    if (!(wanted in values)) problems.push(`${where}: refers to value ${wanted}, which the catalogue's values do not define`);
  };
  for (const [valueName, spec] of Object.entries(values)) for (const dependency of valueDependencies(spec)) knownValue(`values.${valueName}`, dependency);
  // Values must not depend on themselves through a chain of other values.
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (valueName: string, path: readonly string[]): void => {
    if (done.has(valueName) || !(valueName in values)) return;
    if (visiting.has(valueName)) {
      problems.push(`values.${valueName}: depends on itself (${[...path, valueName].join(' → ')})`);
      return;
    }
    visiting.add(valueName);
    for (const dependency of valueDependencies(values[valueName] as ValueSpec)) visit(dependency, [...path, valueName]);
    visiting.delete(valueName);
    done.add(valueName);
  };
  for (const valueName of Object.keys(values)) visit(valueName, []);
  for (const [actorName, actor] of Object.entries(catalogue.actors)) {
    if (actor.claims) for (const dependency of claimDependencies(actor.claims)) knownValue(`actors.${actorName}.claims`, dependency);
  }
  if (!(catalogue.bypassActor in actors)) problems.push(`bypassActor: ${catalogue.bypassActor} is not an actor (known: ${Object.keys(actors).join(', ')})`);
  catalogue.queries.forEach((query, index) => {
    const where = `queries.${index} (${query.id})`;
    if (seen.has(query.id)) problems.push(`${where}: duplicate id`);
    seen.add(query.id);
    if (!(query.actor in actors)) problems.push(`${where}: actor ${query.actor} is not defined (known: ${Object.keys(actors).join(', ')})`);
    if (query.plan?.actor && !(query.plan.actor in actors)) problems.push(`${where}: plan.actor ${query.plan.actor} is not defined`);
    const used = [...new Set([...placeholders(query.sql), ...(query.plan ? placeholders(query.plan.sql) : [])])];
    for (const param of used) if (!(param in query.params)) problems.push(`${where}: sql uses :${param} but params does not say where its value comes from`);
    for (const param of Object.keys(query.params)) if (!used.includes(param)) problems.push(`${where}: param ${param} is not used in sql`);
    for (const [param, spec] of Object.entries(query.params)) for (const dependency of valueDependencies(spec)) knownValue(`${where} param ${param}`, dependency);
    for (const [label, text] of [
      ['sql', query.sql],
      ['plan.sql', query.plan?.sql],
    ] as const) {
      if (text === undefined) continue;
      if (!/^\s*(select|with)\b/i.test(text)) problems.push(`${where}: ${label} must be a single SELECT (or WITH ... SELECT)`);
      if (text.includes(';')) problems.push(`${where}: ${label} must be one statement without ';'`);
    }
  });
  if (catalogue.uuidComparison?.v7Expression.includes(';')) problems.push("uuidComparison.v7Expression: must be one expression without ';'");
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
