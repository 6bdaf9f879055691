/**
 * What a shard's JSON report carries besides its result (`shard`): which
 * shard of how many, every item of the whole run in its order, this shard's
 * items, and the inputs every shard of one run must agree on (seed, runs,
 * hashes of the files that shape the verdict) with their fingerprint.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { compareNames, selectShard, type ShardSpec } from './select.ts';

export const shardKinds = ['pgtap', 'rls', 'mutation'] as const;
export type ShardKind = (typeof shardKinds)[number];

export const shardInfoVersion = 1;

export type ShardInputs = Readonly<Record<string, string | number | boolean | null>>;

export interface ShardInfo {
  readonly version: typeof shardInfoVersion;
  readonly kind: ShardKind;
  /** 1-based. */
  readonly index: number;
  readonly total: number;
  /** Every item of the unsharded run (file paths relative to the root, property or mutant names), in the order its report lists them. */
  readonly items: readonly string[];
  /** The items this shard ran. */
  readonly selected: readonly string[];
  /** What every shard of one run must agree on. */
  readonly inputs: ShardInputs;
  /** sha256 of kind, total, items and inputs. */
  readonly fingerprint: string;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => compareNames(a, b));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonical(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function shardFingerprint(kind: ShardKind, total: number, items: readonly string[], inputs: ShardInputs): string {
  return createHash('sha256').update(canonical({ kind, total, items, inputs })).digest('hex');
}

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((entry) => filesUnder(join(path, entry.name)));
}

/**
 * One hash of the files (and every file under the folders) given: their paths
 * relative to `root` and their bytes. A missing path counts as empty, so two
 * checkouts of the same commit agree wherever they are.
 */
export function hashFiles(root: string, paths: readonly (string | null | undefined)[]): string {
  const hash = createHash('sha256');
  const files = [...new Set(paths.flatMap((path) => (path ? filesUnder(path) : [])))].map((file) => ({ file, name: relative(root, file) }));
  for (const { file, name } of files.sort((a, b) => compareNames(a.name, b.name))) {
    hash.update(`${name}\0`);
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** Pick this shard's items and describe the shard for its report. */
export function planShard<T>(kind: ShardKind, shard: ShardSpec, items: readonly T[], nameOf: (item: T) => string, inputs: ShardInputs): { readonly selected: readonly T[]; readonly info: ShardInfo } {
  const names = items.map(nameOf);
  const selected = selectShard(items, nameOf, shard);
  return {
    selected,
    info: {
      version: shardInfoVersion,
      kind,
      index: shard.index,
      total: shard.total,
      items: names,
      selected: selected.map(nameOf),
      inputs,
      fingerprint: shardFingerprint(kind, shard.total, names, inputs),
    },
  };
}

/** The line a shard with nothing to run prints (it still writes its report: merging needs every shard). */
export function emptyShardMessage(info: ShardInfo, what: string): string {
  return `shard ${info.index}/${info.total}: nothing to run (${info.items.length} ${what} over ${info.total} shards); its report still counts when merging`;
}
