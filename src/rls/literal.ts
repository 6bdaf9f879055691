/**
 * Render an `sql` tagged-template query as one self-contained SQL text with
 * every value inlined as a quoted literal. Used for statements the harness
 * ships to the server-side probe (which runs them with EXECUTE) and for the
 * readable counterexamples. Identifiers go through the client's escaping,
 * values through `quoteLiteral`; nothing is string-interpolated.
 */
import { pgFormat, type SQLQuery } from '@databases/pg';

export function quoteLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot render ${value} as a SQL literal`);
    return String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return quoteLiteral(value.toISOString());
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text.includes('\0')) throw new TypeError('a SQL literal cannot contain NUL');
  return `'${text.replace(/'/g, "''")}'`;
}

export function renderSql(query: SQLQuery): string {
  return query.format({
    escapeIdentifier: pgFormat.escapeIdentifier,
    formatValue: (value) => ({ placeholder: quoteLiteral(value), value: undefined }),
  }).text;
}
