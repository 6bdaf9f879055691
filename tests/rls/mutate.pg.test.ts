import { resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { loadAccessSpec, mutantCatalogue, runMutation } from '../../src/rls/index.ts';
import { testServer } from '../helpers/pg.ts';

const spec = loadAccessSpec(resolve(import.meta.dirname, '../access/access-spec.json'));

// One mutant of every kind (the CLI `schemaproof rls mutate` runs the whole
// generated catalogue; this keeps the test file within CI time on 2 cores).
const representative = [
  'permissive_true_privacy_data_requests',
  'rls_disabled_ingestion_logs',
  'rls_not_forced_privacy_consent_records',
  'with_check_dropped_analytics_events_insert_own',
  'with_check_dropped_analytics_page_views_update_own',
  'wrong_column_id_analytics_sessions_select_authenticated',
  'actor_subject_confusion_privacy_audit_logs_select_authenticated',
  'admin_from_user_metadata',
  'session_claims_cache',
  'anon_select_grant_ingestion_logs',
  'view_security_definer_privacy_current_consents',
  'unlisted_view_exposing_table',
  'partition_exposed_default_analytics_events',
  'trigger_disabled_privacy_audit_logs_block_update',
  'write_grant_privacy_audit_logs',
  'definer_function_without_search_path',
  'user_consent_readable_by_anon',
];

describe('mutation self-test', () => {
  // Up to 5 minutes: every relation of the spec (21 with the rollups) is
  // probed for each mutant, and the machine has 2 shared cores.
  it('catches one mutant of every kind (100%), including a user mutant file, and reports a harmless change as SURVIVED', { timeout: 300_000 }, async () => {
    const server = testServer();
    const template = inject('pg').template;
    const catalogue = await mutantCatalogue({ server, template, spec, mutantsDir: resolve(import.meta.dirname, '../access/mutants') });
    for (const name of representative) expect(catalogue.map((mutant) => mutant.name)).toContain(name);
    const harmless = { name: 'harmless_comment', description: 'a comment change: must survive', sql: "comment on table public.fec_filings is 'changed'", source: 'test' };
    const mutants = [...catalogue.filter((mutant) => representative.includes(mutant.name)), harmless];
    const result = await runMutation({ server, template, spec, runs: 2, seed: 99, mutants });
    expect(result.baselineFailures).toEqual([]);
    const survivors = result.mutants.filter((mutant) => mutant.caughtBy === null).map((mutant) => mutant.name);
    expect(survivors).toEqual(['harmless_comment']);
    expect(result.caught).toBe(representative.length);
    const byName = new Map(result.mutants.map((mutant) => [mutant.name, mutant]));
    expect(byName.get('rls_not_forced_privacy_consent_records')?.caughtBy).toBe('side_doors');
    expect(byName.get('session_claims_cache')?.caughtBy).toBe('no_transaction_leak');
    expect(byName.get('trigger_disabled_privacy_audit_logs_block_update')?.caughtBy).toBe('audit_trail');
    expect(byName.get('unlisted_view_exposing_table')?.caughtBy).toBe('coverage');
    expect(byName.get('admin_from_user_metadata')?.counterexample?.rendered).toContain('user_metadata');
  });
});
