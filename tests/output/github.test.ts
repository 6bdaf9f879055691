/**
 * GitHub Actions workflow commands: escaping as the runner expects, places
 * relative to the workspace, the job summary appended (never overwritten).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { annotation, appendStepSummary, errorAnnotations, isGithubActions, lintAnnotations, placeOf } from '../../src/output/github.ts';
import { runLints } from '../../src/lint/index.ts';

const repoRoot = resolve(import.meta.dirname, '../..');

describe('GitHub Actions output', () => {
  it('is on only under GITHUB_ACTIONS=true', () => {
    expect(isGithubActions({ GITHUB_ACTIONS: 'true' })).toBe(true);
    expect(isGithubActions({ GITHUB_ACTIONS: 'false' })).toBe(false);
    expect(isGithubActions({})).toBe(false);
  });

  it('escapes data and properties so a message cannot end the command or add a property', () => {
    expect(annotation('error', '100% broken\nsecond line', { file: 'a,b:c.sql', line: 3, col: 7 }, 'schemaproof x')).toBe(
      '::error file=a%2Cb%3Ac.sql,line=3,col=7,title=schemaproof x::100%25 broken%0Asecond line',
    );
    expect(annotation('warning', 'no place')).toBe('::warning::no place');
  });

  it('annotates each unsuppressed lint finding on its line, relative to the workspace', async () => {
    const result = await runLints({
      db: null,
      sqlDir: resolve(repoRoot, 'tests/lint/fixtures/policy-in-sql/sql'),
      root: repoRoot,
      squawk: false,
      suppressions: [{ lint: 'policy_in_migrations', object: 'tests/lint/fixtures/policy-in-sql/sql/00001-notes.sql:27', reason: 'fixture: the DO block stays' }],
    });
    const lines = lintAnnotations(result, repoRoot, repoRoot);
    expect(lines.map((line) => line.split('::')[1])).toEqual([
      'error file=tests/lint/fixtures/policy-in-sql/sql/00001-notes.sql,line=11,col=26,title=schemaproof policy_in_migrations',
      'error file=tests/lint/fixtures/policy-in-sql/sql/00001-notes.sql,line=12,col=1,title=schemaproof policy_in_migrations',
    ]);
  });

  it('annotates every refused statement of a migration error, and reads file:line places from report failures', () => {
    const location = (line: number) => ({ file: 'sql/00002-b.sql', line, column: 1, excerpt: '' });
    const lines = errorAnnotations(
      {
        code: 'migration_statement_refused',
        statements: [2, 5].map((line) => ({ location: location(line), statement: 'COMMIT', kind: 'transaction_control' as const, why: 'one transaction', remedy: 'remove it' })),
      },
      '/project',
      '/project',
    );
    expect(lines.map((line) => line.split('::')[1])).toEqual([
      'error file=sql/00002-b.sql,line=2,col=1,title=schemaproof migration_statement_refused',
      'error file=sql/00002-b.sql,line=5,col=1,title=schemaproof migration_statement_refused',
    ]);
    expect(placeOf('sql/00001-a.sql:4:9', '/project', '/project')).toEqual({ file: 'sql/00001-a.sql', line: 4, col: 9 });
    expect(placeOf('tests/pgtap/x.sql:12', '/project', '/project')).toEqual({ file: 'tests/pgtap/x.sql', line: 12 });
    expect(placeOf('public.notes', '/project', '/project')).toBeUndefined();
    expect(placeOf('visibility', '/project', '/project')).toBeUndefined();
  });

  it('appends the Markdown to the job summary file, keeping what earlier steps wrote', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-summary-'));
    try {
      const file = join(dir, 'summary.md');
      writeFileSync(file, '# earlier step\n');
      expect(appendStepSummary('## schemaproof: PASS', { GITHUB_STEP_SUMMARY: file })).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe('# earlier step\n## schemaproof: PASS\n');
      expect(appendStepSummary('x', {})).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
