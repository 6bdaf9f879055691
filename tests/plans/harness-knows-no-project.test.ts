/**
 * The harness folders that used to know this project's tables — plans,
 * datagen, verify, report, inventory — must not name any of them: every
 * table, column, index and schema of this project comes from its data (the
 * access spec, the query catalogue, the data recipe). The names are read
 * from that data, so a new table is covered without editing this test.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadCatalogue } from '../../src/plans/index.ts';
import { scratchSchema as engineSchema } from '../../src/datagen/compile.ts';

const root = resolve(import.meta.dirname, '../..');
const folders = ['src/plans', 'src/datagen', 'src/verify', 'src/report', 'src/inventory'];
/** Schemas every Postgres or Supabase project has; they are not this project's names. */
const platformSchemas = new Set(['public', 'auth', 'extensions', 'storage', 'pg_catalog', 'information_schema']);
/** Postgres functions the catalogue's SQL calls. */
const builtins = new Set(['date_trunc', 'jsonb_build_object', 'split_part', 'regexp_split_to_table', 'current_date', 'current_setting']);

function stringsAt(value: unknown, keys: ReadonlySet<string>, out: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) stringsAt(item, keys, out);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, item] of Object.entries(value)) {
    if (keys.has(key)) {
      if (typeof item === 'string') out.add(item);
      if (Array.isArray(item)) for (const entry of item) if (typeof entry === 'string') out.add(entry);
    }
    stringsAt(item, keys, out);
  }
}

/** Tables, columns and schemas the access spec names (read loosely: its rule format may change). */
function specNames(): { names: Set<string>; schemas: Set<string> } {
  const spec = JSON.parse(readFileSync(resolve(root, 'tests/access/access-spec.json'), 'utf8')) as Record<string, unknown>;
  const names = new Set<string>(Object.keys((spec.relations ?? {}) as object));
  stringsAt(spec.relations, new Set(['ownerColumn', 'idColumn', 'of', 'column', 'targetColumn', 'name']), names);
  const schemas = new Set<string>();
  stringsAt(spec, new Set(['schema', 'exposedSchemas']), schemas);
  for (const signature of Object.keys((spec.securityDefinerFunctions ?? {}) as object)) {
    const match = /^(\w+)\.(\w+)\(/.exec(signature);
    if (match) {
      schemas.add(match[1] as string);
      names.add(match[2] as string);
    }
  }
  return { names, schemas };
}

/** Indexes, relations, columns and schemas the query catalogue's SQL names. */
function catalogueNames(): { names: Set<string>; schemas: Set<string> } {
  const catalogue = loadCatalogue(resolve(root, 'tests/plans/catalogue.json'));
  const names = new Set<string>();
  const schemas = new Set<string>();
  const texts: string[] = [];
  for (const query of catalogue.queries) {
    texts.push(query.sql, query.plan?.sql ?? '');
    for (const index of [...query.expectedIndexes, ...(query.smallScale?.expectedIndexes ?? [])]) names.add(index);
  }
  const collect = (value: unknown): void => {
    if (typeof value === 'string') texts.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (typeof value === 'object' && value !== null) for (const [key, item] of Object.entries(value)) if (key !== 'note') collect(item);
  };
  collect(catalogue.values);
  collect(catalogue.actors);
  collect(catalogue.uuidComparison?.v7Expression);
  for (const text of texts) {
    const code = text.replace(/'(?:[^']|'')*'/g, "''");
    for (const match of code.matchAll(/\b([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\b/g)) {
      const [, left, right] = match as unknown as [string, string, string];
      if (platformSchemas.has(left)) continue;
      // `schema.relation` or `alias.column`: either way the right side is the project's name.
      if (left.length > 2) schemas.add(left);
      names.add(right);
    }
    for (const match of code.matchAll(/\b[a-z][a-z0-9]*_[a-z0-9_]+\b/g)) names.add(match[0]);
  }
  return { names, schemas };
}

/** Tables, columns, enum types and functions the data recipe names (its step keys, column keys and SQL). */
function recipeNames(): { names: Set<string>; schemas: Set<string> } {
  const recipe = JSON.parse(readFileSync(resolve(root, 'tests/data/recipe.json'), 'utf8')) as { steps: Record<string, unknown> };
  const names = new Set<string>();
  const schemas = new Set<string>();
  const qualified = (text: string): void => {
    // `{parent.column}` placeholders: the parent is the recipe's own alias, the column the project's.
    const code = text.replace(/'(?:[^']|'')*'/g, "''").replace(/\{[a-z_]+\.([a-z_][a-z0-9_]*)\}/g, (_, column: string) => {
      names.add(column);
      return '';
    });
    for (const match of code.matchAll(/\b([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\b/g)) {
      const [, left, right] = match as unknown as [string, string, string];
      if (left === engineSchema) continue; // the engine's own functions (docs/data-recipe.md), not the project's
      if (platformSchemas.has(left)) names.add(right);
      else if (left.length > 2) {
        schemas.add(left);
        names.add(right);
      }
    }
  };
  const walk = (value: unknown, key: string | null): void => {
    if (typeof value === 'string') {
      // A ref is `parent.column`: the parent is the recipe's alias.
      if (key === 'ref') names.add(value.slice(value.indexOf('.') + 1));
      else if (key !== '$comment' && key !== 'note') qualified(value);
    } else if (Array.isArray(value)) value.forEach((item) => walk(item, key));
    else if (typeof value === 'object' && value !== null) {
      for (const [name, item] of Object.entries(value)) {
        if (key === 'columns') names.add(name);
        walk(item, name);
      }
    }
  };
  for (const [step, body] of Object.entries(recipe.steps)) {
    qualified(step.includes('.') ? step : `public.${step}`);
    walk(body, step);
  }
  return { names, schemas };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function projectNames(): { words: string[]; schemas: string[] } {
  const spec = specNames();
  const catalogue = catalogueNames();
  const recipe = recipeNames();
  // Names with an underscore are the project's own words; a bare word (`state`, `source`) is English.
  const words = [...new Set([...spec.names, ...catalogue.names, ...recipe.names])].filter((name) => name.includes('_') && !builtins.has(name));
  const schemas = [...new Set([...spec.schemas, ...catalogue.schemas, ...recipe.schemas])].filter((name) => !platformSchemas.has(name));
  return { words, schemas };
}

function hits(text: string, names: { words: readonly string[]; schemas: readonly string[] }): string[] {
  const found: string[] = [];
  for (const word of names.words) if (new RegExp(`\\b${word}\\b`).test(text)) found.push(word);
  // A schema is found where it is used as one: `schema.` or a quoted 'schema'.
  for (const schema of names.schemas) if (new RegExp(`\\b${schema}\\.\\w|['"\`]${schema}['"\`]`).test(text)) found.push(schema);
  return found;
}

describe('the harness knows no table of this project', () => {
  const names = projectNames();

  it('reads a real list of names from the access spec and the catalogue', () => {
    expect(names.words.length).toBeGreaterThan(50);
    expect(names.words).toContain('analytics_events');
    expect(names.words).toContain('user_id');
    expect(names.words).toContain('fec_filings_committee_id_filing_date_idx');
    expect(names.schemas).toContain('private');
    // From the recipe alone: the recount its sessions step names, a column of a table no query reads.
    expect(names.words).toContain('analytics_sessions_recount');
    expect(names.words).toContain('ingestion_cursors');
  });

  it('finds a name where one is written (the check can fail)', () => {
    expect(hits('const heavyUser = sql`select s.user_id from public.analytics_sessions s`;', names)).toEqual(['analytics_sessions', 'user_id']);
    expect(hits("export const projectSchemas = ['public', 'private'] as const;", names)).toEqual(['private']);
    expect(hits('private readonly db: Queryable; // a TypeScript keyword, not the schema', names)).toEqual([]);
  });

  for (const folder of folders) {
    it(`${folder} names none of them`, () => {
      const found = sourceFiles(resolve(root, folder)).flatMap((file) => hits(readFileSync(file, 'utf8'), names).map((name) => `${relative(root, file)}: ${name}`));
      expect(found).toEqual([]);
    });
  }
});
