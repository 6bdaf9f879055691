/**
 * The Supabase fixture projects, laid out as `supabase init` lays them out,
 * run through the CLI with no renaming and no prelude: migrate (throwaway
 * cluster, with the seed), test, lint and verify (on the run's cluster).
 */
import { describe, expect, it, inject } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectsDir, runCli, urlFor } from './cli.ts';

const blog = join(projectsDir, 'supabase-blog');
const teams = join(projectsDir, 'supabase-teams');

describe('supabase-blog', () => {
  it('migrate applies the five migrations in order, then seed.sql', async () => {
    const result = await runCli(blog, ['migrate']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(
      result.stdout
        .split('\n')
        .filter((line) => /^(applied|seed) /.test(line))
        .map((line) => line.split(/\s+/)[1]),
    ).toEqual([
      'supabase/migrations/20240101093000_profiles.sql',
      'supabase/migrations/20240102110000_avatars_storage.sql',
      'supabase/migrations/20240103120000_roles_access_token_hook.sql',
      'supabase/migrations/20240104150000_invites_and_flags.sql',
      'supabase/migrations/20240105160000_lock_down_default_privileges.sql',
      'supabase/seed.sql',
    ]);
  });

  it('test runs supabase/tests/** (helpers extension, seed visible) and passes', async () => {
    const result = await runCli(blog, ['--database-url', urlFor(inject('pg').maintenance), 'test', '--reporter', 'json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { files: { displayPath: string; status: string }[] };
    expect(report.files.map((file) => [file.displayPath, file.status])).toEqual([
      ['supabase/tests/database/access_token_hook.test.sql', 'passed'],
      ['supabase/tests/database/invites.test.sql', 'passed'],
      ['supabase/tests/database/profiles.test.sql', 'passed'],
      ['supabase/tests/database/seed.test.sql', 'passed'],
      ['supabase/tests/database/storage.test.sql', 'passed'],
    ]);
  });

  it('lint reports the RLS-off table as readable and writable by anon, and nothing else as an error', async () => {
    const result = await runCli(blog, ['--database-url', urlFor(inject('pg').maintenance), 'lint', '--format', 'json', '--no-squawk']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { findings: { lint: string; level: string; object: string; detail: string }[] };
    const errors = report.findings.filter((finding) => finding.level === 'error');
    expect(errors.map((finding) => [finding.lint, finding.object])).toEqual([['rls_disabled_in_public', 'public.feature_flags']]);
    expect(errors[0]?.detail).toMatch(/anon holds SELECT,INSERT,UPDATE,DELETE/);
    // The preset: policies in migrations are normal on Supabase; unforced RLS is a warning.
    expect(report.findings.some((finding) => finding.lint === 'policy_in_migrations')).toBe(false);
    expect(report.findings.filter((finding) => finding.lint === 'rls_not_forced').every((finding) => finding.level === 'warn')).toBe(true);
  });

  it('verify: migrations, pgTAP and the restore drill (seed re-applied) pass, plans are skipped without a catalogue, lint fails on the open table, RLS cannot run without an access spec', async () => {
    const reports = mkdtempSync(join(tmpdir(), 'sp-fixture-verify-'));
    try {
      const result = await runCli(blog, ['--database-url', urlFor(inject('pg').maintenance), 'verify', '--reports-dir', reports]);
      // The project has no access spec: the RLS gates could not run, which is invalid input (6), not a verdict on the schema (1).
      expect(result.code).toBe(6);
      const report = JSON.parse(readFileSync(join(reports, 'verification.json'), 'utf8')) as { gates: { id: string; status: string }[] };
      const status = Object.fromEntries(report.gates.map((gate) => [gate.id, gate.status]));
      expect(status).toMatchObject({ migrations: 'pass', pgtap: 'pass', rls: 'error', mutation: 'error', plans: 'skipped', lint: 'fail', restore: 'pass' });
    } finally {
      rmSync(reports, { recursive: true, force: true });
    }
  });
});

describe('supabase-teams', () => {
  it('migrate skips what the CLI skips, saying why, and seeds from config.toml globs', async () => {
    const result = await runCli(teams, ['migrate']);
    expect(result.code).toBe(0);
    expect(
      result.stderr
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(':')[0]),
    ).toEqual(['skipped  supabase/migrations/20211101000000_init.sql', 'skipped  supabase/migrations/README.md']);
    expect(result.stdout).toMatch(/2 migration\(s\) applied, 0 already applied, 0 policy file\(s\), 1 seed file\(s\)/);
  });

  it('test runs .sql and .pg files in order on one database, so a committed helper file serves the later ones', async () => {
    const result = await runCli(teams, ['--database-url', urlFor(inject('pg').maintenance), 'test', '--reporter', 'json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { files: { displayPath: string; status: string }[] };
    expect(report.files.map((file) => [file.displayPath, file.status])).toEqual([
      ['supabase/tests/database/00000-test-helpers.sql', 'passed'],
      ['supabase/tests/database/seed.pg', 'passed'],
      ['supabase/tests/database/teams.test.sql', 'passed'],
    ]);
  });
});
