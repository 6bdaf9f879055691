/**
 * A throwaway PostgreSQL cluster from local binaries: a temp directory, a unix
 * socket inside it (no TCP port, so concurrent runs never collide), started
 * from a verified cached pristine `initdb` copy with a verified copy of the
 * installation tree (installation.ts), stopped and removed on exit,
 * on SIGINT/SIGTERM/SIGHUP/SIGQUIT, and reaped by the next run if this
 * process was killed.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chownSync, closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { freemem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SchemaproofError, fromSystemError } from '../errors/index.ts';
import type { PgBinaries } from './binaries.ts';
import { registerCleanup } from './exit-cleanup.ts';
import { forgetRunDir, watchRunDir } from './disk-full.ts';
import { copyTree, pristineDataDir, type OsUser } from './initdb-cache.ts';
import { prepareInstallation, type Installation, type InstallationOptions } from './installation.ts';
import { currentProcess, isAlive } from './processes.ts';
import { ownerFile, reapStaleClusters as reapIn, runDirPrefix, stopPostmasterSync, type RunMarker } from './reaper.ts';
import { mentionsDiskFull, runTool, toolFailure } from './tool.ts';

export { runDirPrefix } from './reaper.ts';

/** tmpfs is used for the throwaway cluster when it has at least this much room. */
const minimumShmBytes = 8 * 1024 ** 3;

/**
 * Where run directories go: SCHEMAPROOF_TMPDIR if set; else /dev/shm when it
 * is a writable tmpfs with room (creating a database there costs ~30 ms
 * instead of ~0.5-1 s on this class of disk: every test clones); else the OS
 * temp dir. Room means 8 GiB beyond what the cluster is expected to hold
 * (`expectedBytes`: a copied data directory), counted against both the
 * tmpfs's free space and the memory available (os.freemem: MemAvailable):
 * tmpfs is memory, and a 10 GiB bench data set there next to a test run ran
 * a 23 GiB machine out of it.
 */
export function defaultBaseDir(env: NodeJS.ProcessEnv = process.env, expectedBytes = 0, shmPath = '/dev/shm', availableMemory: number = freemem()): string {
  if (env.SCHEMAPROOF_TMPDIR) return resolve(env.SCHEMAPROOF_TMPDIR);
  try {
    const stats = statfsSync(shmPath);
    // A tmpfs may be sized beyond the memory there is: room is the lesser of the two.
    if (Math.min(stats.bavail * stats.bsize, availableMemory) >= minimumShmBytes + expectedBytes) {
      accessSync(shmPath, constants.W_OK);
      return shmPath;
    }
  } catch {
    // no usable tmpfs
  }
  return tmpdir();
}

/**
 * The longest unix socket path the kernel accepts (sun_path is 108 bytes on
 * Linux, NUL included); Postgres refuses longer ones at start.
 */
export const maxSocketPathBytes = 107;
/** What the run dir name adds to the base dir: `/schemaproof-run-XXXXXX`, then `/.s.PGSQL.5432`. */
const socketSuffix = `/${runDirPrefix}XXXXXX/.s.PGSQL.5432`;

/** Refuse a base dir whose socket path would be too long, before anything is created. */
export function checkSocketPath(baseDir: string): void {
  const socketPath = `${baseDir}${socketSuffix}`;
  const bytes = Buffer.byteLength(socketPath);
  if (bytes > maxSocketPathBytes) {
    throw new SchemaproofError({ code: 'socket_path_too_long', path: socketPath, bytes, maxBytes: maxSocketPathBytes });
  }
}

export interface LocalClusterOptions {
  readonly binaries: PgBinaries;
  /** Extra `-c name=value` server settings, merged over the fast defaults. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Where run directories live; default: `defaultBaseDir()` (tmpfs when it has room). */
  readonly baseDir?: string;
  /** Bytes the cluster will hold from the start (a copied data directory): tmpfs only with that much room to spare. */
  readonly expectedBytes?: number;
  readonly startTimeoutMs?: number;
  /** Environment for the cache location (SCHEMAPROOF_CACHE_DIR, XDG_CACHE_HOME, HOME); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Told, in one line, when something was repaired on the way (an initdb
   * cache or installation tree rebuilt, a cache folder tightened). Default:
   * written to stderr.
   */
  readonly onNotice?: (message: string) => void;
  /**
   * Start from a copy of this cleanly stopped data directory instead of the
   * cached initdb output. The caller vouches for it (ours, verified). The copy
   * runs asynchronously (copyTree), so a gigabyte of bench data does not
   * block the event loop.
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
  log_min_messages: 'warning',
  max_locks_per_transaction: '256',
};

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

/**
 * Remove run directories this user can prove are its own and whose run is
 * gone (see reaper.ts). Returns the directories removed.
 */
export function reapStaleClusters(baseDirs: string | readonly string[] = [defaultBaseDir(), tmpdir()]): string[] {
  return reapIn(baseDirs);
}

function defaultNotice(message: string): void {
  process.stderr.write(`schemaproof: ${message}\n`);
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
      const diskFull = log.split('\n').find(mentionsDiskFull);
      if (diskFull) throw new SchemaproofError({ code: 'disk_full', path: dataDir, detail: diskFull.trim() });
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

/**
 * The run directory: 0700, our marker (owned by us, so the server user cannot
 * forge one for the reaper), the pristine copy owned by the server user, and
 * a verified copy of the installation tree, ours and read-only to the server
 * user (the private cache it comes from is not reachable by it).
 */
async function prepareRunDir(dir: string, pristine: string, user: OsUser | null, installing: InstallationOptions): Promise<Installation> {
  const marker: RunMarker = { ...currentProcess(), serverUid: user?.uid ?? (typeof process.geteuid === 'function' ? process.geteuid() : 0), startedAt: new Date().toISOString() };
  writeFileSync(join(dir, ownerFile), JSON.stringify(marker), { mode: 0o600 });
  await copyTree(pristine, join(dir, 'data'));
  const installation = prepareInstallation(dir, installing);
  if (user) {
    chownSync(dir, user.uid, user.gid);
    const result = await runTool('chown', ['-R', `${user.uid}:${user.gid}`, join(dir, 'data')]);
    const failure = toolFailure(result, dir, (line) => new SchemaproofError({ code: 'postgres_start_failed', detail: `chown failed: ${line}`, logTail: '' }));
    if (failure) throw failure;
  }
  return installation;
}

export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const baseDir = resolve(options.baseDir ?? defaultBaseDir(process.env, options.expectedBytes ?? 0));
  checkSocketPath(baseDir);
  if (!existsSync(baseDir)) throw new SchemaproofError({ code: 'directory_missing', path: baseDir, role: 'run (SCHEMAPROOF_TMPDIR)' });
  reapStaleClusters([baseDir, tmpdir()]);
  const user = serverUser();
  const notice = options.onNotice ?? defaultNotice;
  const initStarted = performance.now();
  // A cached bench data directory (the caller vouches for it: ours, cleanly stopped) or the verified initdb output.
  const pristine = options.dataDirSource
    ? { dataDir: options.dataDirSource, fromCache: true }
    : await pristineDataDir({
        binaries: options.binaries,
        serverUser: user,
        buildBaseDir: baseDir,
        ...(options.env ? { env: options.env } : {}),
        onNotice: notice,
      });
  let dir: string;
  try {
    dir = mkdtempSync(join(baseDir, runDirPrefix));
  } catch (error) {
    throw fromSystemError(error, baseDir) ?? error;
  }
  // From here on the run dir goes away on every path: errors below, signals, exit.
  // pid of our postmaster; `exited` once Node has reaped it (from then on the pid may belong to anyone).
  const handle = { dir, pid: -1, exited: false };
  watchRunDir(dir, join(dir, 'postgres.log'));
  const ourUid = typeof process.geteuid === 'function' ? process.geteuid() : 0;
  const server = { dataDir: join(dir, 'data'), uids: [ourUid, ...(user ? [user.uid] : [])] };
  const removeRunDir = (): void => {
    if (handle.pid > 0) stopPostmasterSync(handle.pid, server, 10_000, () => !handle.exited && isAlive(handle.pid));
    forgetRunDir(dir);
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  };
  const unregister = registerCleanup({ sync: removeRunDir });
  const fail = (error: unknown): never => {
    unregister();
    removeRunDir();
    throw fromSystemError(error, dir) ?? error;
  };
  let installation: Installation;
  try {
    installation = await prepareRunDir(dir, pristine.dataDir, user, { binaries: options.binaries, ...(options.env ? { env: options.env } : {}), onNotice: notice });
  } catch (error) {
    return fail(error);
  }
  const initMs = performance.now() - initStarted;
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const settings = { ...defaultSettings, ...options.settings, unix_socket_directories: `'${dir}'` };
  const args = ['-D', dataDir, '-p', '5432'];
  for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value.replace(/^'(.*)'$/, '$1')}`);
  const startStarted = performance.now();
  let child: ChildProcess;
  try {
    const logFd = openSync(logFile, 'a');
    if (user) chownSync(logFile, user.uid, user.gid);
    child = spawn(installation.postgres, args, {
      stdio: ['ignore', logFd, logFd],
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    closeSync(logFd);
  } catch (error) {
    return fail(error);
  }
  // Resolves once Node has reaped the postmaster: only then is its pid gone
  // (an exited but unreaped child still answers kill(pid, 0)).
  const reaped = new Promise<void>((resolve) =>
    child.once('exit', () => {
      handle.exited = true;
      resolve();
    }),
  );
  handle.pid = child.pid ?? -1;
  try {
    await waitForReady(dataDir, child, logFile, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    fail(error);
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
      try {
        if (!handle.exited) process.kill(handle.pid, 'SIGQUIT');
      } catch {
        // already gone
      }
      const deadline = Date.now() + 10_000;
      while (!handle.exited && isAlive(handle.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      await Promise.race([reaped, new Promise((resolve) => setTimeout(resolve, 2000))]);
      unregister();
      removeRunDir();
    },
  };
}
