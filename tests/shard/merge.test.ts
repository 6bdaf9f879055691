/**
 * Merging shard reports without Postgres: the checks that the files are every
 * shard of one run, the recomputed verdicts, and the RLS exercise check judged
 * on the union of the shards' tallies.
 */
import { describe, expect, it } from 'vitest';
import { isSchemaproofError } from '../../src/errors/index.ts';
import type { MutantResult, MutationResult, PropertyName, PropertyResult, RlsResult, TallySnapshot } from '../../src/rls/index.ts';
import { propertyNames } from '../../src/rls/index.ts';
import { mergeShardReports, mergedPassed, planShard, type ShardReportFile } from '../../src/shard/index.ts';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isSchemaproofError(error)) return error.detail.code;
    throw error;
  }
  return 'no error';
}

const statuses: Readonly<Record<string, MutantResult['status']>> = { m1: 'caught', m2: 'caught', m3: 'survived', m4: 'caught', m5: 'not_applicable', m6: 'caught', m7: 'equivalent' };

function mutant(name: string): MutantResult {
  const status = statuses[name]!;
  return { name, description: `mutant ${name}`, source: 'generated', status, caughtBy: status === 'caught' ? 'visibility' : null, durationMs: 5 };
}

function mutationResult(mutants: readonly MutantResult[]): MutationResult {
  const counted = mutants.filter((entry) => entry.status !== 'equivalent' && entry.status !== 'not_applicable');
  const caught = counted.filter((entry) => entry.status === 'caught').length;
  return {
    seed: 42,
    runs: 3,
    baselineFailures: [],
    mutants,
    caught,
    total: counted.length,
    notApplicable: mutants.filter((entry) => entry.status === 'not_applicable').length,
    errors: 0,
    score: counted.length === 0 ? 1 : caught / counted.length,
    durationMs: 10,
  };
}

function mutationShard(names: readonly string[], index: number, total: number, seed = 42): ShardReportFile {
  const plan = planShard('mutation', { index, total }, names, (name) => name, { seed, runs: 3, schema: 'abc' });
  return { file: `mutants-${index}-of-${total}-seed-${seed}.json`, report: { ...mutationResult(plan.selected.map(mutant)), shard: plan.info } };
}

const names = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'];

describe('merging mutation shards', () => {
  it('gives the unsharded result: every mutant in the run order, counts and score recomputed', () => {
    const merged = mergeShardReports([mutationShard(names, 3, 3), mutationShard(names, 1, 3), mutationShard(names, 2, 3)]);
    expect(merged.kind).toBe('mutation');
    const whole = mutationResult(names.map(mutant));
    expect({ ...merged.result, durationMs: 0 }).toEqual({ ...whole, durationMs: 0 });
    expect(mergedPassed(merged)).toBe(false);
  });

  it('refuses a missing shard, a duplicate, another run, another split and a report that is not a shard', () => {
    expect(codeOf(() => mergeShardReports([mutationShard(names, 1, 3), mutationShard(names, 3, 3)]))).toBe('shard_missing');
    expect(codeOf(() => mergeShardReports([]))).toBe('shard_missing');
    expect(codeOf(() => mergeShardReports([mutationShard(names, 1, 2), mutationShard(names, 1, 2), mutationShard(names, 2, 2)]))).toBe('shard_duplicate');
    expect(codeOf(() => mergeShardReports([mutationShard(names, 1, 2), mutationShard(names, 2, 2, 7)]))).toBe('shard_mismatch');
    expect(codeOf(() => mergeShardReports([mutationShard(names, 1, 2), mutationShard(names, 2, 3)]))).toBe('shard_mismatch');
    expect(codeOf(() => mergeShardReports([mutationShard(names, 1, 2), mutationShard(names.slice(1), 2, 2)]))).toBe('shard_mismatch');
    expect(codeOf(() => mergeShardReports([{ file: 'plain.json', report: mutationResult(names.map(mutant)) }]))).toBe('input_invalid');
    expect(codeOf(() => mergeShardReports([{ file: 'array.json', report: [] }]))).toBe('input_invalid');
  });

  it('refuses a shard whose results are not the items it says it ran', () => {
    const second = mutationShard(names, 2, 2);
    const report = second.report as MutationResult;
    const edited = { ...second, report: { ...report, mutants: report.mutants.slice(1) } };
    expect(codeOf(() => mergeShardReports([mutationShard(names, 1, 2), edited]))).toBe('shard_mismatch');
  });

  it('an empty shard (more shards than mutants) passes alone and adds nothing: the merge is judged on every mutant', () => {
    const few = ['m3', 'm1'];
    const empty = mutationShard(few, 3, 3);
    expect((empty.report as { mutants: unknown[] }).mutants).toEqual([]);
    const merged = mergeShardReports([mutationShard(few, 1, 3), mutationShard(few, 2, 3), empty]);
    expect(merged.kind === 'mutation' && merged.result.mutants.map((entry) => entry.name)).toEqual(['m3', 'm1']);
    expect(mergedPassed(merged)).toBe(false);
    expect(codeOf(() => mergeShardReports([empty]))).toBe('shard_missing');
  });

  it('a merge in which no mutant was judged fails (every one equivalent or not applicable): nothing was shown to be caught', () => {
    const uncounted = ['m5', 'm7'];
    const merged = mergeShardReports([mutationShard(uncounted, 1, 2), mutationShard(uncounted, 2, 2)]);
    expect(merged.kind === 'mutation' && [merged.result.total, merged.result.caught]).toEqual([0, 0]);
    expect(mergedPassed(merged)).toBe(false);
    // One caught mutant is enough to have shown something.
    expect(mergedPassed(mergeShardReports([mutationShard(['m1', 'm7'], 1, 1)]))).toBe(true);
  });
});

describe('merging RLS shards', () => {
  const target = { relation: 'notes', object: 'public.notes', rules: [{ actor: 'user', operation: 'select' as const, rule: 'own', dependsOnRow: true }] };

  function rlsShard(index: number, exercise: TallySnapshot['exercise']): ShardReportFile {
    const plan = planShard('rls', { index, total: 2 }, propertyNames, (name) => name, { seed: 42, runs: 3, checkExercise: true, schema: 'abc', spec: 'def' });
    const properties: PropertyResult[] = plan.selected.map((name: PropertyName) => ({ name, runs: 3, cases: 1, passed: true, durationMs: 1, seed: 42 }));
    const snapshot: TallySnapshot = {
      cases: properties.length,
      cells: [{ key: `notes|user|select|${index}`, relation: 'notes', actor: 'user', operation: 'select', expected: 'own', observed: { own: [`seen by ${index}`] }, cases: 1, violations: 0 }],
      rows: { notes: 2 },
      exercise,
    };
    const result: RlsResult = {
      properties,
      passed: true,
      seed: 42,
      runs: 3,
      cases: properties.length,
      casesPerSecond: 1,
      durationMs: 1,
      observedMatrix: [],
      coverage: [],
      unreviewed: [],
      rowNotes: {},
      tally: { snapshot, targets: [target], actorOrder: ['user', 'owner', 'owner_probe'] },
    };
    return { file: `rls-${index}.json`, report: { ...result, shard: plan.info } };
  }

  it('a rule one shard saw only allowing and the other only refusing is exercised: coverage passes', () => {
    const merged = mergeShardReports([rlsShard(1, { 'notes|user|select': { cases: 2, allowed: 2, refused: 0 } }), rlsShard(2, { 'notes|user|select': { cases: 2, allowed: 0, refused: 2 } })]);
    expect(merged.kind).toBe('rls');
    if (merged.kind !== 'rls') return;
    expect(merged.result.properties.map((property) => property.name)).toEqual([...propertyNames]);
    expect(merged.result.coverage).toEqual([]);
    expect(mergedPassed(merged)).toBe(true);
    expect(merged.result.cases).toBe(6);
    expect(merged.result.observedMatrix.map((cell) => cell.observed)).toEqual([{ own: ['seen by 1'] }, { own: ['seen by 2'] }]);
    expect('tally' in merged.result).toBe(false);
  });

  it('a rule no shard saw refusing fails coverage after the merge, though each shard passed', () => {
    const merged = mergeShardReports([rlsShard(1, { 'notes|user|select': { cases: 2, allowed: 2, refused: 0 } }), rlsShard(2, {})]);
    if (merged.kind !== 'rls') throw new Error('expected an rls merge');
    expect(merged.result.coverage.map((finding) => finding.kind)).toEqual(['rule_unexercised']);
    expect(merged.result.properties.find((property) => property.name === 'coverage')?.passed).toBe(false);
    expect(mergedPassed(merged)).toBe(false);
  });
});
