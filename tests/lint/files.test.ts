import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { findPolicyStatements, runLints, type LintOptions } from '../../src/lint/index.ts';
import { isSchemaproofError } from '../../src/errors/index.ts';
import { fixturesDir, repoRoot } from './helpers.ts';

/** File lints only (no database). */
async function fileLints(sqlDir: string, options: Partial<LintOptions> = {}) {
  return runLints({ db: null, sqlDir: resolve(fixturesDir, sqlDir), root: repoRoot, ...options });
}

describe('policy_in_migrations', () => {
  it('flags create/alter policy and enable RLS in sql/ (DO blocks included) with file:line, not comments, strings or dynamic SQL', async () => {
    const result = await fileLints('policy-in-sql/sql', { squawk: false });
    const file = 'tests/lint/fixtures/policy-in-sql/sql/00001-notes.sql';
    expect(result.findings.map((finding) => [finding.lint, finding.object, finding.level, finding.location?.column])).toEqual([
      ['policy_in_migrations', `${file}:11`, 'error', 26],
      ['policy_in_migrations', `${file}:12`, 'error', 1],
      ['policy_in_migrations', `${file}:27`, 'error', 3],
    ]);
    expect(result.findings[1]?.detail).toBe('`create policy` in a migration; row-level security belongs in policies/');
    expect(result.errorCount).toBe(3);
  });

  it('passes once the policy moves to policies/', async () => {
    const result = await fileLints('policy-moved/sql', { squawk: false });
    expect(result.findings).toEqual([]);
    expect(result.errorCount).toBe(0);
  });

  it('scanner: keeps line numbers through block comments and E-strings', () => {
    const script = "/* create policy\n nested /* create policy */ */\nselect E'it\\'s create policy';\ncreate  policy p on t using (true);";
    expect(findPolicyStatements(script)).toEqual([{ line: 4, column: 1, statement: 'create policy' }]);
  });

  it('scanner: a stray quote in a dollar-quoted constant does not hide what follows', () => {
    const script = "comment on table t is $c$it's$c$;\nalter table t enable row level security;";
    expect(findPolicyStatements(script)).toEqual([{ line: 2, column: 15, statement: 'enable row level security' }]);
  });
});

describe('transaction_control_in_migration', () => {
  it('flags what migrate refuses, in migrations and policy files, with file:line:col; not words in comments, strings or bodies', async () => {
    const result = await fileLints('transaction-control/sql', { squawk: false, policiesDir: resolve(fixturesDir, 'transaction-control/policies') });
    const dir = 'tests/lint/fixtures/transaction-control';
    expect(
      result.findings
        .filter((finding) => finding.lint === 'transaction_control_in_migration')
        .map((finding) => [finding.location?.file, finding.location?.line, finding.location?.column, finding.level]),
    ).toEqual([
      [`${dir}/policies/notes.sql`, 2, 1, 'error'],
      [`${dir}/sql/00001-notes.sql`, 4, 1, 'error'],
      [`${dir}/sql/00001-notes.sql`, 5, 1, 'error'],
    ]);
    expect(result.errorCount).toBe(3);
  });

  it('finds nothing in a clean project', async () => {
    const result = await fileLints('policy-moved/sql', { squawk: false, policiesDir: resolve(fixturesDir, 'policy-moved/policies') });
    expect(result.findings).toEqual([]);
  });
});

describe('squawk', () => {
  it('reports an index on an existing table without CONCURRENTLY and a required column with file:line, honouring .squawk.toml', async () => {
    const result = await fileLints('squawk-unsafe/sql');
    const file = 'tests/lint/fixtures/squawk-unsafe/sql/00002-accounts-more.sql';
    expect(result.squawk.enabled).toBe(true);
    expect(result.squawk.configFile).toBe(resolve(repoRoot, '.squawk.toml'));
    expect(result.findings.map((finding) => [finding.lint, finding.object, finding.level])).toEqual([
      ['squawk/adding-required-field', `${file}:8`, 'error'],
      ['squawk/require-concurrent-index-creation', `${file}:5`, 'error'],
    ]);
    expect(result.findings[1]?.location).toEqual({ file, line: 5, column: 1 });
    expect(result.findings[1]?.remediation).toContain('concurrently');
  });

  it('without the project config the excluded rules come back (the config is what silences them)', async () => {
    const result = await fileLints('squawk-unsafe/sql', { squawkConfig: null });
    const rules = new Set(result.findings.map((finding) => finding.lint));
    expect(rules.has('squawk/prefer-robust-stmts')).toBe(true);
    expect(rules.has('squawk/prefer-bigint-over-int')).toBe(true);
  });

  it('a missing binary is a tool_missing error only when squawk is enabled', async () => {
    const missing = '/nonexistent/bin/squawk';
    const error = await fileLints('squawk-unsafe/sql', { squawkBinary: missing }).catch((caught: unknown) => caught);
    expect(isSchemaproofError(error) && error.code).toBe('tool_missing');
    const disabled = await fileLints('squawk-unsafe/sql', { squawkBinary: missing, squawk: false });
    expect(disabled.squawk.enabled).toBe(false);
    const off = await fileLints('squawk-unsafe/sql', { squawkBinary: missing, severities: { squawk: 'off' } });
    expect(off.findings).toEqual([]);
  });
});

describe('severities and suppressions', () => {
  it('a severity override changes the level, per squawk rule or per lint; off drops the findings', async () => {
    const result = await fileLints('squawk-unsafe/sql', { severities: { 'squawk/require-concurrent-index-creation': 'warn' } });
    expect(result.findings.map((finding) => [finding.lint, finding.level])).toEqual([
      ['squawk/adding-required-field', 'error'],
      ['squawk/require-concurrent-index-creation', 'warn'],
    ]);
    expect([result.errorCount, result.warnCount]).toEqual([1, 1]);
    const off = await fileLints('policy-in-sql/sql', { squawk: false, severities: { policy_in_migrations: 'off' } });
    expect(off.findings).toEqual([]);
    expect(off.lints.find((lint) => lint.name === 'policy_in_migrations')?.severity).toBe('off');
  });

  it('suppressed findings stay in the result, flagged with the reason, and leave the gate', async () => {
    const file = 'tests/lint/fixtures/squawk-unsafe/sql/00002-accounts-more.sql';
    const result = await fileLints('squawk-unsafe/sql', {
      suppressions: [
        { lint: 'squawk/require-concurrent-index-creation', object: `${file}:5`, reason: 'accounts has 200 rows; the lock lasts milliseconds' },
        { lint: 'squawk', object: file, reason: 'fixture file, whole-file suppression' },
        { lint: 'policy_in_migrations', object: 'sql/never.sql:1', reason: 'stale entry that matches nothing' },
      ],
    });
    expect(result.findings.map((finding) => [finding.lint, finding.suppressed, finding.suppressionReason])).toEqual([
      ['squawk/adding-required-field', true, 'fixture file, whole-file suppression'],
      ['squawk/require-concurrent-index-creation', true, 'accounts has 200 rows; the lock lasts milliseconds'],
    ]);
    expect([result.errorCount, result.warnCount, result.suppressedCount]).toEqual([0, 0, 2]);
    expect(result.unusedSuppressions.map((suppression) => suppression.object)).toEqual(['sql/never.sql:1']);
  });

  it('unknown lint names in severities or suppressions are a config_invalid error listing every one', async () => {
    const error = await fileLints('policy-moved/sql', {
      squawk: false,
      severities: { rls_disabled_everywhere: 'off' },
      suppressions: [{ lint: 'no_such_lint', object: 'public.t', reason: 'a reason long enough' }],
    }).catch((caught: unknown) => caught);
    expect(isSchemaproofError(error) && error.detail.code === 'config_invalid' && error.detail.problems.length).toBe(2);
  });
});
