/**
 * The loaded database bench and verify run on (openBenchData), for the shop
 * fixture: generated once on a cluster of its own and cached, the next run
 * started from the cached data directory with the same rows; a changed
 * input or an entry someone else could have written regenerates; a server
 * the harness did not start generates in place; a project without a recipe
 * runs on the migrated database as it is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql, type ConnectionPool } from '@databases/pg';
import { loadSettings, resolveSettings, type Settings } from '../../src/config/index.ts';
import { openBenchData, type BenchData } from '../../src/datagen/index.ts';
import { migrate } from '../../src/migrate/index.ts';
import { templateHandle } from '../../src/postgres/index.ts';
import { openWorkspace, type Workspace } from '../../src/workspace/index.ts';
import { emptyDatabase, testServer, type FreshDatabase } from '../helpers/pg.ts';

const root = resolve(import.meta.dirname, '../fixtures/projects/shop-bench');
const anchor = new Date('2026-03-10T00:00:00Z');

async function fingerprint(db: ConnectionPool): Promise<string> {
  const rows = await db.query(sql`
    select (select md5(string_agg(concat_ws('|', id, email, tier), ',' order by id)) from shop.customers) as customers,
           (select md5(string_agg(concat_ws('|', id, customer_id, placed_at, item_count, review_count), ',' order by id)) from shop.orders) as orders,
           (select count(*) from shop.visits)::int as visits`);
  return JSON.stringify(rows[0]);
}

describe('bench data on a throwaway cluster, cached', () => {
  let settings: Settings;
  let workspace: Workspace;
  let cacheDir: string;
  const open = (options: { seed?: number; settings?: Settings } = {}): Promise<BenchData> =>
    openBenchData({ settings: options.settings ?? settings, workspace, scale: 'small', seed: options.seed ?? 3, anchor, cacheDir });

  beforeAll(async () => {
    settings = await loadSettings({ configPath: join(root, 'schemaproof.config.json') });
    const env = { ...process.env };
    delete env.DATABASE_URL;
    workspace = await openWorkspace({ sqlDir: settings.sqlDir, policiesDir: settings.policiesDir, root, env, allowDocker: false });
    const parent = mkdtempSync(join(tmpdir(), 'sp-bench-data-'));
    chmodSync(parent, 0o700);
    cacheDir = join(parent, 'bench-data');
  });
  afterAll(async () => {
    await workspace?.close();
    if (cacheDir) rmSync(join(cacheDir, '..'), { recursive: true, force: true });
  });

  it('generates and caches on a miss, then starts from the cache with the same rows', async () => {
    const first = await open();
    let before: string;
    try {
      expect(first.summary.source).toBe('generated');
      expect(first.summary.cache).toMatchObject({ hit: false, note: null });
      expect(first.summary.counts).toMatchObject({ 'shop.customers': 40, 'shop.orders': 300 });
      expect(first.server).not.toBe(workspace.server.description);
      before = await fingerprint(first.db);
    } finally {
      await first.close();
    }
    expect(readdirSync(cacheDir)).toHaveLength(1);
    const second = await open();
    try {
      expect(second.summary.source).toBe('cache');
      expect(second.summary.cache).toMatchObject({ hit: true, key: first.summary.cache?.key });
      expect(second.summary.description).toMatch(/^Reused cached data/);
      expect(second.summary.counts).toEqual(first.summary.counts);
      expect(await fingerprint(second.db)).toBe(before);
      // The copy is the run's own: writing to it leaves the cache as it was.
      await second.db.query(sql`delete from shop.visits`);
    } finally {
      await second.close();
    }
    const third = await open();
    try {
      expect(third.summary.source).toBe('cache');
      expect(await fingerprint(third.db)).toBe(before);
    } finally {
      await third.close();
    }
  });

  it('regenerates for another seed; an entry over the size limit is not kept', async () => {
    const limited = resolveSettings({ dataRecipe: 'recipe.json', bench: { dataCache: { enabled: true, maxMiB: 1 } } }, root, null);
    const other = await open({ seed: 4, settings: limited });
    try {
      expect(other.summary.source).toBe('generated');
      expect(other.summary.cache?.note).toMatch(/exceeds bench\.dataCache\.maxMiB \(1\)/);
      expect(other.summary.counts['shop.orders']).toBe(300);
    } finally {
      await other.close();
    }
    expect(readdirSync(cacheDir).filter((name) => !name.startsWith('.'))).toHaveLength(1);
  });

  it('does not start an entry another user could have written: it regenerates', async () => {
    const cached = await open();
    const key = cached.summary.cache?.key ?? '';
    await cached.close();
    chmodSync(join(cacheDir, key, 'data', 'PG_VERSION'), 0o666);
    const data = await open();
    try {
      expect(data.summary.source).toBe('generated');
      expect(data.summary.cache?.note).toMatch(/not trusted \(.*PG_VERSION is writable by other users\) and is replaced/);
      expect(data.summary.cache?.dir).toBe(join(cacheDir, key));
    } finally {
      await data.close();
    }
    const again = await open();
    try {
      expect(again.summary.source).toBe('cache');
    } finally {
      await again.close();
    }
  });
});

describe('bench data elsewhere', () => {
  let template: FreshDatabase;
  beforeAll(async () => {
    template = await emptyDatabase('shop_template');
    await migrate(testServer().target(template.name), { sqlDir: join(root, 'sql'), policiesDir: join(root, 'policies'), root });
    await template.db.dispose();
  });
  afterAll(async () => {
    await template?.drop();
  });
  const workspace = () => ({ server: testServer(), template: templateHandle(testServer(), template.name) });

  it('on a server the harness did not start: generated in a clone, not cached', async () => {
    const settings = await loadSettings({ configPath: join(root, 'schemaproof.config.json') });
    const data = await openBenchData({ settings, workspace: workspace(), scale: 'small', seed: 3, anchor });
    try {
      expect(data.summary.source).toBe('generated');
      expect(data.summary.cache?.note).toBe('data cache not used on a server the harness did not start');
      expect(data.summary.counts['shop.orders']).toBe(300);
    } finally {
      await data.close();
    }
  });

  it('without a recipe: the migrated database as it is, said in the summary', async () => {
    const settings = resolveSettings({ dataRecipe: 'no-such-recipe.json' }, root, null);
    const data = await openBenchData({ settings, workspace: workspace(), scale: 'small', seed: 3 });
    try {
      expect(data.summary.source).toBe('none');
      expect(data.summary.description).toMatch(/^No data recipe \(.*no-such-recipe\.json does not exist\)/);
      expect(data.summary.counts).toEqual({});
      // Settled as generated data is: every table outside the bookkeeping schema vacuumed and analyzed.
      const tables = await data.db.query(
        sql`select schemaname || '.' || relname as name, last_vacuum is not null and last_analyze is not null as settled from pg_catalog.pg_stat_user_tables where schemaname <> 'schemaproof' order by 1`,
      );
      expect(tables.map((table) => table.name)).toContain('shop.orders');
      expect(tables.filter((table) => table.settled !== true)).toEqual([]);
    } finally {
      await data.close();
    }
  });
});
