/**
 * The catalogue's values, parameters and actor claims, resolved against the
 * loaded data. A value's SQL runs as the connecting role (the database owner
 * on a server the harness started), in a read-only transaction; the first
 * column of its first row is the value, in its JSON rendering (a timestamp
 * keeps its microseconds, a number stays a number for the claims, and is
 * bound as its exact text). A value query that fails or finds nothing is a
 * catalogue failure naming the entry.
 */
import { sql, type Queryable, type SQLQuery } from '@databases/pg';
import type { CatalogueQueryFailure } from '../errors/index.ts';
import { valueDependencies, type Catalogue, type ClaimTemplate, type ValueSpec } from './catalogue.ts';

/** A resolved value: JSON as Postgres rendered it (string, number, boolean, object, array) or null. */
export type Resolved = unknown;

const placeholderPattern = /(?<![:\w]):([a-z][a-z0-9_]*)/g;

/** The value as a query parameter: text, or null (the server casts it where the SQL says). */
export function asParameter(value: Resolved): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** SQL text with its `:name` placeholders bound as parameter values. */
export function boundQuery(text: string, values: Readonly<Record<string, Resolved>>): SQLQuery {
  const parts: SQLQuery[] = [];
  let last = 0;
  for (const match of text.matchAll(placeholderPattern)) {
    parts.push(sql.__dangerous__rawValue(text.slice(last, match.index)));
    parts.push(sql.value(asParameter(values[match[1] as string] ?? null)));
    last = (match.index ?? 0) + match[0].length;
  }
  parts.push(sql.__dangerous__rawValue(text.slice(last)));
  return sql.join(parts, sql``);
}

class ValueFailure extends Error {
  constructor(readonly failure: CatalogueQueryFailure) {
    super(failure.message);
  }
}

/** A catalogue entry's failure as reported: the server's SQLSTATE and first message line, or ours. */
export function catalogueFailure(id: string, error: unknown): CatalogueQueryFailure {
  if (error instanceof ValueFailure) return error.failure;
  const pgError = error as { code?: unknown; message?: unknown };
  const sqlstate = typeof pgError.code === 'string' && /^[0-9A-Z]{5}$/.test(pgError.code) ? pgError.code : null;
  return { id, sqlstate, message: String(pgError.message ?? error).split('\n')[0] ?? 'failed' };
}

/**
 * A JSON scalar as Postgres rendered it: strings unquoted; numbers kept as
 * numbers unless JavaScript would round them (a bigint id stays exact text).
 */
function fromJson(text: string, type: string): Resolved {
  if (type === 'string') return JSON.parse(text) as string;
  if (type === 'number') {
    const number = Number(text);
    return Number.isSafeInteger(number) || !/^-?\d+$/.test(text) ? number : text;
  }
  if (type === 'boolean') return text === 'true';
  return JSON.parse(text) as unknown;
}

async function runValueQuery(db: Queryable, id: string, text: string, values: Readonly<Record<string, Resolved>>): Promise<Resolved> {
  // The first column of the first row, whatever its name, in its JSON rendering.
  const query = sql`
    select j.value::text as value, json_typeof(j.value) as type
      from (select row_to_json(v) as r from (${boundQuery(text, values)}) as v limit 1) as x
     cross join lateral json_each(x.r) with ordinality as j(key, value, position)
     order by j.position limit 1`;
  const pool = db as unknown as { tx<T>(fn: (tx: Queryable) => Promise<T>, options?: { readOnly?: boolean }): Promise<T> };
  const rows = await pool.tx(async (tx) => tx.query(query), { readOnly: true });
  const first = rows[0];
  if (first === undefined) throw new ValueFailure({ id, sqlstate: null, message: 'the value query returned no row' });
  if (first.type === 'null') throw new ValueFailure({ id, sqlstate: null, message: 'the value query returned NULL' });
  return fromJson(String(first.value), String(first.type));
}

/**
 * Resolves values on demand, each once, in dependency order (the catalogue
 * parser has already refused cycles and unknown names).
 */
export class ValueResolver {
  readonly resolved = new Map<string, Resolved>();
  readonly failures: CatalogueQueryFailure[] = [];
  private readonly failed = new Set<string>();

  constructor(
    private readonly db: Queryable,
    private readonly catalogue: Catalogue,
  ) {}

  /** The named values, or null when one of them (or what it depends on) failed. */
  async values(names: Iterable<string>): Promise<Record<string, Resolved> | null> {
    const out: Record<string, Resolved> = {};
    let ok = true;
    for (const valueName of new Set(names)) {
      const value = await this.value(valueName);
      if (value === failedMarker) ok = false;
      else out[valueName] = value;
    }
    return ok ? out : null;
  }

  private async value(valueName: string): Promise<Resolved | typeof failedMarker> {
    if (this.resolved.has(valueName)) return this.resolved.get(valueName);
    if (this.failed.has(valueName)) return failedMarker;
    const spec = this.catalogue.values[valueName] as ValueSpec;
    const result = await this.evaluate(`value ${valueName}`, spec);
    if (result === failedMarker) this.failed.add(valueName);
    else this.resolved.set(valueName, result);
    return result;
  }

  /** One spec (a catalogue value, a query parameter, a claim); failures are recorded under `id`. */
  async evaluate(id: string, spec: ValueSpec): Promise<Resolved | typeof failedMarker> {
    const dependencies = await this.values(valueDependencies(spec));
    if (dependencies === null) return failedMarker;
    try {
      if (typeof spec === 'string') return await runValueQuery(this.db, id, spec, dependencies);
      if (typeof spec === 'number' || typeof spec === 'boolean') return spec;
      if ('sql' in spec) return await runValueQuery(this.db, id, spec.sql, dependencies);
      if ('use' in spec) return dependencies[spec.use];
      return spec.literal;
    } catch (error) {
      this.failures.push(catalogueFailure(id, error));
      return failedMarker;
    }
  }

  /** A claims template with its `{ sql }` / `{ use }` leaves replaced. */
  async claims(id: string, template: ClaimTemplate): Promise<ClaimTemplate | typeof failedMarker> {
    if (template === null || typeof template !== 'object') return template;
    if (Array.isArray(template)) {
      const items: ClaimTemplate[] = [];
      for (const item of template) {
        const resolved = await this.claims(id, item as ClaimTemplate);
        if (resolved === failedMarker) return failedMarker;
        items.push(resolved);
      }
      return items;
    }
    const record = template as Readonly<Record<string, ClaimTemplate>>;
    const keys = Object.keys(record);
    if (keys.length === 1 && (keys[0] === 'sql' || keys[0] === 'use')) {
      const resolved = await this.evaluate(id, record as ValueSpec);
      return resolved === failedMarker ? failedMarker : (resolved as ClaimTemplate);
    }
    const out: Record<string, ClaimTemplate> = {};
    for (const [key, item] of Object.entries(record)) {
      const resolved = await this.claims(`${id}.${key}`, item);
      if (resolved === failedMarker) return failedMarker;
      out[key] = resolved;
    }
    return out;
  }
}

export const failedMarker: unique symbol = Symbol('failed');
