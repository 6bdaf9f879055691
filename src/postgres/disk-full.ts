/**
 * A full disk shows up in many shapes: ENOSPC from a tool, SQLSTATE 53100
 * ("could not extend file"), a server FATAL that names no cause ("could not
 * write init file"), a connection lost when the server PANICs on a WAL
 * write. `diskFullCause` turns any of them into one `disk_full` error (exit
 * 7): by the error itself, or by what this process's throwaway clusters show
 * (a filesystem nearly full, a server log saying a write found no space).
 */
import { closeSync, fstatSync, openSync, readSync, statfsSync } from 'node:fs';
import { diskFullSqlstate, fromSystemError, isSchemaproofError, SchemaproofError } from '../errors/index.ts';
import { mentionsDiskFull } from './tool.ts';

/** Below this much free space a failed server operation is put down to a full disk. */
const nearlyFullBytes = 4 * 1024 * 1024;

/** Run dirs of live clusters → their server log. */
const watched = new Map<string, string>();
let ranOutAt: string | null = null;

/** The last `bytes` of a file, or '' when it cannot be read. */
function tail(file: string, bytes: number): string {
  let fd: number | null = null;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

function freeBytes(path: string): number | null {
  try {
    const stats = statfsSync(path);
    return stats.bavail * stats.bsize;
  } catch {
    return null;
  }
}

function isNearlyFull(path: string): boolean {
  const free = freeBytes(path);
  return free !== null && free < nearlyFullBytes;
}

/** A throwaway cluster lives in `dir` and logs to `logFile`: watch both until `forgetRunDir`. */
export function watchRunDir(dir: string, logFile: string): void {
  watched.set(dir, logFile);
}

/**
 * The cluster in `dir` is going away: remember whether it ran out of space
 * (its filesystem is nearly full, or its log says a write failed for want of
 * space: a failed WAL write makes the server restart and drop every
 * connection, and the aborted writes are freed again), then stop watching.
 */
export function forgetRunDir(dir: string): void {
  const logFile = watched.get(dir);
  if (logFile === undefined) return;
  watched.delete(dir);
  if (ranOutOfSpace(dir, logFile)) ranOutAt = dir;
}

function ranOutOfSpace(dir: string, logFile: string): boolean {
  return (
    isNearlyFull(dir) ||
    tail(logFile, 256 * 1024)
      .split('\n')
      .some(mentionsDiskFull)
  );
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/**
 * The `disk_full` error behind `error`, or null. Errors the user caused
 * (a bad config, an edited migration) are never reinterpreted; server-side
 * failures and unrecognised errors are, when a cluster of this process is
 * (or was, when it stopped) out of space.
 */
export function diskFullCause(error: unknown): SchemaproofError | null {
  const fullDir = (): string | null => [...watched].find(([dir, logFile]) => ranOutOfSpace(dir, logFile))?.[0] ?? ranOutAt;
  const diskFull = (detail: string): SchemaproofError => new SchemaproofError({ code: 'disk_full', path: fullDir() ?? 'the server', detail }, { cause: error });
  if (isSchemaproofError(error)) {
    const detail = error.detail;
    if (detail.code === 'disk_full') return error;
    if (detail.code === 'sql_error' && detail.sqlstate === diskFullSqlstate) {
      return diskFull(`${detail.location ? `${detail.location.file}:${detail.location.line}` : detail.file}: ${detail.message}`);
    }
    if (detail.code !== 'sql_error' && detail.code !== 'postgres_start_failed' && detail.code !== 'database_unreachable') return null;
  } else {
    const system = fromSystemError(error, fullDir() ?? 'the server');
    if (system) return system;
    if (mentionsDiskFull(firstLine(error))) return diskFull(firstLine(error));
  }
  return fullDir() === null ? null : diskFull(firstLine(error));
}
