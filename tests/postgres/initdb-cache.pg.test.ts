/**
 * The cached pristine initdb copy is started as a server: a copy someone else
 * planted or changed would run their `restore_command` as the server's OS
 * user. Another local user plays the attacker; their command would create a
 * marker file, which must never appear.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachedEntryProblem, findPgBinaries, startLocalCluster, type LocalCluster } from '../../src/postgres/index.ts';
import { SchemaproofError } from '../../src/errors/index.ts';
import { cannotCreateUser, createThrowawayUser, sharedTempDir, type ThrowawayUser } from '../helpers/os-user.ts';

const binaries = findPgBinaries();
const cacheKey = `initdb-${binaries.version.replace(/[^0-9A-Za-z.]+/g, '_')}`;
const scratch: string[] = [];

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

/** Start and stop a cluster; returns what it reported, or the error code it failed with. */
async function startAndStop(options: { baseDir: string; notices?: string[] }): Promise<{ cluster: LocalCluster | null; code: string | null }> {
  try {
    const cluster = await startLocalCluster({ binaries, baseDir: options.baseDir, onNotice: (line) => options.notices?.push(line) });
    // recovery (and its restore_command) would have run before the server reported ready
    await cluster.stop();
    return { cluster, code: null };
  } catch (error) {
    return { cluster: null, code: error instanceof SchemaproofError ? error.code : String(error) };
  }
}

/** A private cache warmed once: the source of realistic copies to plant and to tamper with. */
let warmCache: string;
let baseDir: string;

beforeAll(async () => {
  warmCache = mkdtempSync('/tmp/sp-initdb-cache-');
  // The run base dir must be reachable by the server's OS user (we may be root), like /dev/shm or /tmp.
  baseDir = mkdtempSync('/tmp/sp-initdb-base-');
  chmodSync(baseDir, 0o755);
  scratch.push(warmCache, baseDir);
  const warmed = await withEnv({ SCHEMAPROOF_CACHE_DIR: warmCache }, () => startAndStop({ baseDir }));
  expect(warmed.code).toBeNull();
});

function entryCopy(): string {
  const dir = mkdtempSync('/tmp/sp-initdb-entry-');
  scratch.push(dir);
  execFileSync('cp', ['-a', join(warmCache, cacheKey), join(dir, 'entry')]);
  return join(dir, 'entry');
}

describe('initdb cache verification', () => {
  it('accepts the copy exactly as built', () => {
    expect(cachedEntryProblem(entryCopy())).toBeNull();
  });

  const tampering: Record<string, (data: string) => void> = {
    'a recovery.signal': (data) => writeFileSync(join(data, 'recovery.signal'), ''),
    'a standby.signal': (data) => writeFileSync(join(data, 'standby.signal'), ''),
    'a restore_command in postgresql.auto.conf': (data) => appendFileSync(join(data, 'postgresql.auto.conf'), "restore_command = 'id'\n"),
    'postgresql.conf edited in place (same size)': (data) => {
      const file = join(data, 'postgresql.conf');
      const text = execFileSync('cat', [file], { encoding: 'utf8' });
      writeFileSync(file, text.replace('#', ' '));
    },
    'an extra file': (data) => writeFileSync(join(data, 'base', 'extra'), '', { mode: 0o600 }),
    'a missing file': (data) => unlinkSync(join(data, 'PG_VERSION')),
    'a group-writable file': (data) => chmodSync(join(data, 'pg_hba.conf'), 0o660),
    'a file owned by someone else': (data) => chownSync(join(data, 'pg_ident.conf'), 65534, 65534),
    'no manifest': (data) => unlinkSync(join(data, '..', 'manifest.json')),
  };
  for (const [what, tamper] of Object.entries(tampering)) {
    it(`refuses a copy with ${what}`, () => {
      const entry = entryCopy();
      tamper(join(entry, 'data'));
      expect(cachedEntryProblem(entry)).not.toBeNull();
    });
  }

  it('rebuilds a tampered cache with one notice, and the planted command never runs', async () => {
    const marker = join(baseDir, 'restore-command-ran');
    const data = join(warmCache, cacheKey, 'data');
    writeFileSync(join(data, 'recovery.signal'), '');
    appendFileSync(join(data, 'postgresql.auto.conf'), `restore_command = 'touch ${marker}; false'\n`);
    const notices: string[] = [];
    const result = await withEnv({ SCHEMAPROOF_CACHE_DIR: warmCache }, () => startAndStop({ baseDir, notices }));
    expect(result.code).toBeNull();
    expect(result.cluster?.timings.initFromCache).toBe(false);
    expect(notices).toHaveLength(1);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(data, 'recovery.signal'))).toBe(false);
    expect(cachedEntryProblem(join(warmCache, cacheKey))).toBeNull();
  });
});

if (cannotCreateUser) console.warn(`initdb cache ownership tests skipped: ${cannotCreateUser}`);

describe.skipIf(cannotCreateUser !== null)('initdb cache planted by another local user', () => {
  let other: ThrowawayUser;
  let shared: string;
  let marker: string;

  beforeAll(() => {
    other = createThrowawayUser();
    shared = sharedTempDir('sp-initdb-shared-');
    scratch.push(shared);
    marker = join(shared, 'restore-command-ran');
  });
  afterAll(() => other.remove());

  /** The other user's copy of a real initdb output, set up to run their command on recovery. */
  function plant(dataDir: string): void {
    execFileSync('cp', ['-a', join(warmCache, cacheKey, 'data'), dataDir]);
    execFileSync('chown', ['-R', `${other.uid}:${other.gid}`, dataDir]);
    other.sh(`touch ${dataDir}/recovery.signal && echo "restore_command = 'touch ${marker}; false'" >> ${dataDir}/postgresql.auto.conf`);
  }

  it('never uses a copy planted in the shared temp dir (the old cache location)', async () => {
    const serverUid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    other.sh(`mkdir -m 755 ${join(shared, `schemaproof-cache-${serverUid}`)}`);
    plant(join(shared, `schemaproof-cache-${serverUid}`, cacheKey));
    // Our own cache, already warm (a copy of the verified one), in a private place.
    const privateXdg = mkdtempSync('/tmp/sp-initdb-xdg-');
    scratch.push(privateXdg);
    execFileSync('cp', ['-a', warmCache, join(privateXdg, 'schemaproof')]);
    const result = await withEnv({ TMPDIR: shared, XDG_CACHE_HOME: privateXdg, SCHEMAPROOF_CACHE_DIR: undefined }, () => startAndStop({ baseDir }));
    expect(result.code).toBeNull();
    expect(existsSync(marker)).toBe(false);
  });

  it("refuses SCHEMAPROOF_CACHE_DIR pointing at the other user's cache, and runs nothing from it", async () => {
    const theirs = join(shared, 'their-cache');
    other.sh(`mkdir -m 700 ${theirs}`);
    plant(join(theirs, cacheKey));
    const result = await withEnv({ SCHEMAPROOF_CACHE_DIR: theirs }, () => startAndStop({ baseDir }));
    expect(result.code).toBe('cache_dir_unsafe');
    expect(existsSync(marker)).toBe(false);
    expect(readdirSync(baseDir).filter((name) => name.startsWith('schemaproof-'))).toEqual([]);
  });
});
