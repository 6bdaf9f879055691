/**
 * All lints on a clone of the project's migrated template. The schema is
 * still being written, so this does not assert zero findings: it checks the
 * result is well-formed and prints the findings for the lead to route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { lintCatalogue, runLints, type LintResult } from '../../src/lint/index.ts';
import { freshDatabase, type FreshDatabase } from '../helpers/pg.ts';
import { repoRoot } from './helpers.ts';

describe('lints on the project schema', () => {
  let fresh: FreshDatabase;
  let result: LintResult;
  beforeAll(async () => {
    fresh = await freshDatabase({ purpose: 'lint_project' });
    result = await runLints({ db: fresh.db, sqlDir: resolve(repoRoot, 'sql'), root: repoRoot });
  });
  afterAll(async () => {
    await fresh.drop();
  });

  it('runs every lint and returns well-formed findings', () => {
    expect(result.lints.map((lint) => lint.name)).toEqual(lintCatalogue.map((lint) => lint.name));
    const known = new Set(lintCatalogue.map((lint) => lint.name));
    for (const finding of result.findings) {
      expect(known.has(finding.lint) || finding.lint.startsWith('squawk/')).toBe(true);
      expect(finding.object).not.toBe('');
      expect(finding.detail).not.toBe('');
      expect(finding.remediation).not.toBe('');
    }
    const active = result.findings.filter((finding) => !finding.suppressed);
    expect(result.errorCount + result.warnCount).toBe(active.length);
    expect(result.squawk.enabled).toBe(true);
    const lines = result.findings.map((finding) => `${finding.level.padEnd(5)} ${finding.lint}  ${finding.object}  ${finding.detail}`);
    console.info(`lint on the project schema: ${result.errorCount} error(s), ${result.warnCount} warning(s), ${Math.round(result.durationMs)} ms\n${lines.join('\n')}`);
  });
});
