/**
 * SCHEMAPROOF_SKIP_BROWSER=1 does what the README says: the report browser
 * test is left out and counted as skipped, not passed; without it a missing
 * Chromium fails the test. Runs the browser test file in a child vitest
 * (no database needed) and reads its JSON report.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'sp-skip-browser-'));

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

interface VitestJson {
  readonly numPassedTests: number;
  readonly numFailedTests: number;
  readonly numPendingTests: number;
  readonly testResults: readonly { readonly status: string }[];
}

function runBrowserTest(env: Record<string, string>, name: string): { json: VitestJson; stderr: string } {
  const outputFile = join(scratch, `${name}.json`);
  const child = spawnSync(
    process.execPath,
    [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'tests/report/fixtures/browser-only.vitest.config.ts', '--reporter=json', `--outputFile=${outputFile}`],
    { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 180_000 },
  );
  return { json: JSON.parse(readFileSync(outputFile, 'utf8')) as VitestJson, stderr: child.stderr };
}

describe('SCHEMAPROOF_SKIP_BROWSER', () => {
  it('=1 leaves the browser tests out: skipped, none passed, none failed, and it says so', () => {
    const { json, stderr } = runBrowserTest({ SCHEMAPROOF_SKIP_BROWSER: '1', CHROMIUM_PATH: '/nonexistent/chromium' }, 'skip');
    expect([json.numPassedTests, json.numFailedTests]).toEqual([0, 0]);
    expect(json.numPendingTests).toBeGreaterThan(0);
    expect(stderr).toContain('SCHEMAPROOF_SKIP_BROWSER=1');
  });

  it('unset, a missing Chromium fails instead of passing', () => {
    const { json } = runBrowserTest({ SCHEMAPROOF_SKIP_BROWSER: '', CHROMIUM_PATH: '/nonexistent/chromium' }, 'missing');
    expect(json.numPassedTests).toBe(0);
    expect(json.testResults.some((file) => file.status === 'failed')).toBe(true);
  });
});
