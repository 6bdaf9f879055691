/** A complete report model with one failure in most sections, for renderer tests. */
import { reportSchemaVersion, type VerificationReport } from '../../src/report/index.ts';

export function sampleReport(overrides: Partial<VerificationReport> = {}): VerificationReport {
  return {
    schemaVersion: reportSchemaVersion,
    tool: { name: 'schemaproof', version: '0.1.0' },
    generatedAt: '2026-11-25T12:00:00.000Z',
    durationMs: 12_345,
    verdict: 'fail',
    gates: [
      { id: 'migrations', title: 'Migrations and policies apply', status: 'pass', summary: '7 migrations', durationMs: 900, failures: [] },
      { id: 'rls', title: 'RLS property tests', status: 'fail', summary: '1 property failed', durationMs: 4000, failures: [{ gate: 'rls', what: 'visibility: user sees another user\'s analytics_events row', where: 'analytics_events · user · select', replay: 'schemaproof rls --seed 42 --path 3:1' }] },
      { id: 'plans', title: 'Query plans and timings', status: 'pass', summary: '26/26 index-backed', durationMs: 30_000, failures: [] },
    ],
    compliance: {
      source: 'tests/compliance/compliance-map.json',
      note: '1 duty from tests/compliance/compliance-map.json.',
      duties: [{ id: 'erasure', duty: 'Right to erasure', regulation: 'GDPR Art. 17', mechanism: 'erase_user_data', proofs: [{ check: 'pgTAP tests/pgtap/compliance_export_erase.sql: erase leaves nothing personal', status: 'pass', detail: '#3 ok' }], status: 'pass' }],
      problems: [],
    },
    inventory: {
      schemas: ['public'],
      note: 'Schemas exposed by the access spec: public.',
      tables: [
        {
          name: 'analytics_events', kind: 'partitioned_table', comment: 'One row per tracked interaction.', partitionOf: null, rlsEnabled: true, rlsForced: true, estimatedRows: 1_000_000,
          columns: [{ name: 'id', type: 'uuid', nullable: false, default: 'private.uuid_v7()', generated: null, comment: 'Time-ordered id' }],
          indexes: [{ name: 'analytics_events_pkey', definition: 'CREATE UNIQUE INDEX analytics_events_pkey ON public.analytics_events USING btree (id, occurred_at)' }],
          constraints: [{ name: 'analytics_events_pkey', type: 'primary key', definition: 'PRIMARY KEY (id, occurred_at)' }],
          triggers: ['analytics_events_set_updated_at'],
          policies: [{ name: 'analytics_events_select_authenticated', command: 'select', roles: ['authenticated'], using: '(user_id = ( SELECT auth.uid() AS uid))', withCheck: null }],
          grants: { authenticated: ['DELETE', 'INSERT', 'SELECT'], anon: ['INSERT'] },
        },
      ],
      functions: [{ signature: 'erase_user_data(uuid)', securityDefiner: true, config: ['search_path=""'], comment: 'GDPR Art. 17' }],
      enums: [{ name: 'analytics_device_type', labels: ['desktop', 'mobile'] }],
    },
    accessMatrix: [
      { table: 'analytics_events', actor: 'user', operation: 'select', expected: 'own', observed: 'all', status: 'fail' },
      { table: 'analytics_events', actor: 'anon', operation: 'select', expected: 'none', observed: 'none', status: 'pass' },
      { table: 'fec_candidates', actor: 'anon', operation: 'select', expected: 'all', observed: 'all', status: 'pass' },
    ],
    pgtap: { files: [{ file: 'tests/pgtap/analytics_structure.sql', status: 'pass', planned: 40, passed: 40, failed: 0, durationMs: 120, failures: [] }], assertions: 40, failedAssertions: 0 },
    rls: { properties: [{ name: 'visibility', runs: 100, status: 'fail', seed: 42, counterexample: 'user u1 saw event e2 of user u2', replay: 'schemaproof rls --seed 42 --path 3:1' }], cases: 1200, casesPerSecond: 400, seed: 42 },
    mutation: { mutants: [{ name: 'permissive_true', description: 'extra USING (true) policy', caughtBy: 'visibility', status: 'pass' }], score: 1 },
    plans: {
      scale: 'medium',
      seed: 42,
      catalogue: 'tests/plans/catalogue.json',
      gates: { deterministic: 'plan shape; RLS work ratio ≤ 1.2', timings: { enabled: false, reason: null, summary: 'Wall times are reported, not gated.' } },
      queries: [{
        id: '1', title: "a user's latest 50 events", area: 'analytics', actor: 'user', planNode: 'Limit → Index Scan', indexes: ['analytics_events_user_id_occurred_at_idx'], seqScans: [],
        work: { buffers: 96, rows: 162, functionCalls: 0, filterCalls: 0, total: 96 }, bypassWork: { buffers: 96, rows: 161, functionCalls: 0, filterCalls: 0, total: 96 }, rlsWorkRatio: 1,
        p50Ms: 0.4, p95Ms: 0.9, maxMs: 1.3, rlsTimeRatio: 1.05, status: 'pass', failures: [],
      }],
      notes: ['UUID v7 vs v4: index 21% smaller'],
    },
    lint: { catalogue: [{ name: 'rls_not_forced', title: 'RLS not forced', level: 'error', description: 'Table owner bypasses RLS', remediation: 'alter table ... force row level security' }], findings: [{ lint: 'duplicate_index', level: 'warn', object: 'public.x', detail: 'x_a_idx duplicates x_a_idx1', remediation: 'drop index x_a_idx1', suppressed: true, suppressionReason: 'kept for a migration window' }] },
    migrations: { files: [{ file: 'sql/00001-extensions.sql', kind: 'migration', sha256: 'ab'.repeat(32) }] },
    restoreDrill: { status: 'pass', summary: 'dump 500 KiB, 0 differences', differences: [] },
    environment: { postgres: '15.18', node: 'v20' },
    baseline: null,
    ...overrides,
  };
}
