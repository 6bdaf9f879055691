/**
 * `test --watch` and `rls --watch` as a user runs them: a child process with
 * its own throwaway cluster on a temporary project; a changed pgTAP file
 * re-runs that file only, a changed migration rebuilds the template and
 * re-runs every file, a changed access spec re-runs the properties; Ctrl-C
 * ends it with 130 and leaves no cluster, run directory or process behind.
 */
import { appendFileSync, chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCli, waitFor, type CliRun } from '../helpers/cli.ts';
import { tinyProject } from '../helpers/project.ts';

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A run base dir of this test's own, reachable by the server's OS user (we may be root). */
function baseDir(): string {
  const dir = mkdtempSync('/tmp/sp-watch-base-');
  chmodSync(dir, 0o755);
  scratch.push(dir);
  return dir;
}

function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/** Collects stdout as it comes (startCli only hands it over at the end). */
function watchOutput(run: CliRun): { text: () => string; waits: () => number } {
  let out = '';
  run.child.stdout?.on('data', (chunk: string) => (out += chunk));
  return { text: () => out, waits: () => out.split('waiting for changes').length - 1 };
}

async function stop(run: CliRun, base: string): Promise<void> {
  expect(processesMentioning(`${base}/schemaproof-run-`).length).toBeGreaterThan(0);
  process.kill(-(run.child.pid ?? 0), 'SIGINT');
  const result = await run.done;
  expect(result.status).toBe(130);
  expect(readdirSync(base).filter((name) => name.startsWith('schemaproof-run-'))).toEqual([]);
  expect(processesMentioning(base)).toEqual([]);
}

describe('--watch', () => {
  it('test: a changed pgTAP file re-runs itself, a changed migration every file; Ctrl-C leaves nothing', async () => {
    const file = (assertion: string): string => `select plan(1);\n${assertion}\nselect * from finish();\n`;
    const project = tinyProject({
      pgtap: { 'a.sql': file("select has_table('public', 'items', 'items is there');"), 'b.sql': file("select has_column('public', 'items', 'note', 'note is there');") },
    });
    scratch.push(project.dir);
    const base = baseDir();
    const run = startCli(['test', '--watch'], { cwd: project.dir, env: { SCHEMAPROOF_TMPDIR: base }, processGroup: true });
    const output = watchOutput(run);
    await waitFor('the first run', () => output.waits() >= 1);
    expect(output.text()).toMatch(/^PASS +tests\/pgtap\/a\.sql/m);

    let mark = output.text().length;
    appendFileSync(join(project.dir, 'tests/pgtap/b.sql'), '-- edited\n');
    await waitFor('the re-run of b.sql', () => output.waits() >= 2);
    let rerun = output.text().slice(mark);
    expect(rerun).toContain('[watch] changed: tests/pgtap/b.sql');
    expect(rerun).toMatch(/^PASS +tests\/pgtap\/b\.sql/m);
    expect(rerun).not.toMatch(/tests\/pgtap\/a\.sql/);

    mark = output.text().length;
    appendFileSync(join(project.dir, 'sql/00001-base.sql'), 'alter table public.items add column extra int;\n');
    await waitFor('the rebuild', () => output.waits() >= 3);
    rerun = output.text().slice(mark);
    expect(rerun).toContain('rebuilding the template');
    expect(rerun).toMatch(/^PASS +tests\/pgtap\/a\.sql/m);
    expect(rerun).toMatch(/^PASS +tests\/pgtap\/b\.sql/m);

    // A migration that does not apply is reported, and watching goes on: fixing it runs everything again.
    const migration = join(project.dir, 'sql/00001-base.sql');
    const good = readFileSync(migration, 'utf8');
    mark = output.text().length;
    appendFileSync(migration, 'alter table public.no_such_table add column x int;\n');
    await waitFor('the failed rebuild', () => output.waits() >= 4);
    expect(output.text().slice(mark)).toContain('error[sql_error]');
    mark = output.text().length;
    writeFileSync(migration, good);
    await waitFor('the rebuild after the fix', () => output.waits() >= 5);
    expect(output.text().slice(mark)).toMatch(/^PASS +tests\/pgtap\/b\.sql/m);
    await stop(run, base);
  }, 240_000);

  it('rls: a changed access spec re-runs the properties; Ctrl-C leaves nothing', async () => {
    const project = mkdtempSync(join(tmpdir(), 'sp-watch-rls-'));
    scratch.push(project);
    cpSync(resolve(import.meta.dirname, '../fixtures/projects/todo'), project, { recursive: true });
    const base = baseDir();
    const run = startCli(['rls', '--watch', '--runs', '1'], { cwd: project, env: { SCHEMAPROOF_TMPDIR: base }, processGroup: true });
    const output = watchOutput(run);
    await waitFor('the first run', () => output.waits() >= 1);
    expect(output.text()).toMatch(/^passed: /m);
    const mark = output.text().length;
    appendFileSync(join(project, 'tests/access/access-spec.json'), '\n');
    await waitFor('the re-run', () => output.waits() >= 2);
    const rerun = output.text().slice(mark);
    expect(rerun).toContain('[watch] changed: tests/access/access-spec.json');
    expect(rerun).toMatch(/^PASS +visibility/m);
    expect(rerun).toMatch(/^passed: /m);
    await stop(run, base);
  }, 240_000);
});
