/**
 * Which items a shard runs: `--shard i/n` (1-based). The split depends only
 * on the items' names (file paths relative to the project root, property
 * names, mutant names), never on the machine, the clock or the order they
 * were found in: the names are sorted by code unit (no locale) and dealt out
 * round-robin, so every item lands in exactly one shard and the shards differ
 * in size by at most one.
 */

export interface ShardSpec {
  /** 1-based. */
  readonly index: number;
  readonly total: number;
}

/** `i/n` with 1 ≤ i ≤ n, both plain decimal integers; the problem in words otherwise. */
export function parseShard(value: string): ShardSpec | { readonly problem: string } {
  const match = /^([0-9]+)\/([0-9]+)$/.exec(value.trim());
  if (!match) return { problem: 'expected i/n, e.g. 1/4 (shard i of n, 1-based)' };
  const index = Number(match[1]);
  const total = Number(match[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(total) || total < 1) return { problem: 'n must be a whole number of 1 or more' };
  if (index < 1 || index > total) return { problem: `i must be between 1 and ${total}` };
  return { index, total };
}

export function isShardSpec(value: ShardSpec | { readonly problem: string }): value is ShardSpec {
  return 'index' in value;
}

/** Code-unit order: the same on every machine, whatever its locale. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The shard (1-based) each name lands in. */
export function assignShards(names: readonly string[], total: number): ReadonlyMap<string, number> {
  const sorted = [...new Set(names)].sort(compareNames);
  return new Map(sorted.map((name, position) => [name, (position % total) + 1]));
}

/** The items of shard `shard.index`, in their original order. */
export function selectShard<T>(items: readonly T[], nameOf: (item: T) => string, shard: ShardSpec): readonly T[] {
  const assigned = assignShards(items.map(nameOf), shard.total);
  return items.filter((item) => assigned.get(nameOf(item)) === shard.index);
}
