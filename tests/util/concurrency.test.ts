import { describe, expect, it } from 'vitest';
import { mapConcurrently } from '../../src/util/concurrency.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('mapConcurrently', () => {
  it("keeps the items' order whatever order they finish in, and never runs more than asked", async () => {
    let running = 0;
    let most = 0;
    const result = await mapConcurrently([30, 5, 20, 1, 10], 2, async (ms, index) => {
      running += 1;
      most = Math.max(most, running);
      await pause(ms);
      running -= 1;
      return `${index}:${ms}`;
    });
    expect(result).toEqual(['0:30', '1:5', '2:20', '3:1', '4:10']);
    expect(most).toBe(2);
  });

  it('starts nothing after the first failure, lets the running item finish, then throws that failure', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = mapConcurrently([0, 1, 2, 3, 4], 2, async (item) => {
      started.push(item);
      if (item === 0) throw new Error('first');
      await pause(20);
      finished.push(item);
      return item;
    });
    await expect(run).rejects.toThrow('first');
    expect(started).toEqual([0, 1]);
    expect(finished).toEqual([1]);
  });

  it('returns an empty list for no items', async () => {
    expect(await mapConcurrently([], 3, async () => 1)).toEqual([]);
  });
});
