import { describe, expect, it } from 'vitest';
import { mergeTallies, type TallySnapshot } from '../../src/rls/index.ts';

const cell = (observed: Record<string, string[]>, cases: number, violations: number) => ({
  key: 'notes|user|select|',
  relation: 'notes',
  actor: 'user',
  operation: 'select' as const,
  expected: 'own',
  observed,
  cases,
  violations,
});

describe('merging tallies (shards, and properties judged side by side)', () => {
  it('adds counts and unites the outcomes of a cell both saw, keeping cells in first-seen order', () => {
    const first: TallySnapshot = {
      cases: 3,
      cells: [cell({ own: ['seen'], other: ['hidden'] }, 3, 0)],
      rows: { notes: 2 },
      exercise: { 'notes|user|select': { cases: 3, allowed: 2, refused: 1 } },
    };
    const second: TallySnapshot = {
      cases: 5,
      cells: [{ ...cell({ own: ['error 42501'], none: ['hidden'] }, 4, 1), key: 'tasks|user|select|', relation: 'tasks' }, cell({ own: ['error 42501', 'seen'], none: ['hidden'] }, 1, 1)],
      rows: { notes: 1, tasks: 4 },
      exercise: { 'notes|user|select': { cases: 1, allowed: 0, refused: 1 } },
    };
    const merged = mergeTallies([first, second]);
    expect(merged.cases).toBe(8);
    expect(merged.cells.map((entry) => entry.key)).toEqual(['notes|user|select|', 'tasks|user|select|']);
    expect(merged.cells[0]).toMatchObject({ cases: 4, violations: 1, observed: { own: ['error 42501', 'seen'], other: ['hidden'], none: ['hidden'] } });
    expect(merged.rows).toEqual({ notes: 3, tasks: 4 });
    expect(merged.exercise).toEqual({ 'notes|user|select': { cases: 4, allowed: 2, refused: 2 } });
    // The inputs are left as they were.
    expect(first.cells[0]!.observed).toEqual({ own: ['seen'], other: ['hidden'] });
  });

  it('of nothing is an empty tally', () => {
    expect(mergeTallies([])).toEqual({ cases: 0, cells: [], rows: {}, exercise: {} });
  });
});
