/**
 * `merge-reports`: the JSON reports of every shard of one run become the
 * report that run would have written unsharded. Before anything is merged:
 * every report is a shard report of one kind, with one total and one
 * fingerprint (same items, seed, runs and input files), every shard 1..n is
 * there exactly once, and the shards' items cover the run's items exactly
 * once. Verdicts are recomputed from the merged items (totals, the mutation
 * score), and the RLS exercise check is judged on the union of the shards'
 * tallies: a relation one shard never exercised may be another shard's.
 */
import { readFileSync } from 'node:fs';
import { SchemaproofError } from '../errors/index.ts';
import { totalsOf } from '../pgtap/runner.ts';
import type { PgtapFileResult, PgtapRunResult } from '../pgtap/types.ts';
import { exerciseFindingsOf, mergeTallies, observedMatrixOf } from '../rls/exercise.ts';
import { propertyNames, type PropertyName } from '../rls/cases.ts';
import { renderCounterexample, type PropertyResult, type RlsResult } from '../rls/properties.ts';
import { mutationPassed, type MutantResult, type MutationResult } from '../rls/mutants.ts';
import { shardInfoVersion, shardKinds, type ShardInfo, type ShardKind } from './envelope.ts';

export interface ShardReportFile {
  /** Where the report was read from (named in errors). */
  readonly file: string;
  /** The parsed JSON. */
  readonly report: unknown;
}

export type MergedReport =
  | { readonly kind: 'pgtap'; readonly shards: number; readonly result: PgtapRunResult }
  | { readonly kind: 'rls'; readonly shards: number; readonly result: RlsResult }
  | { readonly kind: 'mutation'; readonly shards: number; readonly result: MutationResult };

interface Shard<T> {
  readonly file: string;
  readonly info: ShardInfo;
  readonly result: T;
}

function notAShardReport(file: string, detail: string): SchemaproofError {
  return new SchemaproofError({ code: 'input_invalid', file, line: 0, detail: `not a shard report of schemaproof (${detail}); write one with \`--shard i/n --reporter json --output-file FILE\`` });
}

function shardInfoOf(file: string, report: unknown): ShardInfo {
  if (report === null || typeof report !== 'object') throw notAShardReport(file, 'not a JSON object');
  const info = (report as { shard?: unknown }).shard as Partial<ShardInfo> | undefined;
  if (info === undefined || info === null || typeof info !== 'object') throw notAShardReport(file, 'no "shard" field: the run was not sharded');
  const valid =
    info.version === shardInfoVersion &&
    (shardKinds as readonly unknown[]).includes(info.kind) &&
    Number.isInteger(info.index) &&
    Number.isInteger(info.total) &&
    info.index! >= 1 &&
    info.index! <= info.total! &&
    Array.isArray(info.items) &&
    Array.isArray(info.selected) &&
    typeof info.fingerprint === 'string';
  if (!valid) throw notAShardReport(file, `its "shard" field is not version ${shardInfoVersion} of the shard format`);
  return info as ShardInfo;
}

/** Same kind, total and fingerprint; every shard once; every item in exactly one shard. */
function checkShardSet(shards: readonly Shard<unknown>[]): void {
  const files = shards.map((shard) => shard.file);
  if (shards.length === 0) throw new SchemaproofError({ code: 'shard_missing', total: 0, missing: [], files });
  const first = shards[0]!.info;
  for (const shard of shards.slice(1)) {
    const { info } = shard;
    const differs = (what: string, mine: unknown, theirs: unknown): never => {
      throw new SchemaproofError({ code: 'shard_mismatch', files: [shards[0]!.file, shard.file], detail: `${what}: ${JSON.stringify(mine)} vs ${JSON.stringify(theirs)}` });
    };
    if (info.kind !== first.kind) differs('report kind', first.kind, info.kind);
    if (info.total !== first.total) differs('number of shards', first.total, info.total);
    if (info.fingerprint !== first.fingerprint) {
      const keys = [...new Set([...Object.keys(first.inputs), ...Object.keys(info.inputs)])].filter((key) => first.inputs[key] !== info.inputs[key]);
      if (keys.length > 0)
        differs(`inputs (${keys.join(', ')})`, Object.fromEntries(keys.map((key) => [key, first.inputs[key] ?? null])), Object.fromEntries(keys.map((key) => [key, info.inputs[key] ?? null])));
      differs('items of the run', first.items.length, info.items.length);
    }
  }
  const byIndex = new Map<number, string[]>();
  for (const shard of shards) byIndex.set(shard.info.index, [...(byIndex.get(shard.info.index) ?? []), shard.file]);
  for (const [index, given] of [...byIndex].sort(([a], [b]) => a - b)) {
    if (given.length > 1) throw new SchemaproofError({ code: 'shard_duplicate', index, total: first.total, files: given });
  }
  const missing = Array.from({ length: first.total }, (_, position) => position + 1).filter((index) => !byIndex.has(index));
  if (missing.length > 0) throw new SchemaproofError({ code: 'shard_missing', total: first.total, missing, files });
  const seen = new Map<string, string>();
  for (const shard of shards) {
    for (const item of shard.info.selected) {
      if (seen.has(item)) throw new SchemaproofError({ code: 'shard_mismatch', files: [seen.get(item)!, shard.file], detail: `both ran ${item}` });
      seen.set(item, shard.file);
    }
  }
  const unrun = first.items.filter((item) => !seen.has(item));
  if (unrun.length > 0 || seen.size !== first.items.length) {
    throw new SchemaproofError({
      code: 'shard_mismatch',
      files,
      detail: `the shards' items do not add up to the run's: ${unrun.length > 0 ? `never run: ${unrun.join(', ')}` : 'an item not in the run'}`,
    });
  }
}

/** The results of the shards' items, in the run's order; each shard's result must list exactly what it selected. */
function inRunOrder<T>(shards: readonly Shard<unknown>[], resultsOf: (result: unknown) => readonly T[], nameOf: (item: T) => string): T[] {
  const byName = new Map<string, T>();
  for (const shard of shards) {
    const results = resultsOf(shard.result);
    const names = results.map(nameOf);
    const selected = new Set(shard.info.selected);
    if (names.length !== selected.size || names.some((name) => !selected.has(name))) {
      throw new SchemaproofError({
        code: 'shard_mismatch',
        files: [shard.file],
        detail: `its results (${names.join(', ') || 'none'}) are not the items it says it ran (${shard.info.selected.join(', ') || 'none'})`,
      });
    }
    for (const [position, result] of results.entries()) byName.set(names[position]!, result);
  }
  return shards[0]!.info.items.map((name) => byName.get(name)!);
}

function withoutShard<T>(report: unknown): T {
  const { shard: _shard, ...result } = report as { shard?: unknown };
  return result as T;
}

function mergePgtap(shards: readonly Shard<PgtapRunResult>[]): PgtapRunResult {
  const first = shards[0]!;
  // No file anywhere: every shard ran nothing and says so the same way; the run's verdict is that.
  if (first.info.items.length === 0) return first.result;
  const files = inRunOrder<PgtapFileResult>(
    shards,
    (result) => (result as PgtapRunResult).files,
    (file) => file.displayPath,
  );
  const ran = shards.filter((shard) => shard.info.selected.length > 0).map((shard) => shard.result);
  const head = ran[0]!;
  return {
    ok: files.every((file) => file.status === 'passed'),
    noFiles: null,
    files,
    totals: totalsOf(files),
    durationMs: Math.max(...ran.map((result) => result.durationMs)),
    jobs: Math.max(...ran.map((result) => result.jobs)),
    timeoutMs: head.timeoutMs,
    cloneStrategy: head.cloneStrategy,
    template: head.template,
    pgtapSchema: head.pgtapSchema,
    startedAt: ran.map((result) => result.startedAt).sort()[0]!,
  };
}

function mergeRls(shards: readonly Shard<RlsResult>[]): RlsResult {
  const first = shards[0]!;
  const properties = inRunOrder<PropertyResult>(
    shards,
    (result) => (result as RlsResult).properties,
    (property) => property.name,
  );
  const ran = shards.filter((shard) => shard.info.selected.length > 0);
  for (const shard of ran) {
    if (!shard.result.tally) throw new SchemaproofError({ code: 'shard_mismatch', files: [shard.file], detail: 'an RLS shard report without its tally (written by another version of schemaproof?)' });
  }
  const head = ran[0]!.result;
  const tallies = ran.map((shard) => shard.result.tally!);
  const snapshot = mergeTallies(tallies.map((tally) => tally.snapshot));
  const targets = tallies.find((tally) => tally.targets.length > 0)?.targets ?? [];
  let coverage = ran.flatMap((shard) => shard.result.coverage);
  // As runRls does for an unsharded run: judged once, on everything the run tried.
  if (first.info.inputs.checkExercise === true) {
    const findings = exerciseFindingsOf(targets, snapshot);
    const index = properties.findIndex((property) => property.name === 'coverage');
    if (findings.length > 0 && index >= 0) {
      const previous = properties[index]!;
      const example = { violation: null, alsoFailing: [], people: [], world: {}, coverage: [...(previous.counterexample?.coverage ?? []), ...findings] };
      properties[index] = { ...previous, passed: false, counterexample: { ...example, rendered: renderCounterexample(example) } };
      coverage = [...coverage, ...findings];
    }
  }
  const durations = ran.map((shard) => shard.result.durationMs);
  const busyMs = durations.reduce((sum, ms) => sum + ms, 0);
  return {
    properties,
    passed: properties.every((property) => property.passed),
    seed: head.seed,
    runs: head.runs,
    cases: snapshot.cases,
    casesPerSecond: busyMs > 0 ? snapshot.cases / (busyMs / 1000) : 0,
    durationMs: Math.max(...durations),
    observedMatrix: observedMatrixOf(snapshot, tallies[0]!.actorOrder),
    coverage,
    unreviewed: head.unreviewed,
    rowNotes: head.rowNotes,
  };
}

function mergeMutation(shards: readonly Shard<MutationResult>[]): MutationResult {
  const mutants = inRunOrder<MutantResult>(
    shards,
    (result) => (result as MutationResult).mutants,
    (mutant) => mutant.name,
  );
  const ran = shards.filter((shard) => shard.info.selected.length > 0).map((shard) => shard.result);
  const source = ran.length > 0 ? ran : shards.map((shard) => shard.result);
  const failing = new Set<PropertyName>(source.flatMap((result) => result.baselineFailures));
  const counted = mutants.filter((result) => result.status !== 'equivalent' && result.status !== 'not_applicable');
  const caught = counted.filter((result) => result.status === 'caught').length;
  return {
    seed: source[0]!.seed,
    runs: source[0]!.runs,
    baselineFailures: propertyNames.filter((name) => failing.has(name)),
    mutants,
    caught,
    total: counted.length,
    notApplicable: mutants.filter((result) => result.status === 'not_applicable').length,
    errors: mutants.filter((result) => result.status === 'error').length,
    score: counted.length === 0 ? 1 : caught / counted.length,
    durationMs: Math.max(...source.map((result) => result.durationMs)),
  };
}

/** Check that `reports` are every shard of one run, once each, and merge them. */
export function mergeShardReports(reports: readonly ShardReportFile[]): MergedReport {
  const shards = reports.map(({ file, report }) => ({ file, info: shardInfoOf(file, report), result: withoutShard<unknown>(report) }));
  checkShardSet(shards);
  const sorted = [...shards].sort((a, b) => a.info.index - b.info.index);
  const kind: ShardKind = sorted[0]!.info.kind;
  switch (kind) {
    case 'pgtap':
      return { kind, shards: sorted.length, result: mergePgtap(sorted as Shard<PgtapRunResult>[]) };
    case 'rls':
      return { kind, shards: sorted.length, result: mergeRls(sorted as Shard<RlsResult>[]) };
    case 'mutation':
      return { kind, shards: sorted.length, result: mergeMutation(sorted as Shard<MutationResult>[]) };
  }
}

/** Whether the merged run passed (the exit code of its command). */
export function mergedPassed(merged: MergedReport): boolean {
  switch (merged.kind) {
    case 'pgtap':
      return merged.result.ok;
    case 'rls':
      return merged.result.passed;
    case 'mutation':
      return mutationPassed(merged.result);
  }
}

/** Read a shard's JSON report (a missing or unparsable file is `input_invalid`, naming it). */
export function readShardReport(file: string): ShardReportFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SchemaproofError({ code: 'input_invalid', file, line: 0, detail: `cannot read the report: ${(error as Error).message}` });
  }
  try {
    return { file, report: JSON.parse(text) as unknown };
  } catch (error) {
    throw new SchemaproofError({ code: 'input_invalid', file, line: 0, detail: `not JSON: ${(error as Error).message}` });
  }
}
