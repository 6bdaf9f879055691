import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expectedIndexesAt, loadCatalogue, parseCatalogue, placeholders, positional, selectQueries } from '../../src/plans/index.ts';

const file = resolve(import.meta.dirname, 'catalogue.json');
const raw = JSON.parse(readFileSync(file, 'utf8')) as { version: number; queries: Record<string, unknown>[] };

describe('the query catalogue', () => {
  it('holds the 26 queries of queries.md, numbered 1..26, each with an actor and expected indexes', () => {
    const catalogue = loadCatalogue(file);
    expect(catalogue.queries.map((query) => query.number)).toEqual(Array.from({ length: 26 }, (_, i) => i + 1));
    expect(new Set(catalogue.queries.map((query) => query.actor))).toEqual(new Set(['anon', 'user', 'admin', 'service']));
    expect(catalogue.queries.filter((query) => query.aggregate).map((query) => query.number)).toEqual([3, 6, 7, 24]);
  });

  it('reports every problem of a broken catalogue as catalogue_invalid', () => {
    const broken = structuredClone(raw);
    const first = broken.queries[0] as Record<string, unknown>;
    first.params = {};
    (broken.queries[1] as Record<string, unknown>).actor = 'root';
    (broken.queries[2] as Record<string, unknown>).id = 'q01';
    try {
      parseCatalogue(broken, 'broken.json');
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ detail: { code: 'catalogue_invalid', file: 'broken.json' } });
    }
    const semantic = structuredClone(raw);
    (semantic.queries[0] as Record<string, unknown>).params = {};
    (semantic.queries[2] as Record<string, unknown>).id = 'q01';
    try {
      parseCatalogue(semantic, 'semantic.json');
      expect.unreachable();
    } catch (error) {
      const problems = (error as { detail: { problems: string[] } }).detail.problems;
      expect(problems.some((problem) => problem.includes(':user_id'))).toBe(true);
      expect(problems.some((problem) => problem.includes('duplicate id'))).toBe(true);
    }
  });

  it('an unreadable file is catalogue_invalid too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-cat-'));
    writeFileSync(join(dir, 'c.json'), '{ not json');
    expect(() => loadCatalogue(join(dir, 'c.json'))).toThrowError(expect.objectContaining({ detail: expect.objectContaining({ code: 'catalogue_invalid' }) }));
  });

  it('a smallScale expectation applies at small scale only, and only where a query declares one', () => {
    const catalogue = loadCatalogue(resolve(import.meta.dirname, 'catalogue.json'));
    const [q01, q05] = selectQueries(catalogue, ['q01', 'q05']);
    expect(expectedIndexesAt(q05!, 'small')).toEqual(['analytics_sessions_started_at_idx']);
    expect(expectedIndexesAt(q05!, 'medium')).toEqual(['analytics_sessions_user_id_started_at_idx']);
    expect(expectedIndexesAt(q05!, undefined)).toEqual(['analytics_sessions_user_id_started_at_idx']);
    expect(expectedIndexesAt(q01!, 'small')).toEqual(q01!.expectedIndexes);
  });

  it('selects queries by id and refuses an unknown id with unknown_query', () => {
    const catalogue = loadCatalogue(file);
    expect(selectQueries(catalogue, ['q05', 'q01']).map((query) => query.id)).toEqual(['q01', 'q05']);
    expect(selectQueries(catalogue, undefined)).toHaveLength(26);
    expect(() => selectQueries(catalogue, ['q99'])).toThrowError(expect.objectContaining({ detail: expect.objectContaining({ code: 'unknown_query', id: 'q99' }) }));
  });

  it('finds named parameters but not ::casts', () => {
    expect(placeholders("select x::text from t where a = :a and b = cast(:b as date) and c = :a")).toEqual(['a', 'b']);
    expect(positional('select :a, :b::int, :a').text).toBe('select $1, $2::int, $1');
  });
});
