import { describe, expect, it } from 'vitest';
import { compareToBaseline, planShape, seqScans, summarise, type CatalogFacts, type QueryBenchResult } from '../../src/plans/index.ts';

const facts: CatalogFacts = {
  rows: new Map([['analytics_events_p202611', 50_000], ['fec_candidates', 3_900]]),
  rootIndex: new Map([['analytics_events_p202611_user_id_occurred_at_idx', 'analytics_events_user_id_occurred_at_idx']]),
};

const plan = [{
  Plan: {
    'Node Type': 'Limit',
    Plans: [{
      'Node Type': 'Append',
      Plans: [
        { 'Node Type': 'Index Scan', 'Relation Name': 'analytics_events_p202611', 'Index Name': 'analytics_events_p202611_user_id_occurred_at_idx' },
        { 'Node Type': 'Seq Scan', 'Relation Name': 'fec_candidates' },
        { 'Node Type': 'Seq Scan', 'Relation Name': 'analytics_events_p202611' },
      ],
    }],
  },
  'Execution Time': 1.5,
}];

function result(id: string, indexes: string[], scans: { relation: string; rows: number }[], p50: number): QueryBenchResult {
  return {
    id, title: id, area: 'analytics', actor: 'user', aggregate: false, params: {},
    planNodes: { top: 'Limit', indexes, nodeTypes: [] }, seqScans: scans, expectedIndexes: [], expectedIndexMissing: [], waivedIndexes: [],
    executionMs: null, buffers: { sharedHit: null, sharedRead: null },
    timings: { p50, p95: p50 * 2, max: p50 * 3, runs: 20 }, bypassTimings: null, rlsRatio: null, passed: true, failures: [],
  };
}

describe('plan analysis', () => {
  it('maps partition indexes to their root and lists seq scans with row estimates', () => {
    const shape = planShape(plan, facts);
    expect(shape.topNode).toBe('Limit');
    expect(shape.indexes).toEqual(['analytics_events_user_id_occurred_at_idx']);
    expect(shape.executionMs).toBe(1.5);
    expect(seqScans(shape, facts)).toEqual([{ relation: 'fec_candidates', rows: 3900 }, { relation: 'analytics_events_p202611', rows: 50000 }]);
  });

  it('summarises timings with nearest-rank percentiles', () => {
    const samples = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(summarise(samples)).toEqual({ p50: 10, p95: 19, max: 20, runs: 20 });
  });
});

describe('baseline comparison', () => {
  const gates = { slowdownFactor: 2, timingsGate: true };
  const baseline = { version: 1 as const, queries: [result('q05', ['analytics_sessions_user_id_started_at_idx'], [], 2)] };

  it('passes an identical run', () => {
    expect(compareToBaseline([result('q05', ['analytics_sessions_user_id_started_at_idx'], [], 2.5)], baseline, gates, 'b.json').findings).toEqual([]);
  });

  it('fails a lost index, a new seq scan and a 2x slowdown, naming the query', () => {
    const now = result('q05', [], [{ relation: 'analytics_sessions', rows: 200000 }], 5);
    const findings = compareToBaseline([now], baseline, gates, 'b.json').findings;
    expect(findings.map((finding) => finding.kind)).toEqual(['lost_index', 'new_seq_scan', 'slowdown', 'slowdown']);
    expect(findings[0]?.detail).toContain('analytics_sessions_user_id_started_at_idx');
    expect(findings.every((finding) => finding.queryId === 'q05')).toBe(true);
  });
});
