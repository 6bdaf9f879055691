import { resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { sql } from '@databases/pg';
import { focusReaders, loadAccessSpec, mutantCatalogue, mutationPassed, runMutation, selectMutants } from '../../src/rls/index.ts';
import { templateHandle, withClone } from '../../src/postgres/index.ts';
import { testServer } from '../helpers/pg.ts';

const spec = loadAccessSpec(resolve(import.meta.dirname, '../access/access-spec.json'));

// One mutant of every kind (the CLI `schemaproof rls mutate` runs the whole
// generated catalogue; this keeps the test file within CI time on 2 cores).
const representative = [
  'policy_dropped_fec_candidates_select_anon',
  'using_true_analytics_sessions_update_own',
  'with_check_dropped_analytics_events_insert_own',
  'roles_widened_analytics_events_insert_anon',
  'owner_negated_privacy_audit_logs_select_authenticated',
  'owner_swapped_analytics_sessions_select_authenticated',
  'permissive_true_privacy_data_requests',
  'rls_disabled_ingestion_logs',
  'rls_not_forced_privacy_consent_records',
  'anon_grant_ingestion_logs',
  'session_claims_cache',
  'view_security_definer_privacy_current_consents',
  'unlisted_view_exposing_table',
  'partition_exposed_default_analytics_events',
  'trigger_disabled_privacy_audit_logs_block_update',
  'write_grant_privacy_audit_logs',
  'definer_function_without_search_path',
  // Hold-out mutants of this project (tests/access/mutants/*.sql).
  'admin_from_user_metadata',
  'audit_chain_always_intact',
  'user_consent_readable_by_anon',
];

describe('mutation self-test', () => {
  it('generates mutants from the policies themselves, none naming an object the database lacks', async () => {
    const catalogue = await mutantCatalogue({ server: testServer(), template: inject('pg').template, spec, mutantsDir: resolve(import.meta.dirname, '../access/mutants') });
    const names = catalogue.map((mutant) => mutant.name);
    for (const name of representative) expect(names).toContain(name);
    // Every policy of the project gets dropped and every table loses RLS.
    expect(names.filter((name) => name.startsWith('policy_dropped_')).length).toBeGreaterThanOrEqual(40);
    for (const [name, relation] of Object.entries(spec.relations)) if (relation.kind === 'table') expect(names).toContain(`rls_disabled_${name}`);
    // The generic mutants name only what exists: nothing project-specific is built in.
    expect(
      catalogue
        .filter((mutant) => mutant.source !== 'generated' && mutant.source !== 'builtin')
        .map((mutant) => mutant.name)
        .sort(),
    ).toEqual(['admin_from_user_metadata', 'audit_actor_instead_of_subject', 'audit_chain_always_intact', 'consent_rewritable_by_owner', 'user_consent_readable_by_anon']);
    expect(catalogue.filter((mutant) => mutant.source === 'builtin').some((mutant) => mutant.sql.includes('is_admin'))).toBe(false);
    // Generated mutants restate the project's own policy expressions: they name its admin check only by rewriting a policy that calls it.
    const restating = catalogue.filter((mutant) => mutant.source === 'generated' && mutant.sql.includes('is_admin'));
    expect(restating.length).toBeGreaterThan(0);
    for (const mutant of restating) expect(mutant.sql).toMatch(/^alter policy /);
  });

  it('catches one mutant of every kind (100%); a harmless change SURVIVES, one that cannot apply is not applicable, one that breaks the schema is an error, one that commits is judged on clones', async () => {
    const server = testServer();
    const template = inject('pg').template;
    const catalogue = await mutantCatalogue({ server, template, spec, mutantsDir: resolve(import.meta.dirname, '../access/mutants') });
    const extra = [
      { name: 'harmless_comment', description: 'a comment change: must survive', sql: "comment on table public.fec_filings is 'changed'", source: 'test' },
      {
        name: 'names_a_missing_schema',
        description: 'a mutant for another schema',
        sql: 'create or replace function no_such_schema.is_admin() returns boolean language sql as $$ select true $$',
        source: 'test',
      },
      {
        name: 'breaks_every_insert',
        description: 'a trigger refusing every new filing (the worlds cannot be loaded)',
        sql: "create function public.sp_refuse() returns trigger language plpgsql as $$ begin raise exception 'refused'; end $$; create trigger sp_refuse before insert on public.fec_filings for each row execute function public.sp_refuse()",
        source: 'test',
      },
      {
        // Written as a migration is: inside a workspace its COMMIT would make the change outlive the rollback.
        name: 'own_transaction_disables_rls',
        description: 'BEGIN; RLS disabled on ingestion_logs; COMMIT',
        sql: 'begin; alter table public.ingestion_logs disable row level security; commit;',
        source: 'test',
      },
    ];
    const mutants = [...catalogue.filter((mutant) => representative.includes(mutant.name)), ...extra];
    const result = await runMutation({ server, template, spec, runs: 2, seed: 99, mutants });
    expect(result.baselineFailures).toEqual([]);
    const byName = new Map(result.mutants.map((mutant) => [mutant.name, mutant]));
    expect(result.mutants.filter((mutant) => mutant.status === 'survived').map((mutant) => mutant.name)).toEqual(['harmless_comment']);
    expect(byName.get('names_a_missing_schema')).toMatchObject({ status: 'not_applicable', caughtBy: null });
    expect(byName.get('names_a_missing_schema')!.applyError).toMatch(/^3F000/);
    expect(byName.get('breaks_every_insert')).toMatchObject({ status: 'error', caughtBy: null });
    // Not applicable: listed, not counted. Error: counted, never a catch.
    expect(result.notApplicable).toBe(1);
    expect(result.errors).toBe(1);
    expect(result.total).toBe(representative.length + 3);
    expect(result.caught).toBe(representative.length + 1);
    // Judged again on fresh clones; the workspace it changed is dropped, so no later verdict rests on it.
    expect(byName.get('own_transaction_disables_rls')).toMatchObject({ status: 'caught', caughtBy: 'visibility' });
    expect(byName.get('rls_not_forced_privacy_consent_records')?.caughtBy).toBe('side_doors');
    expect(byName.get('session_claims_cache')?.caughtBy).toBe('no_transaction_leak');
    expect(byName.get('trigger_disabled_privacy_audit_logs_block_update')?.caughtBy).toBe('audit_trail');
    expect(byName.get('audit_chain_always_intact')?.caughtBy).toBe('audit_trail');
    expect(byName.get('unlisted_view_exposing_table')?.caughtBy).toBe('coverage');
    expect(byName.get('admin_from_user_metadata')?.counterexample?.rendered).toContain('user_metadata');
    expect(result.seed).toBe(99);
  }, 900_000);

  it('refuses --only names the catalogue lacks, and a run that judged no mutant does not pass', async () => {
    const server = testServer();
    const template = inject('pg').template;
    const catalogue = await mutantCatalogue({ server, template, spec });
    expect(() => selectMutants(catalogue, ['policy_dropped_fec_candidates_select_anon', 'no_such_mutant'])).toThrow(
      expect.objectContaining({ detail: expect.objectContaining({ code: 'flag_invalid', flag: '--only', value: 'no_such_mutant' }) }),
    );
    expect(selectMutants(catalogue, ['policy_dropped_fec_candidates_select_anon']).map((mutant) => mutant.name)).toEqual(['policy_dropped_fec_candidates_select_anon']);
    await expect(runMutation({ server, template, spec, runs: 1, mutants: catalogue, only: ['no_such_mutant'] })).rejects.toMatchObject({ detail: { code: 'flag_invalid' } });
    const nothing = await runMutation({ server, template, spec, runs: 1, mutants: [] });
    expect([nothing.total, nothing.baselineFailures]).toEqual([0, []]);
    expect(mutationPassed(nothing)).toBe(false);
  }, 300_000);

  it('focuses each mutant on what it changed and what reads it, but a focused pass never clears a mutant', async () => {
    const server = testServer();
    const template = inject('pg').template;
    const catalogue = await mutantCatalogue({ server, template, spec });
    const byName = new Map(catalogue.map((mutant) => [mutant.name, mutant]));
    expect(byName.get('policy_dropped_fec_candidates_select_anon')?.focus).toEqual(['fec_candidates']);
    expect(byName.get('rls_disabled_ingestion_logs')?.focus).toEqual(['ingestion_logs']);
    // A change to what every policy calls may touch any relation: no focus.
    expect(byName.get('session_claims_cache')?.focus).toBeUndefined();
    const readers = await withClone(templateHandle(server, template), 'focus_readers', (db) => focusReaders(db, spec), { poolSize: 1 });
    // A view reads its table; an audit log reads what it audits.
    expect([...readers.get('privacy_consent_records')!]).toEqual(expect.arrayContaining(['privacy_consent_records', 'privacy_current_consents', 'privacy_audit_logs']));
    expect([...readers.get('fec_candidates')!]).not.toContain('privacy_audit_logs');
    // A policy that names another table in a subquery makes that table's readers include the policy's table.
    const reading = await withClone(
      templateHandle(server, template),
      'focus_policy',
      async (db) => {
        await db.query(sql`create policy sp_reads_cursors on public.ingestion_logs for select to authenticated using (exists (select 1 from public.ingestion_cursors))`);
        return focusReaders(db, spec);
      },
      { poolSize: 1 },
    );
    expect([...reading.get('ingestion_cursors')!]).toContain('ingestion_logs');
    // Focused on the wrong relation, the mutant is still caught: the unfocused pass judges it.
    const dropped = byName.get('policy_dropped_fec_candidates_select_anon')!;
    const result = await runMutation({ server, template, spec, runs: 2, seed: 7, mutants: [{ ...dropped, name: 'misfocused', focus: ['ingestion_logs'] }] });
    expect(result.mutants[0]).toMatchObject({ name: 'misfocused', status: 'caught', caughtBy: 'visibility' });
  }, 600_000);
});
