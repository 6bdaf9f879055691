/**
 * The `--watch` loop of `test` and `rls`: run once, then re-run what each
 * batch of changes affects (src/watch decides what a file affects). A change
 * to the schema rebuilds the template: the workspace is closed and opened
 * again, so its cluster and databases are the ones the signal cleanup knows.
 * An error in a run (a migration that does not apply, an invalid spec) is
 * printed and watching goes on; Ctrl-C stops the run and removes its cluster
 * (src/postgres/exit-cleanup.ts), exit 130.
 */
import type { Settings } from '../config/index.ts';
import type { ChangeBatch, WatchedProject } from '../watch/index.ts';
import type { Workspace } from '../workspace/index.ts';
import type { GlobalOptions } from './main.ts';
import { renderFailure } from './render.ts';
import { openCommandWorkspace } from './workspace.ts';

export interface WatchRun {
  readonly globals: GlobalOptions;
  readonly settings: Settings;
  readonly project: WatchedProject;
  /** `test` or `rls`, for the status lines. */
  readonly command: string;
  /** Run everything (`batch` null: the first run, or after a rebuild) or what `batch` affects. */
  readonly run: (workspace: Workspace, batch: ChangeBatch | null) => Promise<void>;
}

function say(line: string): void {
  process.stdout.write(`[watch] ${line}\n`);
}

function report(error: unknown, debug: boolean): void {
  for (const line of renderFailure(error, debug).lines) process.stdout.write(`${line}\n`);
}

/** Runs until a signal ends the process. */
export async function watchAndRerun(options: WatchRun): Promise<never> {
  const { watchProject } = await import('../watch/index.ts');
  let workspace: Workspace | null = null;
  const debug = options.globals.debug === true;
  const fresh = async (): Promise<void> => {
    if (workspace) await workspace.close();
    workspace = null;
    workspace = await openCommandWorkspace(options.globals, options.settings);
    await options.run(workspace, null);
  };
  try {
    await fresh();
  } catch (error) {
    report(error, debug);
  }
  const watcher = watchProject(options.project, {
    onBatch: async (batch) => {
      say(`changed: ${batch.changed.join(', ')}`);
      if (batch.schema || !workspace) {
        say(batch.schema ? 'the schema changed: rebuilding the template, then running everything' : 'running everything');
        await fresh();
      } else {
        await options.run(workspace, batch);
      }
      say(`${options.command}: waiting for changes (Ctrl-C to stop)`);
    },
    onError: (error) => {
      report(error, debug);
      say(`${options.command}: waiting for changes (Ctrl-C to stop)`);
    },
  });
  say(`${options.command}: watching ${watcher.watching.join(', ')}; waiting for changes (Ctrl-C to stop)`);
  // The watchers keep the process alive; a signal's cleanup ends it.
  return new Promise<never>(() => undefined);
}
