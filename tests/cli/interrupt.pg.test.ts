/**
 * Ctrl-C (SIGINT to the whole foreground process group, as a terminal sends
 * it) ends a run with 130 in every phase, and leaves nothing behind: no run
 * dir, no half-built cache entry, no server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { startCli, stderrLines, waitFor } from '../helpers/cli.ts';
import { tinyProject, type TinyProject } from '../helpers/project.ts';

const scratch: string[] = [];
let project: TinyProject;

beforeAll(() => {
  project = tinyProject({ migration: 'select pg_sleep(120);' });
});

afterAll(() => {
  project.remove();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A run base dir the server's OS user can reach (we may be root). */
function baseDir(): string {
  const dir = mkdtempSync('/tmp/sp-interrupt-base-');
  chmodSync(dir, 0o755);
  scratch.push(dir);
  return dir;
}

/** Processes whose command line mentions `text`. */
function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
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

/** Whether a server started under `base` has a backend running a SELECT (the migration's pg_sleep). */
function selectRunningUnder(base: string): boolean {
  const postmasters = new Set(processesMentioning(`${base}/schemaproof-run-`));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (postmasters.has(parent) && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(' SELECT')) return true;
    } catch {
      // gone
    }
  }
  return false;
}

describe('Ctrl-C', () => {
  it('during the first initdb (cold cache) exits 130 and leaves no build behind', async () => {
    const base = baseDir();
    const cache = mkdtempSync('/tmp/sp-interrupt-cache-');
    scratch.push(cache);
    const run = startCli(['migrate'], { cwd: project.dir, env: { SCHEMAPROOF_TMPDIR: base, SCHEMAPROOF_CACHE_DIR: cache }, processGroup: true });
    // A process found a moment ago may be gone by the time its cmdline is read.
    await waitFor('initdb to run', () => [...processesMentioning(base), ...processesMentioning(cache)].some((pid) => cmdlineOf(pid).includes('initdb')));
    process.kill(-(run.child.pid ?? 0), 'SIGINT');
    const result = await run.done;
    expect(result.status).toBe(130);
    expect(stderrLines(result)[0]).toMatch(/^schemaproof: interrupted by SIGINT/);
    expect(readdirSync(base)).toEqual([]);
    expect(readdirSync(cache)).toEqual([]);
    expect(processesMentioning(base)).toEqual([]);
  });

  it('SIGTERM to schemaproof alone while it copies the pristine cluster stops the copy and removes the run dir', async () => {
    const base = baseDir();
    const run = startCli(['migrate'], { cwd: project.dir, env: { SCHEMAPROOF_TMPDIR: base } });
    await waitFor('the copy to run', () => processesMentioning(`${base}/schemaproof-run-`).some((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('cp\0')), 120_000);
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.status).toBe(143);
    // nothing of the run may come back: the copy must have been stopped, not just outrun
    await new Promise((resolveWait) => setTimeout(resolveWait, 500));
    expect(readdirSync(base)).toEqual([]);
    expect(processesMentioning(base)).toEqual([]);
  });

  it('during a migration exits 130, stops the server and removes the run dir', async () => {
    const base = baseDir();
    const run = startCli(['migrate'], { cwd: project.dir, env: { SCHEMAPROOF_TMPDIR: base }, processGroup: true });
    await waitFor('the migration to be running', () => selectRunningUnder(base));
    process.kill(-(run.child.pid ?? 0), 'SIGINT');
    const result = await run.done;
    expect(result.status).toBe(130);
    expect(stderrLines(result)[0]).toMatch(/^schemaproof: interrupted by SIGINT/);
    expect(readdirSync(base)).toEqual([]);
    expect(processesMentioning(base)).toEqual([]);
  });
});
