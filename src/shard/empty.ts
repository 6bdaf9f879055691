/**
 * The report of a shard that has nothing to run (more shards than items):
 * an empty result with the shard's description. On its own it passes, and
 * says so; merged, it adds nothing, and the run is judged on every item.
 */
import { totalsOf } from '../pgtap/runner.ts';
import type { PgtapRunResult } from '../pgtap/types.ts';
import type { MutationResult } from '../rls/mutants.ts';
import type { RlsResult } from '../rls/properties.ts';

export function emptyPgtapResult(timeoutMs: number): PgtapRunResult {
  return {
    ok: true,
    noFiles: null,
    files: [],
    totals: totalsOf([]),
    durationMs: 0,
    jobs: 0,
    timeoutMs,
    cloneStrategy: 'file_copy',
    template: '',
    pgtapSchema: '',
    startedAt: new Date().toISOString(),
  };
}

export function emptyRlsResult(seed: number, runs: number, unreviewed: readonly string[]): RlsResult {
  return {
    properties: [],
    passed: true,
    seed,
    runs,
    cases: 0,
    casesPerSecond: 0,
    durationMs: 0,
    observedMatrix: [],
    coverage: [],
    unreviewed,
    rowNotes: {},
    tally: { snapshot: { cases: 0, cells: [], rows: {}, exercise: {} }, targets: [], actorOrder: [] },
  };
}

export function emptyMutationResult(seed: number, runs: number): MutationResult {
  return { seed, runs, baselineFailures: [], mutants: [], caught: 0, total: 0, notApplicable: 0, errors: 0, score: 1, durationMs: 0 };
}
