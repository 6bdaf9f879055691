/**
 * A project the harness has never seen (tests/fixtures/projects/shop-bench:
 * its own schema, recipe, catalogue and pgTAP file) benches and verifies
 * through the public entry points with nothing but its config: the bench
 * generates its data from the recipe on a cluster of its own and stores it,
 * verify then starts from the stored entry, and every plan uses the index
 * its catalogue names. Without a recipe the same project still benches, on
 * the rows its migrations leave, and the report says where the data came
 * from. FEC files are loaded only when a project's config names them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSettings, resolveSettings, type Settings } from '../../src/config/index.ts';
import { listEntries } from '../../src/datagen/cache.ts';
import { defaultFecDir, runBench, type BenchReport } from '../../src/plans/index.ts';
import { verify, type VerifyResult } from '../../src/verify/index.ts';

const fixture = resolve(import.meta.dirname, '../fixtures/projects/shop-bench');
const repoRoot = resolve(import.meta.dirname, '../..');

describe('the shop-bench fixture benches and verifies with no harness change', () => {
  let cacheRoot: string;
  let reports: string;
  let settings: Settings;
  let bench: BenchReport;
  let verified: VerifyResult;
  let entries: () => ReturnType<typeof listEntries>;
  const longAgo = new Date('2020-01-01T00:00:00Z');
  const saved = { cache: process.env.SCHEMAPROOF_CACHE_DIR, xdg: process.env.XDG_CACHE_HOME, url: process.env.DATABASE_URL };

  beforeAll(async () => {
    // A private cache of this file's own: the entry the bench stores is the one verify must find.
    // (XDG_CACHE_HOME, not SCHEMAPROOF_CACHE_DIR: the cluster's initdb cache would share and chown that folder.)
    const xdg = mkdtempSync(join(tmpdir(), 'sp-shop-bench-cache-'));
    chmodSync(xdg, 0o700);
    cacheRoot = join(xdg, 'schemaproof');
    delete process.env.SCHEMAPROOF_CACHE_DIR;
    process.env.XDG_CACHE_HOME = xdg;
    delete process.env.DATABASE_URL;
    reports = mkdtempSync(join(tmpdir(), 'sp-shop-bench-reports-'));
    const loaded = await loadSettings({ configPath: join(fixture, 'schemaproof.config.json') });
    settings = { ...loaded, reportsDir: reports };
    entries = () => listEntries(join(cacheRoot, 'bench-data'));
    bench = await runBench({ settings, runs: 5 });
    // An entry is marked used on every hit: age it, and verify's hit shows.
    for (const entry of entries()) utimesSync(join(entry.dir, 'entry.json'), longAgo, longAgo);
    // The RLS gates need an access spec, which this fixture does not have: they are the rls engine's to test.
    verified = await verify({ settings, skip: ['rls', 'mutation'], write: false });
  }, 600_000);

  afterAll(() => {
    for (const [name, value] of [
      ['SCHEMAPROOF_CACHE_DIR', saved.cache],
      ['XDG_CACHE_HOME', saved.xdg],
      ['DATABASE_URL', saved.url],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    for (const dir of [cacheRoot && join(cacheRoot, '..'), reports]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('bench: the recipe generates the data, every query uses the index its catalogue names', () => {
    expect(bench.generation?.source).toBe('generated');
    expect(bench.generation?.recipe).toBe(join(fixture, 'recipe.json'));
    expect(bench.generation?.counts).toMatchObject({ 'shop.customers': 400, 'shop.orders': 3000, 'shop.reviews': 1200, 'shop.settings': 2 });
    expect(bench.fecLoad).toBeNull();
    expect(bench.uuidComparison).toBeNull();
    expect(bench.queries.map((query) => [query.id, query.planNodes.indexes, query.failures])).toEqual([
      ['s1', ['orders_customer_id_placed_at_idx'], []],
      ['s2', ['order_items_pkey'], []],
      ['s3', ['reviews_order_id_idx'], []],
    ]);
    expect(bench.passed).toBe(true);
  });

  it('bench stored its data in the private cache folder; verify started from that entry', () => {
    expect(bench.generation?.cache?.dir?.startsWith(join(cacheRoot, 'bench-data'))).toBe(true);
    const [entry, ...others] = entries();
    expect(others).toEqual([]);
    expect(entry?.dir).toBe(bench.generation?.cache?.dir);
    expect(entry?.usedAt).toBeGreaterThan(longAgo.getTime());
    expect(verified.report.plans?.queries.map((query) => query.id)).toEqual(['s1', 's2', 's3']);
  });

  it("verify passes every gate it ran, with the fixture's own pgTAP file", () => {
    const status = Object.fromEntries(verified.report.gates.map((gate) => [gate.id, gate.status]));
    expect(status).toMatchObject({ migrations: 'pass', pgtap: 'pass', plans: 'pass', rls: 'skipped', mutation: 'skipped' });
    expect(verified.report.gates.flatMap((gate) => gate.failures)).toEqual([]);
    expect(verified.report.pgtap?.files.map((file) => file.file)).toEqual(['pgtap/shop_counters.sql']);
    expect(verified.exitCode).toBe(0);
  });

  it('without a recipe it still benches, on the rows its migrations leave, and says so', async () => {
    const project = mkdtempSync(join(tmpdir(), 'sp-shop-no-recipe-'));
    try {
      for (const entry of ['sql', 'policies', 'catalogue.json']) cpSync(join(fixture, entry), join(project, entry), { recursive: true });
      writeFileSync(
        join(project, 'sql/00002-seed.sql'),
        [
          "insert into shop.customers (id, email, tier, signed_up_at) values ('aaaaaaaa-0000-4000-8000-000000000001', 'a@shop.test', 'pro', now());",
          "insert into shop.orders (id, customer_id, placed_at, total, status) values (1, 'aaaaaaaa-0000-4000-8000-000000000001', now(), 10, 'paid');",
          "insert into shop.order_items (order_id, line, sku, quantity) values (1, 1, 'SKU-1', 1);",
          'insert into shop.reviews (order_id, stars, written_at) values (1, 4, now());',
          '',
        ].join('\n'),
      );
      const bare = resolveSettings({ queryCatalogue: 'catalogue.json' }, project, null);
      expect(existsSync(bare.dataRecipe)).toBe(false);
      const report = await runBench({ settings: bare, runs: 2 });
      expect(report.generation?.source).toBe('none');
      expect(report.generation?.counts).toMatchObject({ 'shop.customers': 1, 'shop.orders': 1, 'shop.order_items': 1, 'shop.reviews': 1 });
      expect(report.queries.map((query) => [query.id, query.params])).toEqual([
        ['s1', { customer: 'aaaaaaaa-0000-4000-8000-000000000001' }],
        ['s2', { order_id: '1' }],
        ['s3', { order_id: '1' }],
      ]);
      // Nothing generated, nothing stored.
      expect(entries()).toHaveLength(1);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('FEC files are a project option, not a bench default', () => {
  it('a project that does not name them loads none, even with data/fec/2020 beside it', () => {
    expect(existsSync(join(repoRoot, 'data/fec/2020'))).toBe(true);
    expect(defaultFecDir(resolveSettings({}, repoRoot, null))).toBeNull();
    expect(defaultFecDir(resolveSettings({ bench: { fecDir: 'data/fec/2020' } }, repoRoot, null))).toBe(join(repoRoot, 'data/fec/2020'));
  });
});
