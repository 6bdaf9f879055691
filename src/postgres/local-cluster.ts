/**
 * A throwaway PostgreSQL cluster from local binaries: a temp directory, a unix
 * socket inside it (no TCP port, so concurrent runs never collide), started
 * from a cached pristine `initdb` copy, stopped and removed on exit, on
 * SIGINT/SIGTERM, and reaped by the next run if this process was killed.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  constants,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SchemaproofError, fromSystemError } from '../errors/index.ts';
import type { PgBinaries } from './binaries.ts';

export const runDirPrefix = 'schemaproof-run-';

/** tmpfs is used for the throwaway cluster when it has at least this much room. */
const minimumShmBytes = 8 * 1024 ** 3;

/**
 * Where run directories go: SCHEMAPROOF_TMPDIR if set; else /dev/shm when it
 * is a writable tmpfs with room (creating a database there costs ~30 ms
 * instead of ~0.5-1 s on this class of disk: every test clones); else the OS
 * temp dir.
 */
export function defaultBaseDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SCHEMAPROOF_TMPDIR) return env.SCHEMAPROOF_TMPDIR;
  try {
    const stats = statfsSync('/dev/shm');
    if (stats.bavail * stats.bsize >= minimumShmBytes) {
      accessSync('/dev/shm', constants.W_OK);
      return '/dev/shm';
    }
  } catch {
    // no usable tmpfs
  }
  return tmpdir();
}
const ownerFile = 'schemaproof-owner.json';

export interface LocalClusterOptions {
  readonly binaries: PgBinaries;
  /** Extra `-c name=value` server settings, merged over the fast defaults. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Where run directories live; default: `defaultBaseDir()` (tmpfs when it has room). */
  readonly baseDir?: string;
  readonly startTimeoutMs?: number;
  /**
   * Start from a copy of this cleanly stopped data directory instead of the
   * cached initdb output. The caller vouches for it (ownership verified).
   */
  readonly dataDirSource?: string;
}

export interface LocalCluster {
  readonly kind: 'local';
  readonly dir: string;
  readonly socketDir: string;
  readonly port: number;
  readonly user: string;
  readonly postmasterPid: number;
  readonly version: string;
  /** Milliseconds spent: copy or initdb, and server start. */
  readonly timings: { readonly initMs: number; readonly startMs: number; readonly initFromCache: boolean };
  stop(): Promise<void>;
}

/** Fast, unsafe-on-crash settings: the cluster is thrown away anyway. */
const defaultSettings: Readonly<Record<string, string>> = {
  listen_addresses: "''",
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  max_connections: '200',
  shared_buffers: '512MB',
  work_mem: '16MB',
  maintenance_work_mem: '256MB',
  max_wal_size: '4GB',
  checkpoint_timeout: '30min',
  jit: 'off',
  'log_min_messages': 'warning',
  max_locks_per_transaction: '256',
};

interface OsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** When running as root, the server must run as an unprivileged OS user. */
function serverUser(): OsUser | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      if (Number.isInteger(uid) && uid > 0) return { name, uid, gid };
    } catch {
      // try the next candidate
    }
  }
  throw new SchemaproofError({
    code: 'postgres_start_failed',
    detail: 'running as root and no unprivileged user (postgres or nobody) exists to run the server',
    logTail: '',
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped by us) answers kill(0) but is gone.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function postmasterPidOf(dataDir: string): number | null {
  try {
    const first = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0];
    const pid = Number(first);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function killAndWaitSync(pid: number, timeoutMs: number): void {
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) sleepSync(10);
  if (isAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    while (isAlive(pid) && Date.now() < deadline + 2000) sleepSync(10);
  }
}

/**
 * Remove run directories whose owning process is gone (a run that was
 * SIGKILLed never got to clean up). Returns the directories removed.
 */
export function reapStaleClusters(baseDirs: string | readonly string[] = [defaultBaseDir(), tmpdir()]): string[] {
  const removed: string[] = [];
  for (const baseDir of new Set(typeof baseDirs === 'string' ? [baseDirs] : baseDirs)) removed.push(...reapIn(baseDir));
  return removed;
}

function reapIn(baseDir: string): string[] {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(baseDir);
  } catch {
    return removed;
  }
  for (const name of entries) {
    if (!name.startsWith(runDirPrefix)) continue;
    const dir = join(baseDir, name);
    let ownerPid: number | null = null;
    try {
      ownerPid = (JSON.parse(readFileSync(join(dir, ownerFile), 'utf8')) as { pid?: number }).pid ?? null;
    } catch {
      ownerPid = null;
    }
    if (ownerPid !== null && isAlive(ownerPid)) continue;
    const postmaster = postmasterPidOf(join(dir, 'data'));
    if (postmaster !== null && isAlive(postmaster)) killAndWaitSync(postmaster, 5000);
    try {
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // another run may be reaping the same directory
    }
  }
  return removed;
}

const liveClusters = new Set<{ dir: string; pid: number }>();
let handlersInstalled = false;

function cleanupAllSync(): void {
  for (const cluster of liveClusters) {
    killAndWaitSync(cluster.pid, 5000);
    try {
      rmSync(cluster.dir, { recursive: true, force: true });
    } catch {
      // best effort at exit
    }
  }
  liveClusters.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanupAllSync();
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  // Re-raise so the process ends the way the signal intended (exit 130/143).
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installCleanupHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', cleanupAllSync);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function chownRecursive(path: string, user: OsUser): void {
  execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, path]);
}

/** A pristine initdb output, cached per server version and OS user; copied per run. */
function pristineDataDir(binaries: PgBinaries, user: OsUser | null): { dir: string; fromCache: boolean } {
  const uid = user?.uid ?? (typeof process.getuid === 'function' ? process.getuid() : 0);
  const cacheRoot = process.env.SCHEMAPROOF_CACHE_DIR ?? join(tmpdir(), `schemaproof-cache-${uid}`);
  const key = `initdb-${binaries.version.replace(/[^0-9A-Za-z.]+/g, '_')}`;
  const finalDir = join(cacheRoot, key);
  if (existsSync(join(finalDir, 'PG_VERSION'))) return { dir: finalDir, fromCache: true };
  mkdirSync(cacheRoot, { recursive: true });
  if (user) chownSync(cacheRoot, user.uid, user.gid);
  const building = mkdtempSync(join(cacheRoot, 'building-'));
  if (user) chownSync(building, user.uid, user.gid);
  const dataDir = join(building, 'data');
  try {
    execFileSync(
      binaries.initdb,
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8', '--no-instructions'],
      { stdio: ['ignore', 'pipe', 'pipe'], ...(user ? { uid: user.uid, gid: user.gid } : {}) },
    );
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '');
    throw new SchemaproofError({ code: 'postgres_start_failed', detail: `initdb failed: ${stderr.trim().split('\n').pop() ?? ''}`, logTail: stderr });
  }
  try {
    renameSync(dataDir, finalDir);
  } catch {
    // a concurrent run won the race; its copy is as good as ours
  }
  rmSync(building, { recursive: true, force: true });
  return { dir: finalDir, fromCache: false };
}

async function waitForReady(dataDir: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  for (;;) {
    if (exited !== null) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      const portInUse = /could not bind|Address already in use/.exec(log);
      if (portInUse) throw new SchemaproofError({ code: 'port_in_use', port: 5432 });
      if (/No space left on device/.test(log)) throw new SchemaproofError({ code: 'disk_full', path: dataDir, detail: 'postgres could not write' });
      throw new SchemaproofError({ code: 'postgres_start_failed', detail: `postgres exited with code ${exited}`, logTail: log.trim().split('\n').slice(-5).join('\n') });
    }
    try {
      const lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
      if ((lines[7] ?? '').trim() === 'ready') return;
    } catch {
      // not written yet
    }
    if (Date.now() > deadline) {
      throw new SchemaproofError({ code: 'timeout', what: 'PostgreSQL start', timeoutMs });
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const baseDir = options.baseDir ?? defaultBaseDir();
  reapStaleClusters([baseDir, tmpdir()]);
  installCleanupHandlers();
  const user = serverUser();
  const initStarted = performance.now();
  const pristine = options.dataDirSource ? { dir: options.dataDirSource, fromCache: true } : pristineDataDir(options.binaries, user);
  let dir: string;
  try {
    dir = mkdtempSync(join(baseDir, runDirPrefix));
    writeFileSync(join(dir, ownerFile), JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }));
    // Asynchronous: a cached bench data directory is a gigabyte, and the
    // event loop keeps serving other work while it is copied.
    await promisify(execFile)('cp', ['-a', pristine.dir, join(dir, 'data')]);
    if (user) chownRecursive(dir, user);
  } catch (error) {
    throw fromSystemError(error, baseDir) ?? error;
  }
  const initMs = performance.now() - initStarted;
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const logFd = openSync(logFile, 'a');
  if (user) chownSync(logFile, user.uid, user.gid);
  const settings = { ...defaultSettings, ...options.settings, unix_socket_directories: `'${dir}'` };
  const args = ['-D', dataDir, '-p', '5432'];
  for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value.replace(/^'(.*)'$/, '$1')}`);
  const startStarted = performance.now();
  const child = spawn(options.binaries.postgres, args, {
    stdio: ['ignore', logFd, logFd],
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  closeSync(logFd);
  // Resolves once Node has reaped the postmaster: only then is its pid gone
  // (an exited but unreaped child still answers kill(pid, 0)).
  const reaped = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const handle = { dir, pid: child.pid ?? -1 };
  liveClusters.add(handle);
  try {
    await waitForReady(dataDir, child, logFile, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    liveClusters.delete(handle);
    if (child.pid) killAndWaitSync(child.pid, 5000);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  child.unref();
  const startMs = performance.now() - startStarted;
  let stopped = false;
  return {
    kind: 'local',
    dir,
    socketDir: dir,
    port: 5432,
    user: 'postgres',
    postmasterPid: handle.pid,
    version: options.binaries.version,
    timings: { initMs, startMs, initFromCache: pristine.fromCache },
    async stop() {
      if (stopped) return;
      stopped = true;
      liveClusters.delete(handle);
      try {
        process.kill(handle.pid, 'SIGQUIT');
      } catch {
        // already gone
      }
      const deadline = Date.now() + 10_000;
      while (isAlive(handle.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      if (isAlive(handle.pid)) killAndWaitSync(handle.pid, 2000);
      await Promise.race([reaped, new Promise((resolve) => setTimeout(resolve, 2000))]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
