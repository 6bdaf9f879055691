/**
 * The pristine `initdb` output, cached per server version in the private
 * cache folder and copied into every run. Before each use the cached copy is
 * checked against the manifest written when it was built: every file and
 * directory ours and writable by nobody else, the same set of files with the
 * same sizes, the configuration files byte for byte, no `recovery.signal` or
 * `standby.signal`. A copy that fails is rebuilt, with one notice saying why.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SchemaproofError } from '../errors/index.ts';
import type { PgBinaries } from './binaries.ts';
import { privateCacheRoot } from './cache-dir.ts';
import { registerCleanup } from './exit-cleanup.ts';
import { runTool, toolFailure } from './tool.ts';

export interface OsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export interface PristineOptions {
  readonly binaries: PgBinaries;
  /** The OS user the server runs as when we are root; initdb runs as it. */
  readonly serverUser: OsUser | null;
  /** A directory the server user can write to, for building (the run base dir). */
  readonly buildBaseDir: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly onNotice?: (message: string) => void;
}

export interface Pristine {
  /** The data directory to copy. */
  readonly dataDir: string;
  readonly fromCache: boolean;
}

const manifestFile = 'manifest.json';
/** Files the server reads as configuration: compared byte for byte. */
const configFiles = ['PG_VERSION', 'postgresql.conf', 'postgresql.auto.conf', 'pg_hba.conf', 'pg_ident.conf'] as const;
/** Files whose presence alone makes the server run recovery (and its `restore_command`). */
const recoveryFiles = ['recovery.signal', 'standby.signal', 'recovery.conf'] as const;

interface Manifest {
  readonly version: 1;
  /** Every file and directory under data/, relative path → size (-1 for directories). */
  readonly entries: Readonly<Record<string, number>>;
  readonly sha256: Readonly<Record<string, string>>;
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * Every file and directory under `dataDir` with its size, in one walk; with
 * `uid`, also why the tree is not private to it (see privateTreeProblem).
 */
function listTree(dataDir: string, uid?: number): { readonly entries: Record<string, number>; readonly problem: string | null } {
  const entries: Record<string, number> = {};
  let problem: string | null = null;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stats = lstatSync(path);
      if (uid !== undefined && problem === null) {
        if (stats.uid !== uid) problem = `${path} is owned by uid ${stats.uid}`;
        else if ((stats.mode & 0o022) !== 0) problem = `${path} is writable by group or others`;
        else if (!stats.isDirectory() && !stats.isFile()) problem = `${path} is neither a file nor a directory`;
      }
      entries[relative(dataDir, path)] = stats.isDirectory() ? -1 : stats.size;
      if (stats.isDirectory()) walk(path);
    }
  };
  walk(dataDir);
  return { entries, problem };
}

function buildManifest(dataDir: string): Manifest {
  return {
    version: 1,
    entries: listTree(dataDir).entries,
    sha256: Object.fromEntries(configFiles.filter((name) => existsSync(join(dataDir, name))).map((name) => [name, sha256(join(dataDir, name))])),
  };
}

/** Why the cache entry at `entry` must not be used, or null when it is exactly what we built. */
export function cachedEntryProblem(entry: string, uid: number = typeof process.geteuid === 'function' ? process.geteuid() : 0): string | null {
  const dataDir = join(entry, 'data');
  try {
    const stats = lstatSync(entry);
    if (!stats.isDirectory()) return 'not a directory';
    if (stats.uid !== uid) return `it is owned by uid ${stats.uid}`;
    if ((stats.mode & 0o077) !== 0) return `mode ${(stats.mode & 0o777).toString(8)}, not 700`;
    for (const name of recoveryFiles) if (existsSync(join(dataDir, name))) return `it contains ${name}`;
    for (const name of [manifestFile, 'data']) {
      const inner = lstatSync(join(entry, name));
      if (inner.uid !== uid || (inner.mode & 0o022) !== 0 || inner.isSymbolicLink()) return `${join(entry, name)} is not ours alone`;
    }
    let manifest: Manifest;
    try {
      manifest = JSON.parse(readFileSync(join(entry, manifestFile), 'utf8')) as Manifest;
    } catch {
      return 'its manifest is missing or unreadable';
    }
    if (manifest.version !== 1 || typeof manifest.entries !== 'object' || typeof manifest.sha256 !== 'object') return 'its manifest has an unknown shape';
    const tree = listTree(dataDir, uid);
    if (tree.problem) return tree.problem;
    const actual = tree.entries;
    for (const [path, size] of Object.entries(actual)) {
      if (!(path in manifest.entries)) return `${path} was not written by initdb`;
      if (manifest.entries[path] !== size) return `${path} changed size since initdb wrote it`;
    }
    for (const path of Object.keys(manifest.entries)) if (!(path in actual)) return `${path} is missing`;
    for (const name of configFiles) {
      const expected = manifest.sha256[name];
      if (expected === undefined) return `the manifest has no checksum for ${name}`;
      if (sha256(join(dataDir, name)) !== expected) return `${name} differs from what initdb wrote`;
    }
    return null;
  } catch (error) {
    return `it cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
}

function cacheKey(binaries: PgBinaries): string {
  return `initdb-${binaries.version.replace(/[^0-9A-Za-z.]+/g, '_')}`;
}

/** Run initdb as the server user in a private temp dir under `buildBaseDir`; returns that dir. */
async function runInitdb(options: PristineOptions, building: string): Promise<string> {
  const { serverUser } = options;
  if (serverUser) await chown(building, serverUser.uid, serverUser.gid, false);
  const dataDir = join(building, 'data');
  const result = await runTool(
    options.binaries.initdb,
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8', '--no-instructions'],
    serverUser ? { uid: serverUser.uid, gid: serverUser.gid } : {},
  );
  const failure = toolFailure(result, building, (line) => new SchemaproofError({ code: 'postgres_start_failed', detail: `initdb failed: ${line}`, logTail: result.stderr }));
  if (failure) throw failure;
  return dataDir;
}

async function chown(path: string, uid: number, gid: number, recursive: boolean): Promise<void> {
  const result = await runTool('chown', [...(recursive ? ['-R'] : []), `${uid}:${gid}`, path]);
  const failure = toolFailure(result, path, (line) => new SchemaproofError({ code: 'postgres_start_failed', detail: `chown failed: ${line}`, logTail: '' }));
  if (failure) throw failure;
}

/** `cp -a`, quietly: one error line (disk full, interrupted) instead of one per file. */
export async function copyTree(from: string, to: string): Promise<void> {
  const result = await runTool('cp', ['-a', from, to]);
  const failure = toolFailure(result, to, (line) => new SchemaproofError({ code: 'postgres_start_failed', detail: `copying the initdb output failed: ${line}`, logTail: '' }));
  if (failure) throw failure;
}

/**
 * The pristine data directory for this server version: the verified cached
 * copy, or a fresh initdb stored in the cache (atomically, by rename).
 */
export async function pristineDataDir(options: PristineOptions): Promise<Pristine> {
  const root = privateCacheRoot({ ...(options.env ? { env: options.env } : {}), ...(options.onNotice ? { onNotice: options.onNotice } : {}) });
  const entry = join(root, cacheKey(options.binaries));
  const uid = typeof process.geteuid === 'function' ? process.geteuid() : 0;
  const gid = typeof process.getegid === 'function' ? process.getegid() : 0;
  if (existsSync(entry)) {
    const problem = cachedEntryProblem(entry, uid);
    if (problem === null) return { dataDir: join(entry, 'data'), fromCache: true };
    options.onNotice?.(`initdb cache ${entry} rebuilt: ${problem}`);
    rmSync(entry, { recursive: true, force: true });
  }
  const building = mkdtempSync(join(options.buildBaseDir, 'schemaproof-initdb-'));
  const staging = mkdtempSync(join(root, 'building-'));
  const unregister = registerCleanup({
    sync: () => {
      rmSync(building, { recursive: true, force: true });
      rmSync(staging, { recursive: true, force: true });
    },
  });
  try {
    const built = await runInitdb(options, building);
    await copyTree(built, join(staging, 'data'));
    // cp -a keeps the server user's ownership; the cache is ours alone.
    if (options.serverUser) await chown(join(staging, 'data'), uid, gid, true);
    writeFileSync(join(staging, manifestFile), JSON.stringify(buildManifest(join(staging, 'data'))), { mode: 0o600 });
    try {
      renameSync(staging, entry);
    } catch {
      // A concurrent run stored its copy first: use it if it checks out, else replace it with ours.
      if (cachedEntryProblem(entry, uid) !== null) {
        rmSync(entry, { recursive: true, force: true });
        renameSync(staging, entry);
      }
    }
    return { dataDir: join(entry, 'data'), fromCache: false };
  } finally {
    unregister();
    rmSync(building, { recursive: true, force: true });
    rmSync(staging, { recursive: true, force: true });
  }
}
