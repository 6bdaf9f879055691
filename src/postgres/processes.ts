/**
 * What this machine can prove about a process: whether it is alive, when it
 * started (so a reused PID is not mistaken for the original), who runs it and
 * what it runs. Linux answers from /proc; elsewhere only liveness is known.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename } from 'node:path';

/** Alive: signal 0 reaches it (or it belongs to someone else) and it is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A zombie (exited, not yet reaped) answers kill(0) but is gone.
  const state = statFields(pid)?.[0];
  return state !== 'Z' && state !== 'X';
}

/** The fields of /proc/<pid>/stat after the command name: state first. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Clock ticks since boot at which `pid` started (stat field 22), or null where /proc cannot say. */
export function processStartTicks(pid: number): number | null {
  const value = statFields(pid)?.[19];
  const ticks = Number(value);
  return value !== undefined && Number.isInteger(ticks) ? ticks : null;
}

/** This boot of this machine (changes on reboot), or '' where the kernel does not say. */
export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

export function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** Who and which run this process is, in a form other runs can check later. */
export interface ProcessIdentity {
  readonly host: string;
  readonly boot: string;
  readonly pid: number;
  /** Start time in clock ticks since boot; null where unknown. */
  readonly startTicks: number | null;
}

export function currentProcess(): ProcessIdentity {
  return { host: hostname(), boot: bootId(), pid: process.pid, startTicks: processStartTicks(process.pid) };
}

/**
 * Whether the process a record names is certainly gone: another boot, or no
 * process with that PID, or one that started at another time (a reused PID).
 * A record from another host is never judged dead: we cannot see its processes.
 */
export function isDeadProcess(record: { readonly host: string; readonly boot: string; readonly pid: number; readonly startTicks: number | null }): boolean {
  if (record.host !== hostname()) return false;
  const boot = bootId();
  if (record.boot !== '' && boot !== '' && record.boot !== boot) return true;
  if (!isAlive(record.pid)) return true;
  if (record.startTicks === null) return false;
  const start = processStartTicks(record.pid);
  return start !== null && start !== record.startTicks;
}

/** Real and effective uid of a process (from /proc/<pid>/status), or null. */
export function processUids(pid: number): { readonly real: number; readonly effective: number } | null {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('Uid:'));
    const [real, effective] = (line ?? '').replace('Uid:', '').trim().split(/\s+/).map(Number);
    return real !== undefined && effective !== undefined && Number.isInteger(real) && Number.isInteger(effective) ? { real, effective } : null;
  } catch {
    return null;
  }
}

/** argv of a process (from /proc/<pid>/cmdline), or null. */
export function processArgv(pid: number): readonly string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.length === 0 ? null : raw.replace(/\0$/, '').split('\0');
  } catch {
    return null;
  }
}

/** Basename of the executable a process runs (from /proc/<pid>/exe), or null. */
export function processExecutable(pid: number): string | null {
  try {
    return basename(readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, ''));
  } catch {
    return null;
  }
}

/**
 * Whether `pid` is provably the postmaster of `dataDir`: it runs a `postgres`
 * executable with `-D dataDir`, as one of `uids`. Without /proc nothing is
 * provable, so the answer is false.
 */
export function isPostmasterOf(pid: number, dataDir: string, uids: readonly number[]): boolean {
  if (!isAlive(pid)) return false;
  if (processExecutable(pid) !== 'postgres') return false;
  const argv = processArgv(pid);
  if (!argv) return false;
  const flag = argv.indexOf('-D');
  if (flag < 0 || argv[flag + 1] !== dataDir) return false;
  const owner = processUids(pid);
  return owner !== null && uids.includes(owner.real) && uids.includes(owner.effective);
}

export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
