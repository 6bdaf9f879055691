/**
 * What a run must undo however it ends: a stopped throwaway cluster and its
 * directory, a half-built initdb cache entry, the databases it created on a
 * server it did not start. Normal paths undo their own work; this module
 * covers signals (SIGINT, SIGTERM, SIGHUP from a closed terminal, SIGQUIT)
 * and, for what can be undone synchronously, process exit.
 *
 * On a signal every registered cleanup runs (the asynchronous ones first,
 * bounded by a deadline), then the signal is raised again with the default
 * action, so the process ends the way the signal intended (exit status
 * 128 + signal number: 130 for Ctrl-C).
 */
import { constants } from 'node:os';

export const handledSignals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;
export type HandledSignal = (typeof handledSignals)[number];

export interface Cleanup {
  /** Undo what can be undone without the event loop (kill a process, remove a directory). Also runs at exit. */
  readonly sync?: () => void;
  /** Undo what needs the network (drop databases); runs on signals only, before `sync`. */
  readonly async?: () => Promise<void>;
}

/** How long asynchronous cleanups may take after a signal before the process ends anyway. */
const asyncDeadlineMs = 15_000;

const cleanups = new Set<Cleanup>();
const interruptListeners = new Set<(signal: HandledSignal) => void>();
let installed = false;
let interrupted: HandledSignal | null = null;

/** Register something to undo; returns the function that unregisters it (call it once done normally). */
export function registerCleanup(cleanup: Cleanup): () => void {
  install();
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

/** The signal this process is ending on, or null. Code that sees its work fail can check it before reporting an error. */
export function interruptedBy(): HandledSignal | null {
  return interrupted;
}

/** Be told once when a signal starts the cleanup (the CLI prints one line). */
export function onInterrupt(listener: (signal: HandledSignal) => void): () => void {
  interruptListeners.add(listener);
  return () => {
    interruptListeners.delete(listener);
  };
}

/** 128 + the signal's number: the exit status a shell shows for a process ended by it. */
export function signalExitStatus(signal: HandledSignal): number {
  return 128 + constants.signals[signal];
}

/** Whether a child process ended on one of the signals a user sends to stop a run. */
export function isStopSignal(signal: string | null | undefined): signal is HandledSignal {
  return (handledSignals as readonly string[]).includes(signal ?? '');
}

/** Newest first: what was started last is undone first (a copy into a directory before the directory). */
function runSync(): void {
  for (const cleanup of [...cleanups].reverse()) {
    cleanups.delete(cleanup);
    try {
      cleanup.sync?.();
    } catch {
      // best effort: the next cleanup must still run
    }
  }
}

async function onSignal(signal: HandledSignal): Promise<void> {
  if (interrupted !== null) return; // already cleaning up; the first signal decides
  interrupted = signal;
  for (const listener of interruptListeners) {
    try {
      listener(signal);
    } catch {
      // a listener must not stop the cleanup
    }
  }
  const pending = [...cleanups].flatMap((cleanup) => (cleanup.async ? [cleanup.async().catch(() => undefined)] : []));
  if (pending.length > 0) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(pending), new Promise((resolve) => (timer = setTimeout(resolve, asyncDeadlineMs)))]);
    clearTimeout(timer);
  }
  runSync();
  for (const name of handledSignals) process.removeListener(name, listeners[name]);
  // End the way the signal intended, unless someone else also listens for it and decides.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

const listeners = Object.fromEntries(handledSignals.map((name) => [name, () => void onSignal(name)])) as Record<HandledSignal, () => void>;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runSync);
  for (const name of handledSignals) process.on(name, listeners[name]);
}
