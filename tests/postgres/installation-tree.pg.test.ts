/**
 * The installation tree (a copy of the `postgres` binary plus our extension
 * files) is executed by the server's OS user. A tree someone else planted or
 * changed would run their code: the cached tree lives in the private cache,
 * is checked against its manifest, and only a verified copy in the run
 * directory is started. A planted binary would create a marker file, which
 * must never appear; a planted extension must never be offered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from '@databases/pg';
import { SchemaproofError } from '../../src/errors/index.ts';
import { findPgBinaries, installationDirName, installationProblem, localServer, startLocalCluster } from '../../src/postgres/index.ts';
import { cannotCreateUser, createThrowawayUser, sharedTempDir, type ThrowawayUser } from '../helpers/os-user.ts';

const binaries = findPgBinaries();
const scratch: string[] = [];
/** Where a planted binary, if it ever ran, would leave its mark (writable by the server's OS user). */
let marks: string;
let warmCache: string;
let baseDir: string;

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** Run with these environment variables set, restoring them afterwards. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  for (const [name, value] of Object.entries(vars))
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  try {
    return await fn();
  } finally {
    for (const [name, value] of Object.entries(saved))
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
  }
}

interface Run {
  readonly code: string | null;
  readonly notices: readonly string[];
  /** What the running server said: its share directory and the extensions it offers. */
  readonly sharedir: string | null;
  readonly extensions: readonly string[];
  readonly runDir: string | null;
}

/** Start a cluster, ask it where its share directory is and what it offers, stop it. */
async function startAndAsk(env: Record<string, string | undefined>): Promise<Run> {
  const notices: string[] = [];
  try {
    const cluster = await withEnv(env, () => startLocalCluster({ binaries, baseDir, onNotice: (line) => notices.push(line) }));
    const server = localServer(cluster, binaries);
    try {
      const share = await server.admin().query(sql`select setting from pg_config where name = 'SHAREDIR'`);
      const offered = await server.admin().query(sql`select name from pg_available_extensions order by name`);
      return { code: null, notices, sharedir: String(share[0]?.setting), extensions: offered.map((row) => String(row.name)), runDir: cluster.dir };
    } finally {
      await server.stop();
    }
  } catch (error) {
    return { code: error instanceof SchemaproofError ? error.code : String(error), notices, sharedir: null, extensions: [], runDir: null };
  }
}

/** The one installation entry of a cache. */
function entryIn(cache: string): string {
  const entries = readdirSync(cache).filter((name) => name.startsWith('install-'));
  expect(entries).toHaveLength(1);
  return join(cache, entries[0] as string);
}

function manifestOf(entry: string): { readonly binary: string } {
  return JSON.parse(readFileSync(join(entry, 'manifest.json'), 'utf8')) as { readonly binary: string };
}

/**
 * A shell script as long as `size` bytes that leaves `marker` and then runs
 * the real server (so a run that executed it would not even fail).
 */
function impostor(marker: string, size: number): string {
  const script = `#!/bin/sh\ntouch ${marker}\nexec ${binaries.postgres} "$@"\n#`;
  return script + '#'.repeat(size - Buffer.byteLength(script));
}

beforeAll(async () => {
  marks = sharedTempDir('sp-install-marks-');
  warmCache = mkdtempSync('/tmp/sp-install-cache-');
  // The run base dir must be reachable by the server's OS user (we may be root), like /dev/shm or /tmp.
  baseDir = mkdtempSync('/tmp/sp-install-base-');
  chmodSync(baseDir, 0o755);
  scratch.push(marks, warmCache, baseDir);
  const warmed = await startAndAsk({ SCHEMAPROOF_CACHE_DIR: warmCache });
  expect(warmed.code).toBeNull();
});

function entryCopy(): string {
  const dir = mkdtempSync('/tmp/sp-install-entry-');
  scratch.push(dir);
  execFileSync('cp', ['-a', entryIn(warmCache), join(dir, 'entry')]);
  return join(dir, 'entry');
}

describe('installation tree verification', () => {
  it('accepts the tree exactly as built', () => {
    expect(installationProblem(entryCopy())).toBeNull();
  });

  const tampering: Record<string, (tree: string, binary: string) => void> = {
    'the binary swapped for a script of the same size': (tree, binary) => {
      const path = join(tree, binary);
      writeFileSync(path, impostor(join(marks, 'never'), statSync(path).size));
    },
    'an extension script edited in place (same size)': (tree) => {
      const path = join(tree, 'share/postgresql/15/extension/supabase_test_helpers--0.0.0.sql');
      writeFileSync(path, readFileSync(path, 'utf8').replace('-', ' '));
    },
    'an extra executable beside the binary': (tree, binary) => writeFileSync(join(tree, binary, '..', 'initdb'), '#!/bin/sh\n', { mode: 0o755 }),
    'an extra extension planted in the share directory': (tree) => writeFileSync(join(tree, 'share/postgresql/15/extension/planted.control'), "default_version = '1'\n"),
    'a planted file whose name is an Object prototype key': (tree) => writeFileSync(join(tree, 'constructor'), ''),
    'a symlink pointing elsewhere': (tree) => {
      const link = join(tree, 'share/postgresql/15/extension/pgtap.control');
      unlinkSync(link);
      symlinkSync('/tmp/elsewhere.control', link);
    },
    'a symlink replaced by a file': (tree) => {
      const link = join(tree, 'share/postgresql/15/extension/pgtap.control');
      unlinkSync(link);
      writeFileSync(link, '');
    },
    'a missing file': (tree) => unlinkSync(join(tree, 'share/postgresql/15/extension/supabase_test_helpers.control')),
    'a group-writable directory': (tree, binary) => chmodSync(join(tree, binary, '..'), 0o775),
    'a file owned by someone else': (tree, binary) => chownSync(join(tree, binary), 65534, 65534),
    'no manifest': (tree) => unlinkSync(join(tree, '..', 'manifest.json')),
    'a manifest others can write': (tree) => chmodSync(join(tree, '..', 'manifest.json'), 0o666),
  };
  for (const [what, tamper] of Object.entries(tampering)) {
    it(`refuses a tree with ${what}`, () => {
      const entry = entryCopy();
      tamper(join(entry, 'tree'), manifestOf(entry).binary);
      expect(installationProblem(entry)).not.toBeNull();
    });
  }
});

describe('a tampered cached tree is rebuilt, never started', () => {
  it('a swapped binary: rebuilt with one notice, the impostor never runs, the server runs a verified copy in its run dir', async () => {
    const entry = entryIn(warmCache);
    const binary = join(entry, 'tree', manifestOf(entry).binary);
    const marker = join(marks, 'swapped-binary-ran');
    writeFileSync(binary, impostor(marker, statSync(binary).size));
    const run = await startAndAsk({ SCHEMAPROOF_CACHE_DIR: warmCache });
    expect(run.code).toBeNull();
    expect(existsSync(marker)).toBe(false);
    expect(run.notices).toHaveLength(1);
    expect(run.notices[0]).toContain(entry);
    expect(run.sharedir?.startsWith(join(run.runDir as string, installationDirName))).toBe(true);
    expect(run.extensions).toContain('supabase_test_helpers');
    expect(createHash('sha256').update(readFileSync(binary)).digest('hex')).toBe(createHash('sha256').update(readFileSync(binaries.postgres)).digest('hex'));
    expect(installationProblem(entry)).toBeNull();
  });

  it('a planted extension: rebuilt with one notice and not offered by the server', async () => {
    const entry = entryIn(warmCache);
    const extensionDir = join(entry, 'tree', 'share/postgresql/15/extension');
    writeFileSync(join(extensionDir, 'planted.control'), "default_version = '1'\nrelocatable = true\n");
    writeFileSync(join(extensionDir, 'planted--1.sql'), 'select 1;\n');
    const run = await startAndAsk({ SCHEMAPROOF_CACHE_DIR: warmCache });
    expect(run.code).toBeNull();
    expect(run.notices).toHaveLength(1);
    expect(run.extensions).not.toContain('planted');
    expect(existsSync(join(extensionDir, 'planted.control'))).toBe(false);
  });

  it('a clean cache: no notice, and nothing of the run is left in the base dir', async () => {
    const run = await startAndAsk({ SCHEMAPROOF_CACHE_DIR: warmCache });
    expect(run.code).toBeNull();
    expect(run.notices).toEqual([]);
    expect(readdirSync(baseDir).filter((name) => name.startsWith('schemaproof-'))).toEqual([]);
  });
});

if (cannotCreateUser) console.warn(`installation tree ownership tests skipped: ${cannotCreateUser}`);

describe.skipIf(cannotCreateUser !== null)('installation tree planted by another local user', () => {
  let other: ThrowawayUser;
  let shared: string;

  beforeAll(() => {
    other = createThrowawayUser();
    shared = sharedTempDir('sp-install-shared-');
    scratch.push(shared);
  });
  afterAll(() => other.remove());

  /**
   * Where the tree was trusted before it moved to the private cache:
   * `$TMPDIR/schemaproof-cache-<server uid>/install-<key>`, with the key
   * computed from the binary, pg_config's directories and our extension
   * files, and used whenever the binary there existed.
   */
  function formerTreeBinary(): string {
    const serverUid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const [bindir, sharedir, pkglibdir, localedir] = execFileSync(join(binaries.binDir, 'pg_config'), ['--bindir', '--sharedir', '--pkglibdir', '--localedir'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => line.trim());
    const stats = statSync(binaries.postgres);
    const helpers = readFileSync(new URL('../../src/postgres/extensions/supabase_test_helpers.sql', import.meta.url), 'utf8');
    const key = createHash('sha256')
      .update([binaries.version, stats.size, stats.mtimeMs, JSON.stringify({ bindir, sharedir, pkglibdir, localedir }), helpers, '0.0.6', 99].join('\n'))
      .digest('hex')
      .slice(0, 16);
    return join(shared, `schemaproof-cache-${serverUid}`, `install-${key}`, 'lib/postgresql/15/bin/postgres');
  }

  it('never starts a binary planted where the tree used to live', async () => {
    const planted = formerTreeBinary();
    const marker = join(marks, 'planted-binary-ran');
    other.sh(`mkdir -p -m 755 ${join(planted, '..')} && printf '#!/bin/sh\\ntouch ${marker}\\nexec ${binaries.postgres} "$@"\\n' > ${planted} && chmod 755 ${planted}`);
    // Our own cache, already warm, in a private place.
    const privateXdg = mkdtempSync('/tmp/sp-install-xdg-');
    scratch.push(privateXdg);
    execFileSync('cp', ['-a', warmCache, join(privateXdg, 'schemaproof')]);
    const run = await startAndAsk({ TMPDIR: shared, XDG_CACHE_HOME: privateXdg, SCHEMAPROOF_CACHE_DIR: undefined });
    expect(run.code).toBeNull();
    expect(existsSync(marker)).toBe(false);
    expect(run.sharedir?.startsWith(join(run.runDir as string, installationDirName))).toBe(true);
  });
});
