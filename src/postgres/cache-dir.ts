/**
 * The private cache folder: what the harness keeps between runs (the pristine
 * initdb output, generated data) lives where only the user running it can
 * write, because a later run copies it into a server that executes what it
 * finds (a planted `restore_command` runs as the server's OS user).
 *
 * Location: `SCHEMAPROOF_CACHE_DIR`, else `$XDG_CACHE_HOME/schemaproof`, else
 * `~/.cache/schemaproof`. Whichever it is, it gets the same checks:
 * - every directory on the way is owned by root or by us and is not writable
 *   by group or others unless sticky (so nobody else can swap a directory
 *   out from under us); the directories we create are made 0700;
 * - the cache root itself is a real directory (not a symlink), owned by us,
 *   mode 0700. One owned by us with looser bits is emptied and tightened;
 *   one owned by anybody else is refused (`cache_dir_unsafe`).
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync, realpathSync, rmSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { SchemaproofError } from '../errors/index.ts';

export interface CacheRootOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Told, in one line, when the cache had to be emptied or tightened. */
  readonly onNotice?: (message: string) => void;
}

function ourUid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : 0;
}

/** Where the cache root is, before any check. */
export function cacheRootPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SCHEMAPROOF_CACHE_DIR) return resolve(env.SCHEMAPROOF_CACHE_DIR);
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'schemaproof');
  return join(env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir(), '.cache', 'schemaproof');
}

function unsafe(path: string, reason: string): SchemaproofError {
  return new SchemaproofError({ code: 'cache_dir_unsafe', path, reason });
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

const groupOrWorldWritable = 0o022;
const sticky = 0o1000;

/** Why `stats` (a directory on the way to the cache) lets someone else replace what lies below it, or null. */
function ancestorProblem(stats: Stats, uid: number): string | null {
  if (stats.uid !== 0 && stats.uid !== uid) return `owned by uid ${stats.uid}`;
  if ((stats.mode & groupOrWorldWritable) !== 0 && (stats.mode & sticky) === 0) return `writable by group or others (mode ${(stats.mode & 0o7777).toString(8)}) without the sticky bit`;
  return null;
}

/** Create the missing directories of `path` one by one with mode 0700, checking the existing ones. */
function ensurePrivatePath(path: string, uid: number): void {
  const missing: string[] = [];
  let existing = path;
  while (lstatOrNull(existing) === null) {
    missing.unshift(existing);
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  // Check every existing directory on the way, symlinks resolved (a symlinked ~/.cache is fine if its target is safe).
  const real = realpathSync(existing);
  const parts = real.split(sep).filter(Boolean);
  for (let index = 0; index <= parts.length; index += 1) {
    const dir = sep + parts.slice(0, index).join(sep);
    if (dir === real && missing.length === 0) continue; // the cache root itself is checked strictly below
    const problem = ancestorProblem(lstatSync(dir), uid);
    if (problem) throw unsafe(path, `${dir} is ${problem}`);
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const stats = lstatSync(dir);
    if (!stats.isDirectory() || stats.uid !== uid || (stats.mode & 0o077) !== 0) throw unsafe(path, `${dir} appeared while being created and is not ours alone`);
  }
}

/**
 * The verified private cache root: created 0700 if missing, refused if it is
 * not ours, emptied and tightened (with one notice) if others could write it.
 */
export function privateCacheRoot(options: CacheRootOptions = {}): string {
  const root = cacheRootPath(options.env ?? process.env);
  const uid = ourUid();
  ensurePrivatePath(root, uid);
  const stats = lstatSync(root);
  if (stats.isSymbolicLink()) throw unsafe(root, 'it is a symbolic link; point SCHEMAPROOF_CACHE_DIR at the real directory');
  if (!stats.isDirectory()) throw unsafe(root, 'it is not a directory');
  if (stats.uid !== uid) throw unsafe(root, `it is owned by uid ${stats.uid}, not by the user running schemaproof (uid ${uid})`);
  if ((stats.mode & 0o077) !== 0) {
    const wasWritable = (stats.mode & groupOrWorldWritable) !== 0;
    chmodSync(root, 0o700);
    if (wasWritable) {
      // Someone else could have written anything here: nothing in it is trusted.
      for (const entry of readdirSync(root)) rmSync(join(root, entry), { recursive: true, force: true });
    }
    options.onNotice?.(`cache ${root} had mode ${(stats.mode & 0o777).toString(8)}; set to 700${wasWritable ? ' and emptied, as others could write to it' : ''}`);
  }
  return root;
}

/**
 * Why the tree at `dir` is not private to `uid`, or null: every entry must be
 * a directory or a regular file (no symlinks, devices or sockets), owned by
 * `uid`, writable by nobody else.
 */
export function privateTreeProblem(dir: string, uid: number = ourUid()): string | null {
  const walk = (path: string): string | null => {
    const stats = lstatSync(path);
    if (stats.uid !== uid) return `${path} is owned by uid ${stats.uid}`;
    if ((stats.mode & groupOrWorldWritable) !== 0) return `${path} is writable by group or others`;
    if (stats.isDirectory()) {
      for (const entry of readdirSync(path)) {
        const problem = walk(join(path, entry));
        if (problem) return problem;
      }
      return null;
    }
    return stats.isFile() ? null : `${path} is neither a file nor a directory`;
  };
  return walk(dir);
}
