/**
 * Running a server-side tool (initdb, cp, chown) without blocking the event
 * loop, so a signal is handled while it runs, and with its output captured,
 * so a failure is one line and not hundreds.
 */
import { spawn } from 'node:child_process';
import { SchemaproofError } from '../errors/index.ts';
import { isStopSignal, registerCleanup } from './exit-cleanup.ts';
import { isAlive, sleepSync } from './processes.ts';

export interface ToolResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

export interface ToolOptions {
  readonly uid?: number;
  readonly gid?: number;
}

export function runTool(command: string, args: readonly string[], options: ToolOptions = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
    });
    // Stopped with the run: a signal sent to schemaproof alone (SIGTERM, SIGHUP) does not reach it,
    // and a cp still writing would refill the directory being removed.
    const unregister = registerCleanup({
      sync: () => {
        if (child.pid === undefined || !isAlive(child.pid)) return;
        child.kill('SIGKILL');
        for (let waited = 0; waited < 2000 && isAlive(child.pid); waited += 10) sleepSync(10);
      },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      // Keep the first 64 KiB: a full disk makes cp print one line per file.
      stderr = stderr.length < 64 * 1024 ? stderr + chunk : stderr;
    });
    child.once('error', (error) => {
      unregister();
      reject(error);
    });
    child.once('close', (code, signal) => {
      unregister();
      resolve({ code, signal, stderr });
    });
  });
}

/** The device is full: the message every tool and the server print for ENOSPC. */
export function mentionsDiskFull(text: string): boolean {
  return /No space left on device|could not extend file/i.test(text);
}

/**
 * Turn a failed tool run into one of our errors: stopped by a signal the user
 * sent, a full disk, or `otherwise`. Returns null when the tool succeeded.
 */
export function toolFailure(result: ToolResult, where: string, otherwise: (firstLine: string) => SchemaproofError): SchemaproofError | null {
  if (result.code === 0 && result.signal === null) return null;
  if (isStopSignal(result.signal)) return new SchemaproofError({ code: 'interrupted', signal: result.signal });
  const lines = result.stderr.trim().split('\n').filter(Boolean);
  const diskFull = lines.find(mentionsDiskFull);
  if (diskFull) return new SchemaproofError({ code: 'disk_full', path: where, detail: diskFull.trim() });
  return otherwise(lines[0]?.trim() ?? `exited with ${result.signal ?? result.code}`);
}
