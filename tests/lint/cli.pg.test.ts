/**
 * `schemaproof lint` end to end, on the run's cluster (--database-url): a
 * fixture project whose migration manages RLS gives exit 1 and JSON findings.
 */
import { describe, expect, it, inject } from 'vitest';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { fixturesDir, repoRoot } from './helpers.ts';

function run(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(resolve(repoRoot, 'bin/schemaproof.js'), args as string[], { cwd: repoRoot, env: { ...process.env, DATABASE_URL: '' } }, (error, stdout, stderr) => {
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('schemaproof lint (CLI)', () => {
  it('prints JSON findings, lists the suppressed one, and exits 1 on an unsuppressed error', async () => {
    const target = inject('pg').maintenance;
    const url = `postgres://${encodeURIComponent(target.user)}@localhost:${target.port}/${target.database}?host=${encodeURIComponent(target.host)}`;
    const config = resolve(fixturesDir, 'cli/schemaproof.config.json');
    const result = await run(['--config', config, '--database-url', url, 'lint', '--format', 'json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const parsed = JSON.parse(result.stdout) as { version: number; errorCount: number; findings: { lint: string; object: string; suppressed: boolean }[] };
    expect(parsed.version).toBe(1);
    const policy = parsed.findings.filter((finding) => finding.lint === 'policy_in_migrations');
    expect(policy.map((finding) => [finding.object, finding.suppressed])).toEqual([
      ['../policy-in-sql/sql/00001-notes.sql:11', false],
      ['../policy-in-sql/sql/00001-notes.sql:12', false],
      ['../policy-in-sql/sql/00001-notes.sql:27', true],
    ]);
    expect(parsed.errorCount).toBeGreaterThanOrEqual(2);
  });

  it('reports refused statements as a file lint when migrate refuses them, and exits 5 (schema lints could not run)', async () => {
    const target = inject('pg').maintenance;
    const url = `postgres://${encodeURIComponent(target.user)}@localhost:${target.port}/${target.database}?host=${encodeURIComponent(target.host)}`;
    const config = resolve(fixturesDir, 'transaction-control/schemaproof.config.json');
    const result = await run(['--config', config, '--database-url', url, 'lint', '--format', 'json']);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('migration_statement_refused');
    const parsed = JSON.parse(result.stdout) as { findings: { lint: string; object: string }[] };
    expect(parsed.findings.filter((finding) => finding.lint === 'transaction_control_in_migration').map((finding) => finding.object)).toEqual([
      'policies/notes.sql:2',
      'sql/00001-notes.sql:4',
      'sql/00001-notes.sql:5',
    ]);
  });
});
