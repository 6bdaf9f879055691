/**
 * No vacuous pass: no pgTAP file at all is a failure naming where the files
 * were looked for — `schemaproof test`, the verify pgtap gate and the
 * restore drill's re-run — unless --pass-with-no-tests /
 * pgtap.passWithNoTests says having none is intended. The restore drill
 * re-runs every pgTAP file by default (pgtap.restoreFiles narrows it).
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { resolveSettings } from '../../src/config/index.ts';
import { discoverPgtapFiles, runPgtap } from '../../src/pgtap/index.ts';
import { restorePgtapFiles, summarisePgtap, type GateContext } from '../../src/verify/gates.ts';
import { testServer } from '../helpers/pg.ts';

const root = resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'sp-pgtap-none-'));
const empty = join(scratch, 'empty');
mkdirSync(empty);

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function schemaproof(args: readonly string[]): { status: number | null; stdout: string } {
  const target = inject('pg').maintenance;
  const url = `postgresql://${encodeURIComponent(target.user)}@localhost:${target.port}/${target.database}?host=${encodeURIComponent(target.host)}`;
  const result = spawnSync(process.execPath, [join(root, 'bin/schemaproof.js'), '--database-url', url, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
    timeout: 240_000,
  });
  return { status: result.status, stdout: result.stdout };
}

function runNone(passWithNoTests: boolean) {
  return runPgtap({ server: testServer(), template: inject('pg').pgtapTemplate, files: [], root: scratch, searched: [empty], passWithNoTests });
}

function gateContext(): GateContext {
  return { evidence: [], sections: {} } as unknown as GateContext;
}

describe('no pgTAP files', () => {
  it('schemaproof test exits 1 naming the folder; 0 with --pass-with-no-tests', () => {
    const failing = schemaproof(['test', empty]);
    expect(failing.status).toBe(1);
    // The folder is shown relative to the working directory when that is shorter: match its unique tail.
    expect(failing.stdout).toContain(join(basename(scratch), 'empty'));
    expect(schemaproof(['test', empty, '--pass-with-no-tests']).status).toBe(0);
  });

  it('runPgtap: not ok, with where it looked; ok only when allowed', async () => {
    const none = await runNone(false);
    expect(none.ok).toBe(false);
    expect(none.noFiles).toEqual({ searched: ['empty'], allowed: false });
    expect((await runNone(true)).ok).toBe(true);
  });

  it('fails the verify pgtap gate and the restore re-run, naming the folder', async () => {
    const none = await runNone(false);
    for (const gate of ['pgtap', 'restore'] as const) {
      const outcome = summarisePgtap(gateContext(), none, gate);
      expect(outcome.status).toBe('fail');
      expect(outcome.failures.map((failure) => [failure.gate, failure.where])).toEqual([[gate, 'empty']]);
    }
    expect(summarisePgtap(gateContext(), await runNone(true), 'pgtap').status).toBe('pass');
  });
});

describe('the restore drill re-run set', () => {
  const project = join(scratch, 'project');
  mkdirSync(join(project, 'tests/pgtap/structure'), { recursive: true });
  mkdirSync(join(project, 'tests/pgtap/none'), { recursive: true });
  for (const name of ['tests/pgtap/accounts.sql', 'tests/pgtap/billing_behaviour.sql', 'tests/pgtap/structure/tables.sql']) writeFileSync(join(project, name), 'select 1;\n');
  const all = () => discoverPgtapFiles({ dir: join(project, 'tests/pgtap') });

  it('is every pgTAP file by default, whatever the names', () => {
    const settings = resolveSettings({}, project, null);
    expect(restorePgtapFiles(settings, all())).toEqual(all());
    expect(all()).toHaveLength(3);
  });

  it('is what pgtap.restoreFiles names; a set that finds nothing is empty (and fails, above)', () => {
    const settings = resolveSettings({ pgtap: { restoreFiles: ['tests/pgtap/structure', 'tests/pgtap/accounts.sql'] } }, project, null);
    expect(restorePgtapFiles(settings, all()).map((file) => file.slice(project.length + 1))).toEqual(['tests/pgtap/structure/tables.sql', 'tests/pgtap/accounts.sql']);
    expect(restorePgtapFiles(resolveSettings({ pgtap: { restoreFiles: ['tests/pgtap/none'] } }, project, null), all())).toEqual([]);
  });
});
