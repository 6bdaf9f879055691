/**
 * `--watch`: which project files changed, and what that affects. A change to
 * a migration, a policy or a seed file changes the template (rebuild, then
 * run everything); a change to the access spec or the project's mutants
 * changes what `rls` checks; a pgTAP file changes only itself. Events are
 * collected for `debounceMs` after the last one (editors write a file in
 * several steps), and a batch that arrives while a run is going waits for it:
 * runs never overlap.
 *
 * Node's `fs.watch` (recursive on Linux since Node 20) on the project's
 * folders only, never on the whole root (node_modules would cost a watch per
 * folder).
 */
import { existsSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export interface WatchedProject {
  readonly root: string;
  /** Migrations, policies, seed files: a change rebuilds the template. */
  readonly schema: readonly string[];
  /** The access spec, the project's mutants. */
  readonly spec: readonly string[];
  /** The pgTAP folder (or the files and folders given on the command line). */
  readonly pgtap: readonly string[];
  /** pgTAP file endings (`.sql`; a Supabase project also `.pg`). */
  readonly pgtapExtensions: readonly string[];
}

export interface ChangeBatch {
  readonly schema: boolean;
  readonly spec: boolean;
  /** pgTAP files that changed (absolute; they may have been deleted). */
  readonly pgtap: readonly string[];
  /** Every changed path, relative to the root, for the line that says what changed. */
  readonly changed: readonly string[];
}

export type ChangeKind = 'schema' | 'spec' | 'pgtap';

function inside(path: string, container: string): boolean {
  return path === container || path.startsWith(container.endsWith(sep) ? container : `${container}${sep}`);
}

/** What a changed path affects, or null when nothing watched cares. */
export function classifyChange(project: WatchedProject, path: string): ChangeKind | null {
  const file = resolve(project.root, path);
  if (project.schema.some((entry) => inside(file, entry))) return 'schema';
  if (project.spec.some((entry) => inside(file, entry))) return 'spec';
  if (project.pgtap.some((entry) => inside(file, entry)) && project.pgtapExtensions.some((extension) => file.endsWith(extension))) return 'pgtap';
  return null;
}

/** Folders to watch: each folder given (recursively), and the folder of each file given. */
function watchTargets(project: WatchedProject): { readonly dir: string; readonly recursive: boolean }[] {
  const targets = new Map<string, boolean>();
  for (const entry of [...project.schema, ...project.spec, ...project.pgtap]) {
    if (existsSync(entry) && statSync(entry).isDirectory()) targets.set(entry, true);
    else if (existsSync(dirname(entry))) targets.set(dirname(entry), targets.get(dirname(entry)) ?? false);
  }
  // A folder inside a recursively watched one needs no watcher of its own.
  const dirs = [...targets.keys()];
  return dirs.filter((dir) => !dirs.some((other) => other !== dir && targets.get(other) && inside(dir, other))).map((dir) => ({ dir, recursive: targets.get(dir)! }));
}

export interface Watcher {
  /** The folders being watched, relative to the root. */
  readonly watching: readonly string[];
  close(): void;
}

/**
 * Call `onBatch` with each debounced batch of relevant changes, one at a
 * time. A failing `onBatch` is `onError`'s to report; watching goes on.
 */
export function watchProject(
  project: WatchedProject,
  options: { readonly debounceMs?: number; readonly onBatch: (batch: ChangeBatch) => Promise<void>; readonly onError: (error: unknown) => void },
): Watcher {
  const debounceMs = options.debounceMs ?? 200;
  const pending = new Map<string, ChangeKind>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let closed = false;

  const flush = (): void => {
    timer = null;
    if (running || pending.size === 0 || closed) return;
    const entries = [...pending];
    pending.clear();
    const batch: ChangeBatch = {
      schema: entries.some(([, kind]) => kind === 'schema'),
      spec: entries.some(([, kind]) => kind === 'spec'),
      pgtap: entries
        .filter(([, kind]) => kind === 'pgtap')
        .map(([file]) => file)
        .sort(),
      changed: entries.map(([file]) => relative(project.root, file) || file).sort(),
    };
    running = options
      .onBatch(batch)
      .catch(options.onError)
      .finally(() => {
        running = null;
        // What changed during the run gets its own run now.
        if (pending.size > 0 && !closed) timer = setTimeout(flush, debounceMs);
      });
  };

  const targets = watchTargets(project);
  const watchers: FSWatcher[] = targets.map(({ dir, recursive }) =>
    watch(dir, { recursive, persistent: true }, (_event, name) => {
      if (name === null) return;
      const file = join(dir, name.toString());
      const kind = classifyChange(project, file);
      if (kind === null) return;
      pending.set(file, kind);
      if (timer) clearTimeout(timer);
      timer = setTimeout(flush, debounceMs);
    }),
  );
  for (const watcher of watchers) watcher.on('error', options.onError);
  return {
    watching: targets.map(({ dir }) => relative(project.root, dir) || '.'),
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
