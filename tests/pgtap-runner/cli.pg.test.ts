/**
 * `schemaproof test` end to end against the run's cluster (--database-url):
 * exit codes, the summary on stdout, the JUnit file.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'sp-pgtap-cli-'));

function databaseUrl(): string {
  const target = inject('pg').maintenance;
  return `postgresql://${encodeURIComponent(target.user)}@localhost:${target.port}/${target.database}?host=${encodeURIComponent(target.host)}`;
}

function schemaproof(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const binDir = inject('pg').binDir;
  const result = spawnSync(process.execPath, [join(root, 'bin/schemaproof.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', ...(binDir ? { PATH: `${binDir}:${process.env.PATH ?? ''}` } : {}) },
    timeout: 240_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('schemaproof test', () => {
  it('exits 1 on a failing file, prints the failure with its replay command, writes JUnit', () => {
    const output = join(scratch, 'junit.xml');
    const result = schemaproof([
      '--database-url',
      databaseUrl(),
      'test',
      'tests/pgtap-runner/fixtures/pass.sql',
      'tests/pgtap-runner/fixtures/fail-assertion.sql',
      '--jobs',
      '2',
      '--reporter',
      'junit',
      '--output',
      output,
    ]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^PASS +tests\/pgtap-runner\/fixtures\/pass\.sql/m);
    expect(result.stdout).toContain('tests/pgtap-runner/fixtures/fail-assertion.sql:5  not ok 2 - two is three (wrong on purpose)');
    expect(result.stdout).toContain('replay: schemaproof test tests/pgtap-runner/fixtures/fail-assertion.sql');
    expect(existsSync(output)).toBe(true);
    const xml = readFileSync(output, 'utf8');
    expect(xml.match(/<testcase /g)).toHaveLength(7);
    expect(xml.match(/<failure /g)).toHaveLength(1);
  }, 240_000);

  it('exits 6 for a test file that does not exist, before touching Postgres', () => {
    const result = schemaproof(['--database-url', 'postgresql://nobody@127.0.0.1:1/none', 'test', 'tests/pgtap-runner/fixtures/absent.sql']);
    expect(result.status).toBe(6);
    expect(result.stderr).toContain('error[input_invalid]');
  }, 60_000);

  it('exits 2 for an unknown reporter', () => {
    const result = schemaproof(['test', '--reporter', 'xml']);
    expect(result.status).toBe(2);
  }, 60_000);
});
