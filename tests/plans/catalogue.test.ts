import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { catalogueActors, expectedIndexesAt, loadCatalogue, parseCatalogue, placeholders, positional, selectQueries } from '../../src/plans/index.ts';

const file = resolve(import.meta.dirname, 'catalogue.json');
const raw = JSON.parse(readFileSync(file, 'utf8')) as { version: number; values: Record<string, unknown>; actors: Record<string, unknown>; queries: Record<string, unknown>[] };

function problemsOf(input: unknown): string[] {
  try {
    parseCatalogue(input, 'broken.json');
  } catch (error) {
    expect(error).toMatchObject({ detail: { code: 'catalogue_invalid', file: 'broken.json' } });
    return (error as { detail: { problems: string[] } }).detail.problems;
  }
  return expect.unreachable('the catalogue was accepted') as never;
}

/** A minimal valid catalogue of another project. */
function tiny(): Record<string, unknown> {
  return {
    version: 2,
    values: { some_note: 'select id from app.notes order by id limit 1' },
    actors: { member: { role: 'authenticated', claims: { sub: { sql: 'select owner from app.notes order by id limit 1' }, role: 'authenticated' } } },
    queries: [
      {
        id: 'n1',
        title: 'one note',
        area: 'notes, the only area',
        actor: 'member',
        sql: 'select * from app.notes where id = :id',
        params: { id: { use: 'some_note' } },
        expectedIndexes: ['notes_pkey'],
      },
    ],
  };
}

describe('the query catalogue', () => {
  it('holds the 26 queries of queries.md, numbered 1..26, each with an actor and expected indexes', () => {
    const catalogue = loadCatalogue(file);
    expect(catalogue.queries.map((query) => query.number)).toEqual(Array.from({ length: 26 }, (_, i) => i + 1));
    expect(new Set(catalogue.queries.map((query) => query.actor))).toEqual(new Set(['anon', 'user', 'admin', 'service']));
    expect(catalogue.queries.filter((query) => query.aggregate).map((query) => query.number)).toEqual([3, 6, 7, 24]);
  });

  it('accepts another project: free-text areas, its own actors and values, defaults for the rest', () => {
    const catalogue = parseCatalogue(tiny(), 'tiny.json');
    expect(catalogue.queries[0]?.area).toBe('notes, the only area');
    expect(catalogue.bypassActor).toBe('service');
    expect(Object.keys(catalogueActors(catalogue)).sort()).toEqual(['anon', 'member', 'service']);
    expect(catalogue.queries[0]?.aggregate).toBe(false);
  });

  it('refuses the version 1 format (pickers) with a pointer to the new one', () => {
    const problems = problemsOf({ ...tiny(), version: 1 });
    expect(problems.some((problem) => problem.startsWith('version'))).toBe(true);
  });

  it('reports every problem of a broken catalogue as catalogue_invalid', () => {
    const broken = structuredClone(raw);
    (broken.queries[0] as Record<string, unknown>).params = {};
    (broken.queries[1] as Record<string, unknown>).actor = 'root';
    (broken.queries[2] as Record<string, unknown>).id = 'q01';
    (broken.queries[3] as Record<string, unknown>).params = { filter: { use: 'no_such_value' } };
    const problems = problemsOf(broken);
    expect(problems.some((problem) => problem.includes(':user_id'))).toBe(true);
    expect(problems.some((problem) => problem.includes('actor root is not defined'))).toBe(true);
    expect(problems.some((problem) => problem.includes('duplicate id'))).toBe(true);
    expect(problems.some((problem) => problem.includes('no_such_value'))).toBe(true);
  });

  it('refuses values that depend on themselves, a bypass actor that does not exist, and two statements in one', () => {
    const cyclic = tiny();
    cyclic.values = { a: 'select :b', b: { sql: 'select :a' } };
    (cyclic.queries as Record<string, unknown>[])[0]!.params = { id: { use: 'a' } };
    expect(problemsOf(cyclic).some((problem) => problem.includes('depends on itself'))).toBe(true);
    expect(problemsOf({ ...tiny(), bypassActor: 'nobody' }).some((problem) => problem.startsWith('bypassActor'))).toBe(true);
    const twice = tiny();
    (twice.queries as Record<string, unknown>[])[0]!.sql = 'select 1 from app.notes; drop table app.notes';
    expect(problemsOf(twice).some((problem) => problem.includes("without ';'"))).toBe(true);
  });

  it('an unreadable file is catalogue_invalid too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-cat-'));
    writeFileSync(join(dir, 'c.json'), '{ not json');
    expect(() => loadCatalogue(join(dir, 'c.json'))).toThrowError(expect.objectContaining({ detail: expect.objectContaining({ code: 'catalogue_invalid' }) }));
  });

  it('a smallScale expectation applies at small scale only, and only where a query declares one', () => {
    const catalogue = loadCatalogue(file);
    const [q01, q05] = selectQueries(catalogue, ['q01', 'q05']);
    expect(expectedIndexesAt(q05!, 'small')).toEqual(q05!.smallScale?.expectedIndexes);
    expect(expectedIndexesAt(q05!, 'medium')).toEqual(q05!.expectedIndexes);
    expect(expectedIndexesAt(q05!, undefined)).toEqual(q05!.expectedIndexes);
    expect(expectedIndexesAt(q01!, 'small')).toEqual(q01!.expectedIndexes);
  });

  it('selects queries by id and refuses an unknown id with unknown_query', () => {
    const catalogue = loadCatalogue(file);
    expect(selectQueries(catalogue, ['q05', 'q01']).map((query) => query.id)).toEqual(['q01', 'q05']);
    expect(selectQueries(catalogue, undefined)).toHaveLength(26);
    expect(() => selectQueries(catalogue, ['q99'])).toThrowError(expect.objectContaining({ detail: expect.objectContaining({ code: 'unknown_query', id: 'q99' }) }));
  });

  it('finds named parameters but not ::casts', () => {
    expect(placeholders('select x::text from t where a = :a and b = cast(:b as date) and c = :a')).toEqual(['a', 'b']);
    expect(positional('select :a, :b::int, :a').text).toBe('select $1, $2::int, $1');
  });
});
