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
import { lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, isDeadProcess, isPostmasterOf, sleepSync, type ProcessIdentity } from './processes.ts';

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

/** SIGQUIT (immediate shutdown), then SIGKILL, each only while `stillOurs()` holds. */
export function stopPostmasterSync(pid: number, timeoutMs: number, stillOurs: () => boolean = () => true): void {
  if (!stillOurs()) return;
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) sleepSync(10);
  if (isAlive(pid) && stillOurs()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    while (isAlive(pid) && Date.now() < deadline + 2000) sleepSync(10);
  }
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
    if (pid !== null) stopPostmasterSync(pid, 5000, () => isPostmasterOf(pid, dataDir, uids));
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
