/**
 * A full disk wherever it strikes (copying the pristine cluster or the
 * installation tree, the first connection, CREATE DATABASE, a migration's
 * writes, a test's writes) ends the run with one `disk_full` line and exit
 * 7, and the run dir is removed.
 * The disk is a small tmpfs mounted for the test (root only).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRootPath, findPgBinaries, installationDirName, startLocalCluster } from '../../src/postgres/index.ts';
import { runCli, stderrLines } from '../helpers/cli.ts';
import { pgtapFile, tinyProject, type TinyProject } from '../helpers/project.ts';

const cannotMount: string | null = typeof process.getuid !== 'function' || process.getuid() !== 0 ? 'mounting a small tmpfs needs root; run these tests as root' : null;
if (cannotMount) console.warn(`disk-full tests skipped: ${cannotMount}`);

/** Bytes the files under `dir` take on tmpfs (whole pages per file; short symlinks take none). */
function tmpfsBytes(dir: string): number {
  let total = 0;
  const walk = (path: string): void => {
    for (const name of readdirSync(path)) {
      const stats = lstatSync(join(path, name));
      if (stats.isDirectory()) walk(join(path, name));
      else if (stats.isFile()) total += Math.ceil(stats.size / 4096) * 4096;
    }
  };
  walk(dir);
  return total;
}

/** Bytes the pristine data dir takes on tmpfs. */
function pristineBytes(): number {
  const root = cacheRootPath();
  const entry = readdirSync(root).find((name) => name.startsWith('initdb-'));
  if (!entry) throw new Error(`no initdb cache in ${root}`);
  return tmpfsBytes(join(root, entry, 'data'));
}

describe.skipIf(cannotMount !== null)('full disk', () => {
  let mount: string;
  let project: TinyProject;
  let pristine: number;
  let installation: number;

  beforeAll(async () => {
    // The cache is warm after one start (the global setup's, or this one).
    const cluster = await startLocalCluster({ binaries: findPgBinaries() });
    // What a run dir holds before the server writes: the data dir and the installation tree's copy.
    installation = tmpfsBytes(join(cluster.dir, installationDirName));
    await cluster.stop();
    pristine = pristineBytes() + installation;
    mount = mkdtempSync('/tmp/sp-disk-full-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=10m,mode=0755', 'tmpfs', mount]);
    project = tinyProject({
      pgtap: { 'fill.sql': pgtapFile('insert into public.items select g, repeat(md5(g::text), 40) from generate_series(1, 2000000) g;') },
    });
  });

  afterAll(() => {
    if (mount) {
      spawnSync('umount', [mount]);
      rmSync(mount, { recursive: true, force: true });
    }
    project?.remove();
  });

  function resize(bytes: number): void {
    execFileSync('mount', ['-o', `remount,size=${Math.ceil(bytes / 1024)}k`, mount]);
  }

  async function expectDiskFull(args: readonly string[], cwd: string): Promise<void> {
    const result = await runCli(args, { cwd, env: { SCHEMAPROOF_TMPDIR: mount } });
    expect(stderrLines(result)).toHaveLength(1);
    expect(stderrLines(result)[0]).toMatch(/^schemaproof: error\[disk_full\]/);
    expect(result.status).toBe(7);
    expect(readdirSync(mount)).toEqual([]);
  }

  it('while copying the pristine cluster: one line, not one per file', async () => {
    resize(10 * 1024 * 1024);
    await expectDiskFull(['migrate'], project.dir);
  });

  it('while copying the installation tree into the run dir', async () => {
    resize(pristine - installation + 64 * 1024);
    await expectDiskFull(['migrate'], project.dir);
  });

  it('at the first connection after start (no room for the relcache init file)', async () => {
    // Room for the run's marker, the server log, postmaster.pid, the socket lock and postmaster.opts (a page each), not more.
    resize(pristine + 24 * 1024);
    await expectDiskFull(['migrate'], project.dir);
  });

  it('in CREATE DATABASE ("could not extend file")', async () => {
    resize(pristine + 300 * 1024);
    await expectDiskFull(['migrate'], project.dir);
  });

  it("in a migration's writes", async () => {
    resize(pristine + 40 * 1024 * 1024);
    const filling = tinyProject({ migration: 'insert into public.items select g, repeat(md5(g::text), 40) from generate_series(1, 2000000) g;' });
    try {
      await expectDiskFull(['migrate'], filling.dir);
    } finally {
      filling.remove();
    }
  });

  it("in a pgTAP file's writes", async () => {
    resize(pristine + 60 * 1024 * 1024);
    await expectDiskFull(['test'], project.dir);
  });
});
