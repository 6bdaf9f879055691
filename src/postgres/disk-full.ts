/**
 * A full disk shows up in many shapes: ENOSPC from a tool, SQLSTATE 53100
 * ("could not extend file"), a server FATAL that names no cause ("could not
 * write init file"), a connection lost when the server PANICs on a WAL
 * write. `diskFullCause` turns any of them into one `disk_full` error (exit
 * 7): by the error itself, or by the free space left where this process's
 * throwaway clusters live.
 */
import { statfsSync } from 'node:fs';
import { diskFullSqlstate, fromSystemError, isSchemaproofError, SchemaproofError } from '../errors/index.ts';
import { mentionsDiskFull } from './tool.ts';

/** Below this much free space a failed server operation is put down to a full disk. */
const nearlyFullBytes = 4 * 1024 * 1024;

const watched = new Set<string>();
let ranOutAt: string | null = null;

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

/** A throwaway cluster lives in `dir`: watch its filesystem until `forget`. */
export function watchRunDir(dir: string): void {
  watched.add(dir);
}

/** The cluster in `dir` is going away: remember whether its filesystem was full, then stop watching. */
export function forgetRunDir(dir: string): void {
  if (watched.delete(dir) && isNearlyFull(dir)) ranOutAt = dir;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/**
 * The `disk_full` error behind `error`, or null. Errors the user caused
 * (a bad config, an edited migration) are never reinterpreted; server-side
 * failures and unrecognised errors are, when a run directory's filesystem
 * is (or was, when its cluster stopped) out of space.
 */
export function diskFullCause(error: unknown): SchemaproofError | null {
  const fullDir = (): string | null => [...watched].find(isNearlyFull) ?? ranOutAt;
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
