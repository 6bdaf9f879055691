/**
 * `schemaproof lint --reporter sarif --output-file` as CI runs it, under
 * GITHUB_ACTIONS=true: the SARIF file names the known finding's line and
 * stdout carries the annotation for it; a refused statement (exit 5) still
 * gets its SARIF result and annotation.
 */
import { describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../helpers/cli.ts';
import type { SarifLog } from '../../src/output/sarif.ts';

const repoRoot = resolve(import.meta.dirname, '../..');

function databaseUrl(): string {
  const target = inject('pg').maintenance;
  return `postgresql://${encodeURIComponent(target.user)}@localhost:${target.port}/${target.database}?host=${encodeURIComponent(target.host)}`;
}

function locations(log: SarifLog): string[] {
  return log.runs.flatMap((run) =>
    run.results
      .filter((result) => result.suppressions === undefined)
      .map((result) => {
        const physical = result.locations[0]?.physicalLocation;
        return `${result.ruleId} ${physical?.artifactLocation.uri}:${physical?.region?.startLine}`;
      }),
  );
}

describe('lint output for CI', () => {
  it("writes SARIF at the finding's line and annotates it under GitHub Actions", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-sarif-'));
    try {
      const sarif = join(dir, 'lint.sarif');
      const result = await runCli(
        ['--config', 'tests/lint/fixtures/cli/schemaproof.config.json', '--database-url', databaseUrl(), 'lint', '--no-squawk', '--reporter', 'sarif', '--output-file', sarif],
        {
          cwd: repoRoot,
          env: { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: repoRoot },
        },
      );
      expect(result.status).toBe(1);
      const log = JSON.parse(readFileSync(sarif, 'utf8')) as SarifLog;
      expect(log.version).toBe('2.1.0');
      expect(locations(log)).toContain('policy_in_migrations tests/lint/fixtures/policy-in-sql/sql/00001-notes.sql:11');
      expect(result.stdout).toContain('::error file=tests/lint/fixtures/policy-in-sql/sql/00001-notes.sql,line=11,col=26,');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('puts a refused statement in the SARIF file and an annotation, exit 5', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-sarif-'));
    try {
      const sarif = join(dir, 'lint.sarif');
      const result = await runCli(
        ['--config', 'tests/lint/fixtures/transaction-control/schemaproof.config.json', '--database-url', databaseUrl(), 'lint', '--reporter', 'sarif', '--output-file', sarif],
        {
          cwd: repoRoot,
          env: { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: repoRoot },
        },
      );
      expect(result.status).toBe(5);
      const log = JSON.parse(readFileSync(sarif, 'utf8')) as SarifLog;
      expect(locations(log).filter((entry) => entry.startsWith('migration_statement_refused'))).not.toHaveLength(0);
      expect(result.stdout).toMatch(/^::error file=tests\/lint\/fixtures\/transaction-control\/sql\/00001-notes\.sql,line=\d+/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
