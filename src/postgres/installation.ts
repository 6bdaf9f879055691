/**
 * A private installation tree for throwaway clusters, so that every cluster
 * schemaproof starts offers the extensions it ships (supabase-test-helpers,
 * and stand-ins for the platform extensions a plain PostgreSQL 15 lacks:
 * `shippedExtensions`) without writing into the system's share directory.
 *
 * PostgreSQL finds its share directory (extension control and script files)
 * relative to the real path of the running `postgres` executable: it strips
 * the compiled bindir's tail after the prefix it shares with the compiled
 * sharedir (Debian: /usr/lib/postgresql/15/bin vs /usr/share/postgresql/15,
 * prefix /usr/) and appends the sharedir's tail. `$libdir` is found the same
 * way. So a copy of the binary at <tree>/lib/postgresql/15/bin/postgres reads
 * <tree>/share/postgresql/15, which mirrors the system one with symlinks plus
 * our extension files, and loads libraries from <tree>/lib/postgresql/15/lib,
 * a symlink to the system's. (A symlink to the binary would not do: the path
 * is resolved to the real file first.) Measured on PostgreSQL 15.18 (Debian).
 *
 * The tree is executed by the server's OS user, so it is kept like the
 * initdb cache (initdb-cache.ts): built once per server binary and per
 * version of our extension files under the private cache root
 * (`<root>/install-<key>/{tree,manifest.json}`), with a manifest of every
 * entry (directories; files with size and sha256; symlinks with their
 * target), checked before every use (ours, writable by nobody else, exactly
 * the manifest's entries) and rebuilt, with one notice, when it fails. Each
 * run then copies it into its own run directory (0700; as root the private
 * cache is not reachable by the `postgres` OS user), checking every file's
 * sha256 on the bytes it writes: the server only ever executes a verified
 * copy that nobody else can reach. A tree that cannot be built (no
 * pg_config) leaves the system binary in use.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative, sep } from 'node:path';
import type { PgBinaries } from './binaries.ts';
import { privateCacheRoot } from './cache-dir.ts';

const extensionsDir = fileURLToPath(new URL('./extensions/', import.meta.url));

/** Our implementation of supabase-test-helpers (see the file's header). */
export const testHelpersSource = join(extensionsDir, 'supabase_test_helpers.sql');

/** The extension names real suites create, and the versions offered (every 0.0.x up to 0.0.99). */
export const testHelpersNames = ['basejump-supabase_test_helpers', 'supabase_test_helpers'] as const;
export const testHelpersDefaultVersion = '0.0.6';
const lastPatch = 99;

/** Marks, in a control file's comment, an extension installable offline through the dbdev and pg_tle stubs. */
const databaseDevMark = '(schemaproof: database.dev package)';

/**
 * An extension this tree ships: a control file built from these fields and
 * one script. `every0x`: offered at every version 0.0.0 to 0.0.99 (a full
 * script at 0.0.0, empty update steps after it), as suites name versions.
 * Each file's header says what it mirrors and where it stops (docs/supabase.md,
 * fidelity table).
 */
interface ShippedExtension {
  readonly name: string;
  readonly script: string;
  readonly comment: string;
  readonly defaultVersion: string;
  readonly every0x?: boolean;
  /** A fixed schema (CREATE EXTENSION creates it), as the platform's control file has. */
  readonly schema?: string;
  readonly requires?: readonly string[];
}

export const shippedExtensions: readonly ShippedExtension[] = [
  ...testHelpersNames.map((name) => ({
    name,
    script: 'supabase_test_helpers.sql',
    comment: `supabase-test-helpers API ${databaseDevMark}: test users, authentication, RLS checks, frozen time`,
    defaultVersion: testHelpersDefaultVersion,
    every0x: true,
    requires: ['pgtap'],
  })),
  { name: 'supabase-dbdev', script: 'supabase-dbdev.sql', comment: `dbdev offline ${databaseDevMark}: installs only the packages this tree ships`, defaultVersion: '0.0.5', every0x: true },
  { name: 'pg_tle', script: 'pg_tle.sql', comment: '(schemaproof stub) pg_tle: accepts only the database.dev packages this tree ships', defaultVersion: '1.4.0', schema: 'pgtle' },
  { name: 'http', script: 'http.sql', comment: '(schemaproof stub) pgsql-http without network: requests fail, except database.dev lookups of shipped packages', defaultVersion: '1.6' },
  { name: 'pg_net', script: 'pg_net.sql', comment: '(schemaproof stub) pg_net: requests are queued in net.http_request_queue and never sent', defaultVersion: '0.14.0' },
  { name: 'pg_cron', script: 'pg_cron.sql', comment: '(schemaproof stub) pg_cron: jobs are recorded in cron.job and never run', defaultVersion: '1.6' },
  { name: 'pgsodium', script: 'pgsodium.sql', comment: '(schemaproof stub) pgsodium: the schema only, no functions', defaultVersion: '3.1.8', schema: 'pgsodium' },
  { name: 'pg_graphql', script: 'pg_graphql.sql', comment: '(schemaproof stub) pg_graphql: graphql.resolve() raises feature_not_supported', defaultVersion: '1.5.11', schema: 'graphql' },
  { name: 'supabase_vault', script: 'supabase_vault.sql', comment: '(schemaproof stub) Vault: secrets and decrypted_secrets, stored unencrypted', defaultVersion: '0.3.1', schema: 'vault' },
  { name: 'pgjwt', script: 'pgjwt.sql', comment: '(schemaproof) pgjwt: JSON Web Token API (HS256/384/512) over pgcrypto', defaultVersion: '0.2.0', requires: ['pgcrypto'] },
];

export interface Installation {
  /** The `postgres` binary to start. */
  readonly postgres: string;
  /** Whether our extensions are available to clusters started from it. */
  readonly extensions: boolean;
  /** Why not, when they are not. */
  readonly reason: string | null;
}

function pgConfig(binaries: PgBinaries): Record<'bindir' | 'sharedir' | 'pkglibdir' | 'localedir', string> | null {
  const candidate = join(binaries.binDir, 'pg_config');
  if (!existsSync(candidate)) return null;
  try {
    const [bindir, sharedir, pkglibdir, localedir] = execFileSync(candidate, ['--bindir', '--sharedir', '--pkglibdir', '--localedir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .trim()
      .split('\n')
      .map((line) => line.trim());
    if (!bindir || !sharedir || !pkglibdir || !localedir) return null;
    return { bindir, sharedir, pkglibdir, localedir };
  } catch {
    return null;
  }
}

/** The directory tails after the longest common directory prefix of `a` and `b`. */
function tails(a: string, b: string): { readonly a: string; readonly b: string } {
  const left = a.split(sep).filter(Boolean);
  const right = b.split(sep).filter(Boolean);
  let common = 0;
  while (common < left.length && common < right.length && left[common] === right[common]) common += 1;
  return { a: left.slice(common).join(sep), b: right.slice(common).join(sep) };
}

function controlFile(extension: ShippedExtension): string {
  const lines = [`comment = '${extension.comment.replace(/'/g, "''")}'`, `default_version = '${extension.defaultVersion}'`, 'relocatable = false', 'superuser = false'];
  if (extension.schema) lines.push(`schema = '${extension.schema}'`);
  if (extension.requires && extension.requires.length > 0) lines.push(`requires = '${extension.requires.join(', ')}'`);
  return `${lines.join('\n')}\n`;
}

function extensionFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const extension of shippedExtensions) {
    const script = readFileSync(join(extensionsDir, extension.script), 'utf8');
    files.set(`${extension.name}.control`, controlFile(extension));
    if (!extension.every0x) {
      files.set(`${extension.name}--${extension.defaultVersion}.sql`, script);
      continue;
    }
    files.set(`${extension.name}--0.0.0.sql`, script);
    for (let patch = 1; patch <= lastPatch; patch += 1) {
      files.set(`${extension.name}--0.0.${patch - 1}--0.0.${patch}.sql`, `-- ${extension.name} 0.0.${patch}: same API as 0.0.0\n`);
    }
  }
  return files;
}

/** Where PostgreSQL running from `execDir` looks for `dir` (compiled next to `bindir`): make_relative_path's rule. */
function relocated(execDir: string, bindir: string, dir: string): string {
  const tail = tails(bindir, dir);
  const base = tail.a === '' ? execDir : execDir.slice(0, execDir.length - tail.a.length);
  if (tail.a !== '' && !execDir.endsWith(tail.a)) throw new Error(`cannot place ${dir} relative to ${execDir}`);
  return join(base, tail.b);
}

function build(target: string, binaries: PgBinaries, paths: NonNullable<ReturnType<typeof pgConfig>>): void {
  const execDir = join(target, tails(paths.bindir, paths.sharedir).a);
  mkdirSync(execDir, { recursive: true });
  copyFileSync(binaries.postgres, join(execDir, 'postgres'));
  chmodSync(join(execDir, 'postgres'), 0o755);
  for (const real of [paths.pkglibdir, paths.localedir]) {
    const placed = relocated(execDir, paths.bindir, real);
    mkdirSync(join(placed, '..'), { recursive: true });
    if (!existsSync(placed)) symlinkSync(real, placed);
  }
  const sharedir = relocated(execDir, paths.bindir, paths.sharedir);
  mkdirSync(join(sharedir, 'extension'), { recursive: true });
  for (const entry of readdirSync(paths.sharedir)) {
    if (entry !== 'extension') symlinkSync(join(paths.sharedir, entry), join(sharedir, entry));
  }
  for (const entry of readdirSync(join(paths.sharedir, 'extension'))) {
    symlinkSync(join(paths.sharedir, 'extension', entry), join(sharedir, 'extension', entry));
  }
  // A real extension of the same name on this machine wins over our stand-in (and its files are never written through).
  const systemHas = (file: string): boolean => existsSync(join(paths.sharedir, 'extension', `${file.split(/--|\.control$/)[0]}.control`));
  for (const [name, text] of extensionFiles()) {
    if (!systemHas(name)) writeFileSync(join(sharedir, 'extension', name), text, { mode: 0o644 });
  }
}

type ManifestEntry =
  { readonly kind: 'dir' } | { readonly kind: 'file'; readonly size: number; readonly sha256: string; readonly executable: boolean } | { readonly kind: 'link'; readonly target: string };

interface Manifest {
  readonly version: 1;
  /** The `postgres` binary, relative to the tree. */
  readonly binary: string;
  /** Every entry of the tree by relative path. */
  readonly entries: Readonly<Record<string, ManifestEntry>>;
  /** The system directories mirrored with symlinks, with their mtime when mirrored: a package that adds an extension changes it. */
  readonly mirrored: Readonly<Record<string, number>>;
}

const manifestFile = 'manifest.json';
const treeDir = 'tree';
const groupOrWorldWritable = 0o022;

function ourUid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : 0;
}

/**
 * Read in chunks through one reused buffer: reading the 9 MB binary into a
 * fresh buffer (readFileSync) cost 87-200 ms per run under load here, chunks
 * of 256 KiB read, hash and write it in 10-80 ms.
 */
const copyChunkBytes = 256 * 1024;

/** The size and sha256 of `source`, written on the way to `target` (created, never overwritten) when given. */
function hashAndCopy(source: string, target: string | null, buffer: Buffer): { readonly size: number; readonly sha256: string } {
  const hash = createHash('sha256');
  let size = 0;
  const input = openSync(source, constants.O_RDONLY | constants.O_NOFOLLOW);
  let output: number | null = null;
  try {
    if (target) output = openSync(target, 'wx', 0o600);
    for (;;) {
      const read = readSync(input, buffer, 0, buffer.length, null);
      if (read === 0) break;
      hash.update(buffer.subarray(0, read));
      for (let written = 0; output !== null && written < read;) written += writeSync(output, buffer, written, read - written);
      size += read;
    }
  } finally {
    closeSync(input);
    if (output !== null) closeSync(output);
  }
  return { size, sha256: hash.digest('hex') };
}

function describeTree(tree: string, binary: string, mirrored: readonly string[]): Manifest {
  const entries: Record<string, ManifestEntry> = {};
  const buffer = Buffer.allocUnsafe(copyChunkBytes);
  const visit = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const path = relative(tree, full);
      const stats = lstatSync(full);
      if (stats.isDirectory()) {
        entries[path] = { kind: 'dir' };
        visit(full);
      } else if (stats.isSymbolicLink()) entries[path] = { kind: 'link', target: readlinkSync(full) };
      else entries[path] = { kind: 'file', ...hashAndCopy(full, null, buffer), executable: (stats.mode & 0o100) !== 0 };
    }
  };
  visit(tree);
  return { version: 1, binary, entries, mirrored: Object.fromEntries(mirrored.map((dir) => [dir, statSync(dir).mtimeMs])) };
}

/** The entry's manifest if the entry and the manifest are ours alone and it parses; else why not. */
function readManifest(entry: string, uid: number): Manifest | string {
  try {
    const stats = lstatSync(entry);
    if (!stats.isDirectory()) return 'not a directory';
    if (stats.uid !== uid) return `it is owned by uid ${stats.uid}`;
    if ((stats.mode & 0o077) !== 0) return `mode ${(stats.mode & 0o777).toString(8)}, not 700`;
    for (const name of [manifestFile, treeDir]) {
      const inner = lstatSync(join(entry, name));
      if (inner.uid !== uid || (inner.mode & groupOrWorldWritable) !== 0 || inner.isSymbolicLink()) return `${join(entry, name)} is not ours alone`;
    }
    const manifest = JSON.parse(readFileSync(join(entry, manifestFile), 'utf8')) as Manifest;
    if (
      manifest.version !== 1 ||
      typeof manifest.binary !== 'string' ||
      typeof manifest.entries !== 'object' ||
      manifest.entries === null ||
      typeof manifest.mirrored !== 'object' ||
      manifest.mirrored === null
    ) {
      return 'its manifest has an unknown shape';
    }
    if (manifest.entries[manifest.binary]?.kind !== 'file') return 'its manifest names no binary';
    return manifest;
  } catch (error) {
    return `its manifest cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
}

/** Entries of the manifest directly inside `dir` ('' for the tree itself). */
function childrenOf(manifest: Manifest, dir: string): string[] {
  const prefix = dir === '' ? '' : `${dir}${sep}`;
  return Object.keys(manifest.entries).filter((path) => path.startsWith(prefix) && !path.slice(prefix.length).includes(sep));
}

/**
 * Check the cached tree against its manifest and, given `dest`, copy it
 * there in the same pass: every directory holds exactly the manifest's
 * entries; every entry is owned by `uid` and writable by nobody else; files
 * have the recorded size and sha256 (checked on the bytes that are written),
 * symlinks the recorded target. Modes in the copy are set explicitly (the
 * server's OS user reads and executes it whatever our umask). Returns why
 * the tree must not be used, or null.
 */
function checkTree(tree: string, manifest: Manifest, uid: number, dest: string | null): string | null {
  if (dest) {
    mkdirSync(dest, { mode: 0o755 });
    chmodSync(dest, 0o755);
  }
  const buffer = Buffer.allocUnsafe(copyChunkBytes);
  const visit = (dir: string): string | null => {
    const expected = childrenOf(manifest, dir).sort();
    const actual = new Set(readdirSync(join(tree, dir)).map((name) => (dir === '' ? name : join(dir, name))));
    const extra = [...actual].find((path) => !Object.hasOwn(manifest.entries, path));
    if (extra !== undefined) return `${extra} was not put there by schemaproof`;
    const missing = expected.find((path) => !actual.has(path));
    if (missing !== undefined) return `${missing} is missing`;
    for (const path of expected) {
      const entry = manifest.entries[path] as ManifestEntry;
      const source = join(tree, path);
      const stats = lstatSync(source);
      if (stats.uid !== uid) return `${path} is owned by uid ${stats.uid}`;
      if (!stats.isSymbolicLink() && (stats.mode & groupOrWorldWritable) !== 0) return `${path} is writable by group or others`;
      const target = dest ? join(dest, path) : null;
      switch (entry.kind) {
        case 'dir': {
          if (!stats.isDirectory()) return `${path} is no longer a directory`;
          if (target) {
            mkdirSync(target);
            chmodSync(target, 0o755);
          }
          const problem = visit(path);
          if (problem) return problem;
          break;
        }
        case 'link':
          if (!stats.isSymbolicLink()) return `${path} is no longer a symbolic link`;
          if (readlinkSync(source) !== entry.target) return `${path} points elsewhere than when it was built`;
          if (target) symlinkSync(entry.target, target);
          break;
        case 'file': {
          if (!stats.isFile()) return `${path} is no longer a regular file`;
          if (stats.size !== entry.size) return `${path} changed size since it was built`;
          const copied = hashAndCopy(source, target, buffer);
          if (copied.size !== entry.size || copied.sha256 !== entry.sha256) return `${path} differs from what was built (sha256)`;
          if (target) chmodSync(target, entry.executable ? 0o755 : 0o644);
          break;
        }
        default:
          return `its manifest has an entry of an unknown kind (${path})`;
      }
    }
    return null;
  };
  return visit('');
}

/** checkTree into `dest`; a tree that cannot be read (a concurrent run replacing it) is a problem too, a full disk is thrown. */
function copyChecked(tree: string, manifest: Manifest, uid: number, dest: string): string | null {
  try {
    return checkTree(tree, manifest, uid, dest);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') throw error;
    return `it cannot be read or copied (${code ?? String(error)})`;
  }
}

/**
 * Why the cached installation tree at `entry` must not be used, or null when
 * it is exactly what was built: the entry and its manifest ours alone, the
 * tree exactly the manifest's entries (kind, owner, mode, size, sha256,
 * symlink target).
 */
export function installationProblem(entry: string, uid: number = ourUid()): string | null {
  const manifest = readManifest(entry, uid);
  if (typeof manifest === 'string') return manifest;
  try {
    return checkTree(join(entry, treeDir), manifest, uid, null);
  } catch (error) {
    return `it cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
}

export interface InstallationOptions {
  readonly binaries: PgBinaries;
  /** Environment for the cache location (see cache-dir.ts); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Told, in one line, when the cached tree was rebuilt and why. */
  readonly onNotice?: (message: string) => void;
}

/**
 * The cache entry's name: the server binary and pg_config as they are on
 * disk (a package upgrade changes both), and our extension files. pg_config
 * itself runs only to build.
 */
function cacheKey(binaries: PgBinaries, pgConfigPath: string): string {
  const binary = statSync(binaries.postgres);
  const config = statSync(pgConfigPath);
  return createHash('sha256')
    .update([binaries.version, binaries.postgres, binary.size, binary.mtimeMs, config.size, config.mtimeMs, ...[...extensionFiles()].map(([name, text]) => `${name}\n${text}`)].join('\n'))
    .digest('hex')
    .slice(0, 16);
}

/** Build the tree and its manifest in a staging dir under `root`, then move it to `entry` (atomically, by rename). */
function buildEntry(root: string, entry: string, binaries: PgBinaries): string | null {
  const paths = pgConfig(binaries);
  if (!paths) return `pg_config in ${binaries.binDir} did not answer`;
  const staging = mkdtempSync(join(root, 'building-install-'));
  try {
    const tree = join(staging, treeDir);
    build(tree, binaries, paths);
    const binary = join(tails(paths.bindir, paths.sharedir).a, 'postgres');
    const manifest = describeTree(tree, binary, [paths.sharedir, join(paths.sharedir, 'extension')]);
    writeFileSync(join(staging, manifestFile), JSON.stringify(manifest), { mode: 0o600 });
    try {
      renameSync(staging, entry);
    } catch {
      // A concurrent run stored its tree first: use it if it checks out, else replace it with ours.
      if (installationProblem(entry) !== null) {
        rmSync(entry, { recursive: true, force: true });
        renameSync(staging, entry);
      }
    }
    return null;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Why a verified tree no longer matches the system (a package added or removed an extension), or null. */
function staleness(manifest: Manifest): string | null {
  for (const [dir, mtimeMs] of Object.entries(manifest.mirrored)) {
    try {
      if (statSync(dir).mtimeMs !== mtimeMs) return `${dir} changed since it was mirrored`;
    } catch {
      return `${dir} is gone`;
    }
  }
  return null;
}

/** Where the copy goes inside a run directory. */
export const installationDirName = 'install';

/**
 * A verified copy of the installation tree in `runDir` (from the private
 * cache, built or rebuilt there as needed), or the system binary with the
 * reason when the tree cannot be built. A full disk is thrown, not hidden.
 */
export function prepareInstallation(runDir: string, options: InstallationOptions): Installation {
  const { binaries } = options;
  const system = (reason: string): Installation => ({ postgres: binaries.postgres, extensions: false, reason });
  const pgConfigPath = join(binaries.binDir, 'pg_config');
  if (!existsSync(pgConfigPath)) return system(`no pg_config in ${binaries.binDir}`);
  const root = privateCacheRoot({ ...(options.env ? { env: options.env } : {}), ...(options.onNotice ? { onNotice: options.onNotice } : {}) });
  const uid = ourUid();
  const entry = join(root, `install-${cacheKey(binaries, pgConfigPath)}`);
  const dest = join(runDir, installationDirName);
  let rebuilt = false;
  for (;;) {
    if (existsSync(entry)) {
      const manifest = readManifest(entry, uid);
      const problem = typeof manifest === 'string' ? manifest : (staleness(manifest) ?? copyChecked(join(entry, treeDir), manifest, uid, dest));
      if (problem === null && typeof manifest !== 'string') return { postgres: join(dest, manifest.binary), extensions: true, reason: null };
      rmSync(dest, { recursive: true, force: true });
      if (rebuilt) {
        options.onNotice?.(`installation tree ${entry} failed its check right after it was built (${problem}); the server runs without schemaproof's extensions`);
        return system(`installation tree unusable right after building it: ${problem}`);
      }
      options.onNotice?.(`installation tree ${entry} rebuilt: ${problem}`);
      rmSync(entry, { recursive: true, force: true });
    }
    try {
      const failure = buildEntry(root, entry, binaries);
      if (failure) return system(failure);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') throw error;
      return system(`installation tree not built: ${(error as Error).message}`);
    }
    rebuilt = true;
  }
}
