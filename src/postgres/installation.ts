/**
 * A private installation tree for throwaway clusters, so that every cluster
 * schemaproof starts offers the extensions it ships (supabase-test-helpers)
 * without writing into the system's share directory.
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

/** Our implementation of supabase-test-helpers (see the file's header). */
export const testHelpersSource = fileURLToPath(new URL('./extensions/supabase_test_helpers.sql', import.meta.url));

/** The extension names real suites create, and the versions offered (every 0.0.x up to 0.0.99). */
export const testHelpersNames = ['basejump-supabase_test_helpers', 'supabase_test_helpers'] as const;
export const testHelpersDefaultVersion = '0.0.6';
const lastPatch = 99;

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

function extensionFiles(): Map<string, string> {
  const script = readFileSync(testHelpersSource, 'utf8');
  const files = new Map<string, string>();
  for (const name of testHelpersNames) {
    files.set(
      `${name}.control`,
      [
        "comment = 'supabase-test-helpers API (schemaproof implementation): test users, authentication, RLS checks, frozen time'",
        `default_version = '${testHelpersDefaultVersion}'`,
        'relocatable = false',
        "requires = 'pgtap'",
        'superuser = false',
        '',
      ].join('\n'),
    );
    // One full script at 0.0.0 and empty update steps up to every later 0.0.x.
    files.set(`${name}--0.0.0.sql`, script);
    for (let patch = 1; patch <= lastPatch; patch += 1) {
      files.set(`${name}--0.0.${patch - 1}--0.0.${patch}.sql`, `-- ${name} 0.0.${patch}: same API as 0.0.0\n`);
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
  for (const [name, text] of extensionFiles()) writeFileSync(join(sharedir, 'extension', name), text, { mode: 0o644 });
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
    .update([binaries.version, binary.size, binary.mtimeMs, JSON.stringify(paths), readFileSync(testHelpersSource, 'utf8'), testHelpersDefaultVersion, lastPatch].join('\n'))
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
