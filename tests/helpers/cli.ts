/**
 * The CLI as a user runs it: a child process with its own exit code, stdout
 * and stderr, optionally in its own process group (so a test can send a
 * signal the way a terminal does, to the whole group).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
export const cliPath = join(root, 'bin/schemaproof.js');

export interface CliRun {
  readonly child: ChildProcess;
  /** Resolves when the process has exited. */
  readonly done: Promise<CliResult>;
}

export interface CliResult {
  /** The exit status a shell shows: the exit code, or 128 + signal number when ended by a signal. */
  readonly status: number;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

const signalNumbers: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

export function startCli(args: readonly string[], options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv; readonly processGroup?: boolean }): CliRun {
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd: options.cwd,
    env: { ...process.env, CI: 'true', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.processGroup === true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliResult>((resolveDone) => {
    child.once('close', (code, signal) => resolveDone({ status: code ?? 128 + (signalNumbers[signal ?? ''] ?? 0), signal, stdout, stderr }));
  });
  return { child, done };
}

export function runCli(args: readonly string[], options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Lines a run wrote to stderr, blank ones left out. */
export function stderrLines(result: CliResult): string[] {
  return result.stderr.split('\n').filter((line) => line.trim() !== '');
}

export async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
