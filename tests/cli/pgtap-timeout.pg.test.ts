/**
 * A pgTAP file that hangs past its timeout is a failed check (exit 1, the
 * file shown as TIMEOUT with the other files' results), not an environment
 * error: see the README's exit codes.
 */
import { describe, expect, inject, it } from 'vitest';
import { resolve } from 'node:path';
import { runCli } from '../helpers/cli.ts';

const root = resolve(import.meta.dirname, '../..');

function databaseUrl(): string {
  const target = inject('pg').maintenance;
  return `postgresql://${encodeURIComponent(target.user)}@localhost:${target.port}/${target.database}?host=${encodeURIComponent(target.host)}`;
}

describe('pgTAP per-file timeout', () => {
  it('exits 1 and reports the file as TIMEOUT next to the passing one', async () => {
    const result = await runCli(
      ['--database-url', databaseUrl(), 'test', 'tests/pgtap-runner/fixtures/never-finishes.sql', 'tests/pgtap-runner/fixtures/pass.sql', '--timeout-ms', '10000', '--jobs', '2'],
      { cwd: root },
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^TIMEOUT +tests\/pgtap-runner\/fixtures\/never-finishes\.sql/m);
    expect(result.stdout).toMatch(/^PASS +tests\/pgtap-runner\/fixtures\/pass\.sql/m);
  });
});
