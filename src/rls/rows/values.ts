/**
 * Candidate values for a column, from its type and what its CHECK
 * constraints say (a regular expression becomes `fc.stringMatching`, length
 * and range comparisons bound the generators), or from the spec's hint. The
 * candidates are JSON values that `jsonb_populate_record` turns into the
 * column's type; the server then keeps the ones it accepts (see learn.ts),
 * so a generator only has to be often right, never exactly right.
 */
import fc from 'fast-check';
import type { ColumnHint } from '../spec.ts';
import type { ColumnModel, TableModel, TypeModel } from './model.ts';

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Regular expressions a CHECK requires of the column (`col ~ '...'`, `col ~* '...'`). */
export function patternsOf(table: TableModel, column: string): RegExp[] {
  const patterns: RegExp[] = [];
  const matcher = new RegExp(`(?:^|[^a-z0-9_."])"?${escapeRegExp(column)}"?\\)?(?:::text)?\\s+(~\\*?)\\s+'((?:[^']|'')*)'`, 'g');
  for (const check of table.checks) {
    for (const match of check.expression.matchAll(matcher)) {
      try {
        patterns.push(new RegExp(match[2]!.replace(/''/g, "'"), match[1] === '~*' ? 'i' : ''));
      } catch {
        // A POSIX expression JavaScript cannot read: the other generators still run.
      }
    }
  }
  return patterns;
}

/** Upper bounds a CHECK puts on the column's length (char_length / length / octet_length). */
function lengthBound(table: TableModel, column: string): number | null {
  const bounds: number[] = [];
  const matcher = new RegExp(`(?:char_length|length|octet_length)\\("?${escapeRegExp(column)}"?\\)\\s*(<=|<|=)\\s*(\\d+)`, 'g');
  for (const check of table.checks) {
    for (const match of check.expression.matchAll(matcher)) bounds.push(Number(match[2]) - (match[1] === '<' ? 1 : 0));
  }
  return bounds.length > 0 ? Math.min(...bounds) : null;
}

/** Numeric bounds a CHECK puts on the column (`col >= n`, `col > n`, `col <= n`, `col < n`). */
function rangeBounds(table: TableModel, column: string): { min: number | null; max: number | null } {
  let min: number | null = null;
  let max: number | null = null;
  const matcher = new RegExp(`\\(?"?${escapeRegExp(column)}"?\\s*(>=|>|<=|<)\\s*\\(?(-?\\d+(?:\\.\\d+)?)`, 'g');
  for (const check of table.checks) {
    for (const match of check.expression.matchAll(matcher)) {
      const value = Number(match[2]);
      if (match[1] === '>=' || match[1] === '>') min = Math.max(min ?? -Infinity, match[1] === '>' ? value + 1 : value);
      else max = Math.min(max ?? Infinity, match[1] === '<' ? value - 1 : value);
    }
  }
  return { min, max };
}

function typmod(typeName: string): number[] {
  const match = /\(([\d, ]+)\)/.exec(typeName);
  return match ? match[1]!.split(',').map((part) => Number(part.trim())) : [];
}

const words = ['alpha', 'beta', 'gamma', 'delta', 'north', 'south', 'probe', 'world', 'value', 'sample'];

const snakeCase = fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/);
const upperCode = fc.stringMatching(/^[A-Z0-9]{1,12}$/);
const plainText = fc.string({ minLength: 1, maxLength: 24 });
const wordText = fc.constantFrom(...words);

function textArbitrary(column: ColumnModel, table: TableModel, maxFromType: number | null): fc.Arbitrary<string> {
  const bound = Math.min(maxFromType ?? 64, lengthBound(table, column.name) ?? 64, 64);
  const max = Math.max(1, bound);
  const generators: fc.Arbitrary<string>[] = [plainText, snakeCase, wordText, upperCode].map((arbitrary) => (max >= 24 ? arbitrary : arbitrary.map((text) => text.slice(0, max))));
  const patterns = patternsOf(table, column.name);
  if (patterns.length > 0) return fc.oneof(...patterns.map((pattern) => fc.stringMatching(pattern)), fc.oneof(...generators));
  return fc.oneof(...generators);
}

function integerArbitrary(column: ColumnModel, table: TableModel, typeMin: number, typeMax: number): fc.Arbitrary<number> {
  const { min, max } = rangeBounds(table, column.name);
  const low = Math.max(typeMin, min ?? 0);
  const high = Math.min(typeMax, max ?? Math.max(low + 1000, 1000));
  return fc.oneof(fc.integer({ min: low, max: Math.max(low, Math.min(high, low + 100)) }), fc.integer({ min: low, max: Math.max(low, high) }));
}

const hex = (bytes: Uint8Array): string => [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');

const isoRange = (fromMs: number, toMs: number): fc.Arbitrary<string> =>
  fc.integer({ min: Math.floor(fromMs / 1000), max: Math.floor(toMs / 1000) }).map((seconds) => new Date(seconds * 1000).toISOString());

const ipv4 = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.nat(255), fc.constantFrom(32, 24, 16, 8), fc.boolean()).map(([a, b, c, d, mask, bare]) => {
  const octets = [a, b, c, d].map((octet, index) => (index * 8 >= mask ? 0 : octet));
  return bare && mask === 32 ? octets.join('.') : `${octets.join('.')}/${mask}`;
});
const ipv6 = fc.tuple(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 3, maxLength: 3 }), fc.constantFrom(48, 64, 128)).map(
  ([groups, mask]) =>
    `2001:db8:${groups
      .slice(0, mask === 48 ? 1 : 3)
      .map((group) => group.toString(16))
      .join(':')}::/${mask}`,
);

const jsonScalar = fc.oneof(fc.string({ maxLength: 12 }), fc.integer({ min: -1000, max: 1000 }), fc.boolean());
const jsonValue = fc.oneof(
  { arbitrary: fc.constant({}), weight: 2 },
  { arbitrary: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), jsonScalar, { maxKeys: 3 }), weight: 4 },
  { arbitrary: fc.array(jsonScalar, { maxLength: 3 }), weight: 1 },
  { arbitrary: jsonScalar, weight: 1 },
);

/** Candidates of a type (null: the harness cannot generate this type; a hint must say). */
export function typeArbitrary(type: TypeModel, column: ColumnModel, table: TableModel, nowMs: number): fc.Arbitrary<unknown> | null {
  switch (type.kind) {
    case 'domain':
      return type.base ? typeArbitrary(type.base, column, table, nowMs) : null;
    case 'enum':
      return type.labels && type.labels.length > 0 ? fc.constantFrom(...type.labels) : null;
    case 'array': {
      const element = type.element ? typeArbitrary(type.element, column, table, nowMs) : null;
      return element ? fc.array(element, { maxLength: 3 }) : null;
    }
    case 'composite':
    case 'range':
    case 'other':
      return null;
    case 'base':
      break;
  }
  const [first, second] = typmod(column.typeName);
  switch (type.typname) {
    case 'bool':
      return fc.boolean();
    case 'int2':
      return integerArbitrary(column, table, -32768, 32767);
    case 'int4':
      return integerArbitrary(column, table, -2147483648, 2147483647);
    case 'int8':
      return integerArbitrary(column, table, -1e15, 1e15);
    case 'numeric': {
      const scale = type === column.type && second !== undefined ? second : 2;
      const digits = type === column.type && first !== undefined ? first - scale : 6;
      const limit = 10 ** Math.min(Math.max(digits, 0), 9) - 1;
      const { min, max } = rangeBounds(table, column.name);
      const low = Math.max(-limit, min ?? 0);
      const high = Math.min(limit, max ?? Math.min(limit, 10_000));
      return fc.integer({ min: Math.round(low * 10 ** scale), max: Math.round(Math.max(low, high) * 10 ** scale) }).map((value) => (value / 10 ** scale).toFixed(scale));
    }
    case 'float4':
    case 'float8':
      return fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
    case 'money':
      return fc.integer({ min: 0, max: 1_000_000 }).map((cents) => (cents / 100).toFixed(2));
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'name':
    case 'citext':
      return textArbitrary(column, table, type === column.type && first !== undefined ? first : null);
    case 'uuid':
      return fc.uuid();
    case 'date':
      return isoRange(Date.UTC(2000, 0, 1), Date.UTC(2035, 11, 31)).map((iso) => iso.slice(0, 10));
    case 'timestamptz':
    case 'timestamp':
      return fc.oneof(isoRange(nowMs - 2 * 365 * 86_400_000, nowMs - 60_000), isoRange(nowMs + 86_400_000, nowMs + 400 * 86_400_000));
    case 'time':
    case 'timetz':
      return fc.tuple(fc.nat(23), fc.nat(59), fc.nat(59)).map(([h, m, s]) => [h, m, s].map((part) => String(part).padStart(2, '0')).join(':'));
    case 'interval':
      return fc.constantFrom('1 day', '2 hours', '30 minutes', '7 days', '1 mon');
    case 'json':
    case 'jsonb':
      return jsonValue;
    case 'inet':
    case 'cidr':
      return fc.oneof(ipv4, ipv6);
    case 'macaddr':
      return fc.uint8Array({ minLength: 6, maxLength: 6 }).map((bytes) => [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':'));
    case 'bytea':
      return fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 64 })).map((bytes) => `\\x${hex(bytes)}`);
    case 'tsvector':
      return fc.constantFrom('alpha beta', 'gamma');
    default:
      return type.category === 'S' ? textArbitrary(column, table, null) : null;
  }
}

/** Candidates for one column: the hint's values or pattern, else the type's generator. */
export function columnArbitrary(column: ColumnModel, table: TableModel, hint: ColumnHint | undefined, nowMs: number): fc.Arbitrary<unknown> | null {
  if (hint && 'values' in hint) return fc.constantFrom(...hint.values);
  if (hint && 'pattern' in hint) return fc.stringMatching(new RegExp(hint.pattern));
  return typeArbitrary(column.type, column, table, nowMs);
}

export function sampleCandidates(arbitrary: fc.Arbitrary<unknown>, count: number, seed: number): unknown[] {
  return fc.sample(arbitrary, { seed, numRuns: count });
}
