/**
 * A saved bench report is a baseline: it round-trips through readBaseline,
 * and a report of another version, or one that is not a bench report, is
 * refused (baseline_invalid) rather than compared.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBaseline } from '../../src/plans/index.ts';

function saved(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sp-baseline-')), 'bench.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const query = {
  id: 'q01',
  planNodes: { top: 'Limit', indexes: ['i'] },
  seqScans: [],
  work: { buffers: 55, rows: 160, functionCalls: 0, filterCalls: 0, total: 55 },
  timings: null,
};

describe('baselines', () => {
  it('reads back what a bench run saved', () => {
    expect(readBaseline(saved({ version: 2, queries: [query] })).queries[0]?.work?.buffers).toBe(55);
  });

  it('refuses a version 1 report (timed, no work), one that is not a bench report, and one that is not JSON', () => {
    for (const content of [{ version: 1, queries: [query] }, { version: 2, queries: [{ id: 'q01' }] }, '{ nope']) {
      expect(() => readBaseline(saved(content))).toThrowError(expect.objectContaining({ detail: expect.objectContaining({ code: 'baseline_invalid' }) }));
    }
  });
});
