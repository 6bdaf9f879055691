/**
 * Generated bench data, kept between runs: a cleanly stopped PostgreSQL data
 * directory per hash of everything that shapes the data (migrations,
 * policies, recipe, FEC files, scale, seed, anchor day, server version and
 * settings, the harness code that generates and loads), in the private
 * cache folder. The next run starts a cluster from a copy of it instead of
 * generating again. Entries are bounded in total size, least recently used
 * evicted first.
 *
 * Hygiene: the folder and every entry are 0700 and owned by this user; an
 * entry is trusted only after every file in it is checked to be owned by
 * this user and writable by nobody else (the server is started from it,
 * as the postgres OS user when this process is root). No symlinks.
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { privateCacheRoot } from '../postgres/cache-dir.ts';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Where bench data lives: the `bench-data` folder of the harness's private
 * cache (src/postgres/cache-dir.ts: SCHEMAPROOF_CACHE_DIR, else
 * $XDG_CACHE_HOME/schemaproof, else ~/.cache/schemaproof; created 0700,
 * refused when it is not ours alone).
 */
export function benchDataCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(privateCacheRoot({ env }), 'bench-data');
}

export interface CacheInputs {
  readonly migrations: readonly { readonly name: string; readonly sha256: string }[];
  readonly policies: readonly { readonly name: string; readonly sha256: string }[];
  /** sha256 of the recipe file, null without a recipe. */
  readonly recipe: string | null;
  /** The FEC bulk files loaded before the recipe, null when none. */
  readonly fec: readonly { readonly kind: string; readonly sha256: string }[] | null;
  readonly scale: string;
  readonly seed: number;
  /** The day the generated history ends at (YYYY-MM-DD). */
  readonly anchor: string;
  readonly serverVersion: string;
  readonly serverSettings: Readonly<Record<string, string>>;
  /** Hash of the harness code that shapes the data (`engineVersion`). */
  readonly engine: string;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

export function cacheKey(inputs: CacheInputs): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(inputs)))
    .digest('hex')
    .slice(0, 40);
}

/**
 * Hash of the harness code that shapes generated data: the recipe engine,
 * the FEC loader, the migration runner and the platform shim. Any change to
 * them invalidates cached data (a version number to bump would be forgotten).
 */
export function engineVersion(sourceRoot: string = fileURLToPath(new URL('..', import.meta.url))): string {
  const hash = createHash('sha256');
  const add = (dir: string, filter: (name: string) => boolean) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) add(path, filter);
      else if (filter(name)) hash.update(`${path.slice(sourceRoot.length)}\n`).update(readFileSync(path));
    }
  };
  const code = (name: string) => /\.(ts|js|mjs|sql)$/.test(name);
  add(join(sourceRoot, 'datagen'), code);
  add(join(sourceRoot, 'fec'), code);
  add(join(sourceRoot, 'migrate'), code);
  add(join(sourceRoot, 'postgres'), (name) => name.endsWith('.sql') || name === 'shim.ts' || name === 'local-cluster.ts');
  return hash.digest('hex').slice(0, 16);
}

const currentUid = (): number => (typeof process.getuid === 'function' ? process.getuid() : -1);

/** Why a directory cannot hold private data, or null when it is ours alone. */
export function privateDirProblem(path: string, uid: number = currentUid()): string | null {
  let stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    return `${path}: ${(error as Error).message}`;
  }
  if (stats.isSymbolicLink()) return `${path} is a symbolic link`;
  if (!stats.isDirectory()) return `${path} is not a directory`;
  if (uid >= 0 && stats.uid !== uid) return `${path} is owned by uid ${stats.uid}, not ${uid}`;
  if ((stats.mode & 0o077) !== 0) return `${path} is accessible to other users (mode ${(stats.mode & 0o777).toString(8)})`;
  return null;
}

/** Create the cache folder (0700) if needed and check that it, and its parent, are ours alone. */
export function ensurePrivateDir(path: string): string | null {
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  } catch (error) {
    return `${path} cannot be created: ${(error as Error).message}`;
  }
  return privateDirProblem(join(path, '..')) ?? privateDirProblem(path);
}

/** Every file below `path` owned by `uid`, no symlinks or special files, nothing writable by others. */
export function treeProblem(path: string, uid: number = currentUid()): string | null {
  const walk = (dir: string): string | null => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const stats = lstatSync(full);
      if (stats.isSymbolicLink()) return `${full} is a symbolic link`;
      if (!stats.isDirectory() && !stats.isFile()) return `${full} is not a regular file`;
      if (uid >= 0 && stats.uid !== uid) return `${full} is owned by uid ${stats.uid}, not ${uid}`;
      if ((stats.mode & 0o022) !== 0) return `${full} is writable by other users`;
      if (stats.isDirectory()) {
        const inner = walk(full);
        if (inner) return inner;
      }
    }
    return null;
  };
  return privateDirProblem(path, uid) ?? walk(path);
}

export interface CacheManifest<T> {
  readonly version: 1;
  readonly key: string;
  readonly inputs: CacheInputs;
  readonly createdAt: string;
  /** Bytes of the stored data directory. */
  readonly bytes: number;
  /** Whatever describes the data (database name, generation summary). */
  readonly payload: T;
}

export interface CacheEntry<T> {
  readonly dir: string;
  readonly dataDir: string;
  readonly manifest: CacheManifest<T>;
}

const manifestFile = 'entry.json';

function readManifest<T>(dir: string): CacheManifest<T> | null {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, manifestFile), 'utf8')) as CacheManifest<T>;
    return manifest.version === 1 ? manifest : null;
  } catch {
    return null;
  }
}

/** Bytes of the regular files under `path`. */
export function bytesOf(path: string): number {
  let total = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) total += lstatSync(full).size;
    }
  };
  walk(path);
  return total;
}

export type Lookup<T> = { readonly kind: 'hit'; readonly entry: CacheEntry<T> } | { readonly kind: 'miss' } | { readonly kind: 'untrusted'; readonly problem: string };

/**
 * What data of `scale` is likely to take: the largest cached entry of that
 * scale, whatever its key (the inputs changed, the volume rarely does); 0 when
 * there is none. Sizes a generation run's directory (tmpfs only with room).
 */
export function expectedBytesFor(cacheDir: string, scale: string): number {
  return Math.max(
    0,
    ...listEntries(cacheDir)
      .filter((entry) => entry.scale === scale)
      .map((entry) => entry.bytes),
  );
}

/** The entry for a key, if present and trustworthy; marks it used (for eviction order). */
export function lookupEntry<T>(cacheDir: string, key: string): Lookup<T> {
  const dir = join(cacheDir, key);
  const manifest = readManifest<T>(dir);
  if (!manifest || manifest.key !== key) return { kind: 'miss' };
  const problem = treeProblem(dir);
  if (problem) return { kind: 'untrusted', problem };
  const now = new Date();
  try {
    utimesSync(join(dir, manifestFile), now, now);
  } catch {
    // the order of eviction is only a preference
  }
  return { kind: 'hit', entry: { dir, dataDir: join(dir, 'data'), manifest } };
}

/** Cached entries, most recently used first. */
export function listEntries(cacheDir: string): { dir: string; bytes: number; usedAt: number; scale: string }[] {
  let names: string[];
  try {
    names = readdirSync(cacheDir);
  } catch {
    return [];
  }
  const entries: { dir: string; bytes: number; usedAt: number; scale: string }[] = [];
  for (const name of names) {
    const dir = join(cacheDir, name);
    const manifest = readManifest<unknown>(dir);
    if (!manifest) continue;
    let usedAt: number;
    try {
      usedAt = statSync(join(dir, manifestFile)).mtimeMs;
    } catch {
      continue;
    }
    entries.push({ dir, bytes: manifest.bytes, usedAt, scale: manifest.inputs.scale });
  }
  return entries.sort((a, b) => b.usedAt - a.usedAt);
}

/** Remove the least recently used entries until `incoming` more bytes fit under `maxBytes`; returns what was removed. */
export function evict(cacheDir: string, maxBytes: number, incoming: number): string[] {
  const entries = listEntries(cacheDir);
  let total = entries.reduce((sum, entry) => sum + entry.bytes, 0) + incoming;
  const removed: string[] = [];
  for (const entry of [...entries].reverse()) {
    if (total <= maxBytes) break;
    // Rename first, so a reader never copies a half-deleted entry under its key.
    const trash = join(cacheDir, `.evicted-${randomBytes(4).toString('hex')}`);
    try {
      renameSync(entry.dir, trash);
      rmSync(trash, { recursive: true, force: true });
      removed.push(entry.dir);
      total -= entry.bytes;
    } catch {
      // another run removed it first
    }
  }
  // Leftovers of runs that died while storing.
  for (const name of safeReaddir(cacheDir)) {
    if (name.startsWith('.building-') || name.startsWith('.evicted-')) {
      const path = join(cacheDir, name);
      try {
        if (Date.now() - statSync(path).mtimeMs > 6 * 3600_000) rmSync(path, { recursive: true, force: true });
      } catch {
        // in use or gone
      }
    }
  }
  return removed;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Copy a cleanly stopped data directory into the cache under `key`. WAL is
 * trimmed to the segment holding the shutdown checkpoint (all a clean start
 * needs; the recycled segments were most of the directory). Files end up
 * owned by this user, 0600/0700. Returns the entry, or why it was not kept.
 */
export async function storeEntry<T>(options: {
  readonly cacheDir: string;
  readonly key: string;
  readonly inputs: CacheInputs;
  readonly dataDir: string;
  /** The WAL segment a clean start needs ("Latest checkpoint's REDO WAL file"). */
  readonly walSegment: string;
  readonly maxBytes: number;
  readonly payload: T;
}): Promise<{ readonly entry: CacheEntry<T> | null; readonly note: string | null; readonly evicted: readonly string[] }> {
  const { cacheDir, key } = options;
  const problem = ensurePrivateDir(cacheDir);
  if (problem) return { entry: null, note: `not cached: ${problem}`, evicted: [] };
  const building = join(cacheDir, `.building-${randomBytes(6).toString('hex')}`);
  mkdirSync(building, { mode: 0o700 });
  try {
    const data = join(building, 'data');
    mkdirSync(data, { mode: 0o700 });
    const names = readdirSync(options.dataDir).filter((name) => name !== 'pg_wal' && name !== 'postmaster.pid');
    if (names.length > 0) await run('cp', ['-R', '--preserve=mode,timestamps', ...names.map((name) => join(options.dataDir, name)), data]);
    mkdirSync(join(data, 'pg_wal', 'archive_status'), { recursive: true, mode: 0o700 });
    await run('cp', ['--preserve=mode,timestamps', join(options.dataDir, 'pg_wal', options.walSegment), join(data, 'pg_wal', options.walSegment)]);
    const bytes = bytesOf(data);
    if (bytes > options.maxBytes) {
      rmSync(building, { recursive: true, force: true });
      return { entry: null, note: `not cached: ${(bytes / 1048576).toFixed(0)} MiB exceeds bench.dataCache.maxMiB (${(options.maxBytes / 1048576).toFixed(0)})`, evicted: [] };
    }
    const evicted = evict(cacheDir, options.maxBytes, bytes);
    const manifest: CacheManifest<T> = { version: 1, key, inputs: options.inputs, createdAt: new Date().toISOString(), bytes, payload: options.payload };
    writeFileSync(join(building, manifestFile), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    const dir = join(cacheDir, key);
    try {
      renameSync(building, dir);
    } catch {
      // A concurrent run stored the same key first: its entry is as good as ours.
      rmSync(building, { recursive: true, force: true });
      const existing = lookupEntry<T>(cacheDir, key);
      return existing.kind === 'hit' ? { entry: existing.entry, note: null, evicted } : { entry: null, note: 'not cached: a concurrent run holds the key', evicted };
    }
    return { entry: { dir, dataDir: join(dir, 'data'), manifest }, note: null, evicted };
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    return { entry: null, note: `not cached: ${(error as Error).message.split('\n')[0]}`, evicted: [] };
  }
}

/** Drop an entry that failed to start (so the next run regenerates). */
export function discardEntry(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
