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
 * Built once per server binary and per version of our extension files, in
 * the harness's cache; any failure leaves the system binary in use.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, sep } from 'node:path';
import type { PgBinaries } from './binaries.ts';

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

interface Owner {
  readonly uid: number;
  readonly gid: number;
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
  const lines = [
    `comment = '${extension.comment.replace(/'/g, "''")}'`,
    `default_version = '${extension.defaultVersion}'`,
    'relocatable = false',
    'superuser = false',
  ];
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

function chownTree(path: string, owner: Owner | null): void {
  if (owner) execFileSync('chown', ['-R', '-h', `${owner.uid}:${owner.gid}`, path]);
}

/** Where PostgreSQL running from `execDir` looks for `dir` (compiled next to `bindir`): make_relative_path's rule. */
function relocated(execDir: string, bindir: string, dir: string): string {
  const tail = tails(bindir, dir);
  const base = tail.a === '' ? execDir : execDir.slice(0, execDir.length - tail.a.length);
  if (tail.a !== '' && !execDir.endsWith(tail.a)) throw new Error(`cannot place ${dir} relative to ${execDir}`);
  return join(base, tail.b);
}

function build(target: string, binaries: PgBinaries, paths: NonNullable<ReturnType<typeof pgConfig>>, owner: Owner | null): void {
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
  chownTree(target, owner);
}

/**
 * The installation tree under `cacheRoot` for `binaries` (built when
 * missing), or the system binary with the reason when it cannot be built.
 */
export function prepareInstallation(binaries: PgBinaries, cacheRoot: string, owner: Owner | null): Installation {
  const paths = pgConfig(binaries);
  if (!paths) return { postgres: binaries.postgres, extensions: false, reason: `no pg_config in ${binaries.binDir}` };
  const binary = statSync(binaries.postgres);
  const key = createHash('sha256')
    .update([binaries.version, binary.size, binary.mtimeMs, JSON.stringify(paths), ...[...extensionFiles()].map(([name, text]) => `${name}\n${text}`)].join('\n'))
    .digest('hex')
    .slice(0, 16);
  const target = join(cacheRoot, `install-${key}`);
  const postgres = join(target, tails(paths.bindir, paths.sharedir).a, 'postgres');
  if (existsSync(postgres)) return { postgres, extensions: true, reason: null };
  let building: string | null = null;
  try {
    mkdirSync(cacheRoot, { recursive: true });
    building = mkdtempSync(join(cacheRoot, 'building-install-'));
    build(building, binaries, paths, owner);
    try {
      renameSync(building, target);
      building = null;
    } catch {
      // a concurrent run won the race; its tree is as good as ours
    }
    return { postgres, extensions: true, reason: null };
  } catch (error) {
    return { postgres: binaries.postgres, extensions: false, reason: `installation tree not built: ${(error as Error).message}` };
  } finally {
    if (building) rmSync(building, { recursive: true, force: true });
  }
}
