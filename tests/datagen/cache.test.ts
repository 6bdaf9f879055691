/**
 * The generated-data cache without Postgres: every input that shapes the
 * data changes the key, eviction removes the least recently used entries,
 * and nothing is trusted that another user could have written.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveSettings, type Scale } from '../../src/config/index.ts';
import { cacheInputs, cacheKey, engineVersion, loadRecipe, privateDirProblem, treeProblem, type CacheInputs } from '../../src/datagen/index.ts';
import { evict, expectedBytesFor, listEntries, lookupEntry, storeEntry } from '../../src/datagen/cache.ts';
import type { PgBinaries } from '../../src/postgres/index.ts';

const shop = resolve(import.meta.dirname, '../fixtures/projects/shop-bench');
const binaries: PgBinaries = { binDir: '/nowhere', version: '15.18 (Debian 15.18-0+deb12u1)' } as PgBinaries;
const anchor = new Date('2026-03-10T00:00:00Z');

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

function privateTemp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o700);
  temporary.push(dir);
  return dir;
}

/** A copy of the shop fixture (with two FEC-like files) to change inputs in. */
function projectCopy(): { root: string; fecDir: string } {
  const root = privateTemp('sp-cache-project-');
  cpSync(shop, root, { recursive: true });
  const fecDir = join(root, 'fec');
  mkdirSync(fecDir);
  writeFileSync(join(fecDir, 'cn20.txt'), 'H0XX00001|CANDIDATE\n');
  writeFileSync(join(fecDir, 'cm20.txt'), 'C00000001|COMMITTEE\n');
  return { root, fecDir };
}

function inputsOf(root: string, fecDir: string | null, change: { scale?: Scale; seed?: number; anchor?: Date; binaries?: PgBinaries; settings?: Record<string, string> } = {}): CacheInputs {
  const settings = resolveSettings({ dataRecipe: 'recipe.json', postgres: { settings: change.settings ?? {} } }, root, null);
  return cacheInputs(settings, loadRecipe(settings.dataRecipe), fecDir, change.scale ?? 'small', change.seed ?? 1, change.anchor ?? anchor, change.binaries ?? binaries);
}

/**
 * Each input that shapes the data, changed on its own: the key changes, so
 * the entry stored under the old key is not found (the next run regenerates),
 * while the unchanged inputs still find it.
 */
const changes: readonly [string, (project: { root: string; fecDir: string }) => CacheInputs][] = [
  [
    'an edited migration',
    ({ root, fecDir }) => {
      appendFileSync(join(root, 'sql/00001-shop.sql'), '\n-- an edited migration\n');
      return inputsOf(root, fecDir);
    },
  ],
  [
    'an added migration',
    ({ root, fecDir }) => {
      writeFileSync(join(root, 'sql/00002-more.sql'), 'create table shop.more (id int primary key);\n');
      return inputsOf(root, fecDir);
    },
  ],
  [
    'an edited policy',
    ({ root, fecDir }) => {
      appendFileSync(join(root, 'policies/shop.sql'), '\n-- an edited policy\n');
      return inputsOf(root, fecDir);
    },
  ],
  [
    'the recipe',
    ({ root, fecDir }) => {
      appendFileSync(join(root, 'recipe.json'), '\n');
      return inputsOf(root, fecDir);
    },
  ],
  [
    'a FEC file',
    ({ root, fecDir }) => {
      appendFileSync(join(fecDir, 'cm20.txt'), 'C00000002|ANOTHER\n');
      return inputsOf(root, fecDir);
    },
  ],
  ['no FEC files', ({ root }) => inputsOf(root, null)],
  ['the scale', ({ root, fecDir }) => inputsOf(root, fecDir, { scale: 'medium' })],
  ['the seed', ({ root, fecDir }) => inputsOf(root, fecDir, { seed: 2 })],
  ['the anchor day', ({ root, fecDir }) => inputsOf(root, fecDir, { anchor: new Date('2026-03-11T00:00:00Z') })],
  ['the server version', ({ root, fecDir }) => inputsOf(root, fecDir, { binaries: { ...binaries, version: '15.19' } })],
  ['a server setting', ({ root, fecDir }) => inputsOf(root, fecDir, { settings: { default_statistics_target: '500' } })],
];

describe('cache key', () => {
  it('is stable for the same inputs', () => {
    const { root, fecDir } = projectCopy();
    expect(cacheKey(inputsOf(root, fecDir))).toBe(cacheKey(inputsOf(root, fecDir)));
  });

  for (const [input, change] of changes) {
    it(`${input} invalidates the stored entry`, async () => {
      const project = projectCopy();
      const before = inputsOf(project.root, project.fecDir);
      const cacheDir = join(privateTemp('sp-cache-'), 'bench-data');
      await storeEntry({ cacheDir, key: cacheKey(before), inputs: before, dataDir: fakeDataDir(), walSegment: '000000010000000000000003', maxBytes: 10 * 1048576, payload: {} });
      const after = change(project);
      expect(cacheKey(after)).not.toBe(cacheKey(before));
      expect(lookupEntry(cacheDir, cacheKey(after)).kind).toBe('miss');
      expect(lookupEntry(cacheDir, cacheKey(before)).kind).toBe('hit');
    });
  }

  it('does not depend on the order of keys', () => {
    const inputs = inputsOf(...(Object.values(projectCopy()) as [string, string]));
    const reversed = Object.fromEntries(Object.entries(inputs).reverse()) as unknown as CacheInputs;
    expect(cacheKey(reversed)).toBe(cacheKey(inputs));
  });

  it('the engine version follows the harness code that shapes data', () => {
    const src = privateTemp('sp-cache-src-');
    for (const folder of ['datagen', 'fec', 'migrate']) cpSync(resolve(import.meta.dirname, '../../src', folder), join(src, folder), { recursive: true });
    mkdirSync(join(src, 'postgres'));
    cpSync(resolve(import.meta.dirname, '../../src/postgres/supabase-shim.sql'), join(src, 'postgres/supabase-shim.sql'));
    const before = engineVersion(src);
    expect(engineVersion(src)).toBe(before);
    appendFileSync(join(src, 'datagen/compile.ts'), '\n// changed\n');
    const afterEngine = engineVersion(src);
    appendFileSync(join(src, 'postgres/supabase-shim.sql'), '\n-- changed\n');
    const afterShim = engineVersion(src);
    expect(new Set([before, afterEngine, afterShim]).size).toBe(3);
  });
});

/** A fake stopped data directory: some files and three WAL segments. */
function fakeDataDir(relationBytes = 64 * 1024): string {
  const dir = privateTemp('sp-cache-data-');
  mkdirSync(join(dir, 'base/1'), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'base/1/1259'), Buffer.alloc(relationBytes), { mode: 0o600 });
  writeFileSync(join(dir, 'PG_VERSION'), '15\n', { mode: 0o600 });
  mkdirSync(join(dir, 'pg_wal/archive_status'), { recursive: true, mode: 0o700 });
  for (const segment of ['000000010000000000000003', '000000010000000000000004', '000000010000000000000005']) writeFileSync(join(dir, 'pg_wal', segment), Buffer.alloc(16 * 1024), { mode: 0o600 });
  return dir;
}

describe('cache entries', () => {
  const inputs = inputsOf(...(Object.values(projectCopy()) as [string, string]));

  it('stores a data directory with only the checkpoint WAL segment, privately, and finds it again', async () => {
    const cacheDir = join(privateTemp('sp-cache-'), 'bench-data');
    const stored = await storeEntry({ cacheDir, key: 'k1', inputs, dataDir: fakeDataDir(), walSegment: '000000010000000000000004', maxBytes: 10 * 1048576, payload: { database: 'db' } });
    expect(stored.note).toBeNull();
    expect(readdirSync(join(stored.entry?.dataDir ?? '', 'pg_wal')).sort()).toEqual(['000000010000000000000004', 'archive_status']);
    expect(stored.entry?.manifest.bytes).toBe(64 * 1024 + 3 + 16 * 1024);
    expect(privateDirProblem(cacheDir)).toBeNull();
    const found = lookupEntry<{ database: string }>(cacheDir, 'k1');
    expect(found.kind === 'hit' && found.entry.manifest.payload).toEqual({ database: 'db' });
    expect(lookupEntry(cacheDir, 'k2').kind).toBe('miss');
  });

  it('a generation run is sized like the largest earlier entry of its scale, whatever its key', async () => {
    const cacheDir = join(privateTemp('sp-cache-'), 'bench-data');
    expect(expectedBytesFor(cacheDir, 'large')).toBe(0);
    await storeEntry({ cacheDir, key: 'medium-1', inputs: { ...inputs, scale: 'medium' }, dataDir: fakeDataDir(), walSegment: '000000010000000000000003', maxBytes: 10 * 1048576, payload: {} });
    const large = fakeDataDir();
    writeFileSync(join(large, 'base/1/16384'), Buffer.alloc(200 * 1024), { mode: 0o600 });
    const stored = await storeEntry({
      cacheDir,
      key: 'large-old-key',
      inputs: { ...inputs, scale: 'large' },
      dataDir: large,
      walSegment: '000000010000000000000003',
      maxBytes: 10 * 1048576,
      payload: {},
    });
    expect(expectedBytesFor(cacheDir, 'large')).toBe(stored.entry?.manifest.bytes);
    expect(expectedBytesFor(cacheDir, 'medium')).toBe(64 * 1024 + 3 + 16 * 1024);
    expect(expectedBytesFor(cacheDir, 'small')).toBe(0);
  });

  it('keeps nothing larger than the limit', async () => {
    const cacheDir = join(privateTemp('sp-cache-'), 'bench-data');
    const stored = await storeEntry({ cacheDir, key: 'big', inputs, dataDir: fakeDataDir(), walSegment: '000000010000000000000003', maxBytes: 1024, payload: {} });
    expect(stored.entry).toBeNull();
    expect(stored.note).toMatch(/exceeds bench\.dataCache\.maxMiB/);
    expect(listEntries(cacheDir)).toEqual([]);
  });

  it('evicts the least recently used entries to make room', async () => {
    const cacheDir = join(privateTemp('sp-cache-'), 'bench-data');
    const data = fakeDataDir();
    for (const key of ['old', 'middle', 'new']) await storeEntry({ cacheDir, key, inputs, dataDir: data, walSegment: '000000010000000000000003', maxBytes: 10 * 1048576, payload: {} });
    const now = Date.now() / 1000;
    utimesSync(join(cacheDir, 'old/entry.json'), now - 300, now - 300);
    utimesSync(join(cacheDir, 'middle/entry.json'), now - 200, now - 200);
    utimesSync(join(cacheDir, 'new/entry.json'), now - 100, now - 100);
    lookupEntry(cacheDir, 'old'); // used just now: no longer the oldest
    const size = listEntries(cacheDir)[0]?.bytes ?? 0;
    const removed = evict(cacheDir, 3 * size, size);
    expect(removed.map((dir) => dir.split('/').pop())).toEqual(['middle']);
    expect(listEntries(cacheDir).map((entry) => entry.dir.split('/').pop())).toEqual(['old', 'new']);
  });

  it('the bound comes from the config; storing past it evicts the oldest entry', async () => {
    expect(resolveSettings({}, process.cwd(), null).bench.dataCache).toEqual({ enabled: true, maxMiB: 16_384 });
    expect(() => resolveSettings({ bench: { dataCache: { maxMiB: 0 } } }, process.cwd(), null)).toThrow(expect.objectContaining({ code: 'config_invalid' }));
    const cacheDir = join(privateTemp('sp-cache-'), 'bench-data');
    const data = fakeDataDir(400 * 1024); // two entries fit in 1 MiB, three do not
    const first = await storeEntry({ cacheDir, key: 'first', inputs, dataDir: data, walSegment: '000000010000000000000003', maxBytes: 10 * 1048576, payload: {} });
    const size = first.entry?.manifest.bytes ?? 0;
    const maxBytes = resolveSettings({ bench: { dataCache: { maxMiB: 1 } } }, process.cwd(), null).bench.dataCache.maxMiB * 1048576;
    expect(maxBytes).toBeGreaterThanOrEqual(2 * size);
    expect(maxBytes).toBeLessThan(3 * size);
    const now = Date.now() / 1000;
    await storeEntry({ cacheDir, key: 'second', inputs, dataDir: data, walSegment: '000000010000000000000003', maxBytes, payload: {} });
    utimesSync(join(cacheDir, 'first/entry.json'), now - 200, now - 200);
    utimesSync(join(cacheDir, 'second/entry.json'), now - 100, now - 100);
    const third = await storeEntry({ cacheDir, key: 'third', inputs, dataDir: data, walSegment: '000000010000000000000003', maxBytes, payload: {} });
    expect(third.evicted.map((dir) => dir.split('/').pop())).toEqual(['first']);
    expect(
      listEntries(cacheDir)
        .map((entry) => entry.dir.split('/').pop())
        .sort(),
    ).toEqual(['second', 'third']);
  });

  it('does not trust an entry another user could have written', async () => {
    const cacheDir = join(privateTemp('sp-cache-'), 'bench-data');
    const data = fakeDataDir();
    for (const key of ['writable', 'linked', 'foreign']) await storeEntry({ cacheDir, key, inputs, dataDir: data, walSegment: '000000010000000000000003', maxBytes: 10 * 1048576, payload: {} });
    chmodSync(join(cacheDir, 'writable/data/PG_VERSION'), 0o666);
    symlinkSync('/etc/passwd', join(cacheDir, 'linked/data/base/1/2619'));
    const writable = lookupEntry(cacheDir, 'writable');
    expect(writable.kind === 'untrusted' && writable.problem).toMatch(/PG_VERSION is writable by other users/);
    const linked = lookupEntry(cacheDir, 'linked');
    expect(linked.kind === 'untrusted' && linked.problem).toMatch(/2619 is a symbolic link/);
    const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
    expect(treeProblem(join(cacheDir, 'foreign'), uid + 1)).toMatch(/is owned by uid \d+, not \d+/);
    expect(lookupEntry(cacheDir, 'foreign').kind).toBe('hit');
  });

  it('refuses a cache folder others can enter', () => {
    const dir = privateTemp('sp-cache-');
    chmodSync(dir, 0o755);
    expect(privateDirProblem(dir)).toMatch(/accessible to other users \(mode 755\)/);
    const link = join(privateTemp('sp-cache-'), 'link');
    symlinkSync(dir, link);
    expect(privateDirProblem(link)).toMatch(/is a symbolic link/);
  });
});
