/**
 * Reaping run directories left by runs that were killed (SIGKILL, a crash),
 * touching only what this user can prove is its own:
 * - the directory is a real directory, mode 0700, owned by us or by the
 *   server user we run postgres as;
 * - it holds our marker file, owned by us (not by the server user, who could
 *   forge one), naming a run of this host that is no longer alive (pid and
 *   start time, so a reused pid does not keep it);
 * - a postmaster is signalled only when /proc shows it is `postgres -D
 *   <that data dir>` run by one of those uids, and postmaster.pid names the
 *   same data dir.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, isDeadProcess, isPostmasterOf, processUids, sleepSync, type ProcessIdentity } from './processes.ts';

export const runDirPrefix = 'schemaproof-run-';
export const ownerFile = 'schemaproof-owner.json';

export interface RunMarker extends ProcessIdentity {
  /** The uid the server runs as (ours unless we are root). */
  readonly serverUid: number;
  readonly startedAt: string;
}

function ourUid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : 0;
}

/** The marker of a run dir if it is provably ours, else null. */
export function readOwnedMarker(dir: string, uid: number = ourUid()): RunMarker | null {
  try {
    const dirStats = lstatSync(dir);
    if (!dirStats.isDirectory() || (dirStats.mode & 0o777) !== 0o700) return null;
    const markerPath = join(dir, ownerFile);
    const stats = lstatSync(markerPath);
    if (!stats.isFile() || stats.uid !== uid || stats.nlink !== 1 || (stats.mode & 0o077) !== 0) return null;
    const marker = JSON.parse(readFileSync(markerPath, 'utf8')) as Partial<RunMarker>;
    if (typeof marker.pid !== 'number' || typeof marker.host !== 'string' || typeof marker.boot !== 'string' || typeof marker.serverUid !== 'number') return null;
    if (dirStats.uid !== uid && dirStats.uid !== marker.serverUid) return null;
    return {
      host: marker.host,
      boot: marker.boot,
      pid: marker.pid,
      startTicks: typeof marker.startTicks === 'number' ? marker.startTicks : null,
      serverUid: marker.serverUid,
      startedAt: String(marker.startedAt ?? ''),
    };
  } catch {
    return null;
  }
}

/** The pid in `dataDir/postmaster.pid` if the file also names `dataDir` as its data directory. */
function lockFilePid(dataDir: string): number | null {
  try {
    const [first, second] = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number(first);
    if (!Number.isInteger(pid) || pid <= 0 || second?.trim() !== dataDir) return null;
    return pid;
  } catch {
    return null;
  }
}

/**
 * Processes of a server whose postmaster is gone: their working directory is
 * the data dir (the postmaster chdirs there and its children inherit it), and
 * they run as one of `uids`.
 */
function serverProcessesIn(dataDir: string, uids: readonly number[]): number[] {
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) !== dataDir) continue;
      const owner = processUids(Number(entry));
      if (owner !== null && uids.includes(owner.real)) found.push(Number(entry));
    } catch {
      // gone, or not ours to look at
    }
  }
  return found;
}

function waitGone(pids: readonly number[], until: number): void {
  while (pids.some(isAlive) && Date.now() < until) sleepSync(10);
}

/**
 * Stop the server of `dataDir`: SIGQUIT (immediate shutdown) to its
 * postmaster while `stillOurs()` holds; SIGKILL if it has not gone within
 * `timeoutMs` (Postgres itself gives its children 5 s after SIGQUIT, so
 * allow more); then SIGKILL any server process still working in the data dir,
 * so nothing writes into a directory that is being removed.
 */
export function stopPostmasterSync(pid: number, server: { readonly dataDir: string; readonly uids: readonly number[] }, timeoutMs: number, stillOurs: () => boolean = () => true): void {
  if (!stillOurs()) return;
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  waitGone([pid], deadline);
  if (!isAlive(pid)) return;
  if (stillOurs()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    waitGone([pid], Date.now() + 2000);
  }
  const stragglers = serverProcessesIn(server.dataDir, server.uids);
  for (const straggler of stragglers) {
    try {
      process.kill(straggler, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  waitGone(stragglers, Date.now() + 2000);
}

function reapIn(baseDir: string, uid: number): string[] {
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
    const marker = readOwnedMarker(dir, uid);
    if (marker === null || !isDeadProcess(marker)) continue;
    const dataDir = join(dir, 'data');
    const pid = lockFilePid(dataDir);
    const uids = [uid, marker.serverUid];
    if (pid !== null) stopPostmasterSync(pid, { dataDir, uids }, 10_000, () => isPostmasterOf(pid, dataDir, uids));
    try {
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // another run may be reaping the same directory
    }
  }
  return removed;
}

/**
 * Remove run directories of this user whose run is gone (it was SIGKILLed and
 * never cleaned up). Returns the directories removed.
 */
export function reapStaleClusters(baseDirs: string | readonly string[]): string[] {
  const uid = ourUid();
  const removed: string[] = [];
  for (const baseDir of new Set(typeof baseDirs === 'string' ? [baseDirs] : baseDirs)) removed.push(...reapIn(baseDir, uid));
  return removed;
}
