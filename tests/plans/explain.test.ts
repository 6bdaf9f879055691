import { describe, expect, it } from 'vitest';
import { compareToBaseline, functionCallsIn, planShape, planWork, rlsWorkFinding, seqScans, summarise, type CatalogFacts, type PlanWork, type QueryBenchResult } from '../../src/plans/index.ts';

const facts: CatalogFacts = {
  rows: new Map([
    ['analytics_events_p202611', 50_000],
    ['fec_candidates', 3_900],
  ]),
  rootIndex: new Map([['analytics_events_p202611_user_id_occurred_at_idx', 'analytics_events_user_id_occurred_at_idx']]),
};

const plan = [
  {
    Plan: {
      'Node Type': 'Limit',
      Plans: [
        {
          'Node Type': 'Append',
          Plans: [
            { 'Node Type': 'Index Scan', 'Relation Name': 'analytics_events_p202611', 'Index Name': 'analytics_events_p202611_user_id_occurred_at_idx' },
            { 'Node Type': 'Seq Scan', 'Relation Name': 'fec_candidates' },
            { 'Node Type': 'Seq Scan', 'Relation Name': 'analytics_events_p202611' },
          ],
        },
      ],
    },
    'Execution Time': 1.5,
  },
];

function work(buffers: number, functionCalls = 0, filterCalls = 0): PlanWork {
  return { buffers, rows: buffers * 10, functionCalls, filterCalls, total: buffers + functionCalls + filterCalls };
}

function result(id: string, indexes: string[], scans: { relation: string; rows: number }[], p50: number, buffers = 40): QueryBenchResult {
  return {
    id,
    title: id,
    area: null,
    actor: 'user',
    aggregate: false,
    params: {},
    planNodes: { top: 'Limit', indexes, nodeTypes: [] },
    seqScans: scans,
    expectedIndexes: [],
    expectedIndexMissing: [],
    waivedIndexes: [],
    work: work(buffers),
    bypassWork: work(buffers),
    workStable: true,
    rlsWorkRatio: 1,
    rlsAddedWork: 0,
    executionMs: null,
    timings: { p50, p95: p50 * 2, max: p50 * 3, runs: 20 },
    bypassTimings: null,
    rlsTimeRatio: null,
    passed: true,
    failures: [],
  };
}

/** An EXPLAIN (ANALYZE, BUFFERS) document: an index scan whose filter calls a function per row, under an initplan. */
function analyzed(filter: string, rows: number, removed: number, loops = 1): unknown {
  return [
    {
      Plan: {
        'Node Type': 'Limit',
        'Actual Rows': rows,
        'Actual Loops': 1,
        'Shared Hit Blocks': 30,
        'Shared Read Blocks': 12,
        Plans: [
          { 'Node Type': 'Result', 'Parent Relationship': 'InitPlan', 'Actual Rows': 1, 'Actual Loops': 1 },
          {
            'Node Type': 'Index Scan',
            'Relation Name': 't',
            'Index Name': 't_pkey',
            'Index Cond': "(created > (now() - '7 days'::interval))",
            Filter: filter,
            'Actual Rows': rows,
            'Rows Removed by Filter': removed,
            'Actual Loops': loops,
            'Shared Hit Blocks': 30,
            'Shared Read Blocks': 12,
          },
        ],
      },
      'Execution Time': 1.5,
    },
  ];
}

describe('plan analysis', () => {
  it('maps partition indexes to their root and lists seq scans with row estimates', () => {
    const shape = planShape(plan, facts);
    expect(shape.topNode).toBe('Limit');
    expect(shape.indexes).toEqual(['analytics_events_user_id_occurred_at_idx']);
    expect(shape.executionMs).toBe(1.5);
    expect(seqScans(shape, facts)).toEqual([
      { relation: 'fec_candidates', rows: 3900 },
      { relation: 'analytics_events_p202611', rows: 50000 },
    ]);
  });

  it('counts the work of an execution: buffers hit + read, rows with loops, per-row function calls in filters', () => {
    const wrapped = planWork(analyzed('((owner = $0) OR $1)', 700, 300), 2);
    expect(wrapped).toEqual({ buffers: 42, rows: 700 + 1 + 1000, functionCalls: 2, filterCalls: 1, total: 45 });
    // The same query with auth.uid() inlined per row: two current_setting() calls on each of the 1,000 rows examined.
    const inlined = planWork(
      analyzed(
        "((owner = (COALESCE(NULLIF(current_setting('request.jwt.claim.sub'::text, true), ''::text), ((NULLIF(current_setting('request.jwt.claims'::text, true), ''::text))::jsonb ->> 'sub'::text)))::uuid) OR $1)",
        700,
        300,
      ),
      1,
    );
    expect(inlined.filterCalls).toBe(2 * 1000 + 1);
    // Conditions of a rescanned inner side count once per loop.
    expect(planWork(analyzed('(owner = $0)', 1, 0, 50), null).filterCalls).toBe(50);
    expect(planWork(analyzed('(owner = $0)', 1, 0), null).functionCalls).toBeNull();
  });

  it('finds function calls in deparsed expressions, not constructs, casts or strings', () => {
    expect(functionCallsIn("(lower(name) ~~ '%abc(%'::text)")).toBe(1);
    expect(functionCallsIn('((user_id = $0) OR private.is_admin())')).toBe(1);
    expect(functionCallsIn("(COALESCE(NULLIF(x, ''::text), y) = ANY ('{a,b}'::text[]))")).toBe(0);
    expect(functionCallsIn('("Odd Fn"(a) AND s."Odd"(b) AND (SubPlan 1))')).toBe(2);
  });

  it('fails RLS work only above the floor and the ratio, and says what grew', () => {
    const gates = { rlsRatio: 1.2, rlsFloorWork: 100 };
    expect(rlsWorkFinding('admin', 'service', work(10, 2), work(10), gates)).toBeNull();
    expect(rlsWorkFinding('admin', 'service', work(124, 2), work(81), gates)).toBeNull();
    expect(rlsWorkFinding('admin', 'service', work(10, 732), work(10), gates)).toMatch(/732 more function calls: a policy function evaluated per row/);
    expect(rlsWorkFinding('user', 'service', work(900), work(300), gates)).toMatch(/600 more buffers/);
    expect(rlsWorkFinding('user', 'service', work(900), work(300), gates)).not.toMatch(/function calls:/);
  });

  it('summarises timings with nearest-rank percentiles', () => {
    const samples = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(summarise(samples)).toEqual({ p50: 10, p95: 19, max: 20, runs: 20 });
  });
});

describe('baseline comparison', () => {
  const gates = { slowdownFactor: 2, timingsGate: false, workFactor: 2, workFloor: 16 };
  const baseline = { version: 2 as const, queries: [result('q05', ['analytics_sessions_user_id_started_at_idx'], [], 2)] };

  it('passes an identical run, and a slower one while wall times do not gate', () => {
    expect(compareToBaseline([result('q05', ['analytics_sessions_user_id_started_at_idx'], [], 2.5)], baseline, gates, 'b.json').findings).toEqual([]);
    expect(compareToBaseline([result('q05', ['analytics_sessions_user_id_started_at_idx'], [], 9)], baseline, gates, 'b.json').findings).toEqual([]);
  });

  it('fails a lost index, a new seq scan and twice the work, naming the query', () => {
    const now = result('q05', [], [{ relation: 'analytics_sessions', rows: 200000 }], 5, 120);
    const findings = compareToBaseline([now], baseline, gates, 'b.json').findings;
    expect(findings.map((finding) => finding.kind)).toEqual(['lost_index', 'new_seq_scan', 'more_work']);
    expect(findings[0]?.detail).toContain('analytics_sessions_user_id_started_at_idx');
    expect(findings[2]?.detail).toContain('buffers 40 → 120');
    expect(findings.every((finding) => finding.queryId === 'q05')).toBe(true);
  });

  it('does not call a page or two more a regression (the floor), and gates time only when asked', () => {
    const tiny = { version: 2 as const, queries: [result('q08', ['i'], [], 1, 3)] };
    expect(compareToBaseline([result('q08', ['i'], [], 1, 9)], tiny, gates, 'b.json').findings).toEqual([]);
    const slower = compareToBaseline([result('q05', ['analytics_sessions_user_id_started_at_idx'], [], 5)], baseline, { ...gates, timingsGate: true }, 'b.json').findings;
    expect(slower.map((finding) => finding.kind)).toEqual(['slowdown', 'slowdown']);
  });
});
