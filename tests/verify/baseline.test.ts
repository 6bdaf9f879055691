import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareReports, readBaseline } from '../../src/verify/index.ts';
import { sampleReport } from '../report/sample-report.ts';

const base = sampleReport();
const query = base.plans!.queries[0]!;
const gates = { slowdownFactor: 2, timingsGate: false, workFactor: 2, workFloor: 16 };

describe('baseline comparison', () => {
  it('finds no change against itself', () => {
    expect(compareReports(base, base, gates)).toEqual([]);
  });

  it('flags a lost index, twice the work, new access and a new error lint as regressions', () => {
    const after = sampleReport({
      plans: { ...base.plans!, queries: [{ ...query, planNode: 'Seq Scan', indexes: [], work: { ...query.work!, buffers: 300, total: 300 }, p50Ms: query.p50Ms! * 2.5 }] },
      accessMatrix: base.accessMatrix.map((cell) => (cell.actor === 'anon' && cell.table === 'analytics_events' ? { ...cell, observed: 'all' } : cell)),
      lint: {
        ...base.lint!,
        findings: [...base.lint!.findings, { lint: 'rls_not_forced', level: 'error', object: 'public.t', detail: 'not forced', remediation: 'force it', suppressed: false, suppressionReason: null }],
      },
    });
    const changes = compareReports(base, after, gates);
    const kinds = changes
      .filter((change) => change.regression)
      .map((change) => change.kind)
      .sort();
    expect(kinds).toEqual(['lost_index', 'more_work', 'new_access', 'new_lint']);
  });

  it('calls a slower query a regression only when the timing gates are on, and a 1.5x slowdown not even then', () => {
    const slower = sampleReport({ plans: { ...base.plans!, queries: [{ ...query, p50Ms: query.p50Ms! * 3 }] } });
    expect(compareReports(base, slower, gates)).toEqual([]);
    expect(compareReports(base, slower, { ...gates, timingsGate: true }).map((change) => change.kind)).toEqual(['slower_query']);
    const bitSlower = sampleReport({ plans: { ...base.plans!, queries: [{ ...query, p50Ms: query.p50Ms! * 1.5, p95Ms: query.p95Ms! * 1.5 }] } });
    expect(compareReports(base, bitSlower, { ...gates, timingsGate: true })).toEqual([]);
  });

  it('refuses a baseline of another report version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-baseline-'));
    const file = join(dir, 'old.json');
    writeFileSync(file, JSON.stringify({ schemaVersion: 0 }));
    expect(() => readBaseline(file)).toThrowError(expect.objectContaining({ detail: expect.objectContaining({ code: 'baseline_invalid' }) }));
    writeFileSync(file, '{not json');
    expect(() => readBaseline(file)).toThrowError(expect.objectContaining({ detail: expect.objectContaining({ code: 'baseline_invalid' }) }));
  });
});
