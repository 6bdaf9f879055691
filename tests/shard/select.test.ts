import { describe, expect, it } from 'vitest';
import { assignShards, isShardSpec, parseShard, selectShard } from '../../src/shard/index.ts';

describe('--shard i/n', () => {
  it('parses i/n with 1 <= i <= n', () => {
    expect(parseShard('1/1')).toEqual({ index: 1, total: 1 });
    expect(parseShard('3/4')).toEqual({ index: 3, total: 4 });
    for (const bad of ['0/2', '3/2', '1/0', '1', '1/2/3', 'a/b', '-1/2', '1.5/2', '', '/2', '1/']) {
      expect(isShardSpec(parseShard(bad)), bad).toBe(false);
    }
  });

  it('puts every item in exactly one shard, sizes differing by at most one, whatever order the items come in', () => {
    const names = Array.from({ length: 23 }, (_, index) => `tests/pgtap/file_${String.fromCharCode(97 + ((index * 7) % 26))}${index}.sql`);
    for (const total of [1, 2, 3, 5, 23, 30]) {
      const shards = Array.from({ length: total }, (_, index) => selectShard(names, (name) => name, { index: index + 1, total }));
      expect(shards.flat().sort()).toEqual([...names].sort());
      const sizes = shards.map((shard) => shard.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      const reversed = Array.from({ length: total }, (_, index) => selectShard([...names].reverse(), (name) => name, { index: index + 1, total }));
      expect(reversed.map((shard) => [...shard].sort())).toEqual(shards.map((shard) => [...shard].sort()));
    }
  });

  it('splits by code unit, not by locale: upper case sorts before lower case on every machine', () => {
    const assigned = assignShards(['b', 'B', 'a', 'A'], 2);
    expect([...assigned]).toEqual([
      ['A', 1],
      ['B', 2],
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('keeps the items in their original order within a shard', () => {
    expect(selectShard(['d', 'c', 'b', 'a'], (name) => name, { index: 1, total: 2 })).toEqual(['c', 'a']);
  });
});
