/**
 * The recipe engine on a project it has never seen (tests/fixtures/projects/shop-bench):
 * rows and fan-out as declared, deterministic from the seed, the bulk path
 * (triggers off, checks after) equal to the row-by-row trigger path, and
 * recipe errors found in the database named by key before anything is written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { sql } from '@databases/pg';
import { generateData, loadRecipe, parseRecipe, type Recipe, type RecipeRun } from '../../src/datagen/index.ts';
import { migrate } from '../../src/migrate/index.ts';
import { emptyDatabase, testServer, type FreshDatabase } from '../helpers/pg.ts';

const root = resolve(import.meta.dirname, '../fixtures/projects/shop-bench');
const recipe = loadRecipe(resolve(root, 'recipe.json')) as Recipe;
const rawRecipe = readFileSync(resolve(root, 'recipe.json'), 'utf8');
const anchor = new Date('2026-03-10T00:00:00Z');

async function shopDatabase(purpose: string): Promise<FreshDatabase> {
  const database = await emptyDatabase(purpose);
  await migrate(testServer().target(database.name), { sqlDir: resolve(root, 'sql'), policiesDir: resolve(root, 'policies'), root });
  return database;
}

async function fingerprint(database: FreshDatabase): Promise<string> {
  const rows = await database.db.query(sql`
    select (select md5(string_agg(concat_ws('|', id, email, tier, signed_up_at, profile), ',' order by id)) from shop.customers) as customers,
           (select md5(string_agg(concat_ws('|', id, customer_id, placed_at, total, status, item_count, review_count), ',' order by id)) from shop.orders) as orders,
           (select md5(string_agg(concat_ws('|', order_id, line, sku, quantity), ',' order by order_id, line)) from shop.order_items) as items,
           (select md5(string_agg(concat_ws('|', id, order_id, stars, written_at), ',' order by id)) from shop.reviews) as reviews,
           (select md5(string_agg(concat_ws('|', customer_id, day, pages), ',' order by customer_id, day)) from shop.visits) as visits`);
  return JSON.stringify(rows[0]);
}

/** The shop recipe with one step's JSON replaced. */
function variant(change: (steps: Record<string, Record<string, unknown>>) => void): Recipe {
  const raw = JSON.parse(rawRecipe) as { steps: Record<string, Record<string, unknown>> };
  change(raw.steps);
  return parseRecipe(raw, 'shop-bench/recipe.json');
}

describe('the recipe engine on the shop fixture', () => {
  let first: FreshDatabase;
  let same: FreshDatabase;
  let other: FreshDatabase;
  let rowByRow: FreshDatabase;
  let run: RecipeRun;
  const progress: string[] = [];

  beforeAll(async () => {
    [first, same, other, rowByRow] = (await Promise.all(['shop_a', 'shop_b', 'shop_c', 'shop_d'].map(shopDatabase))) as [FreshDatabase, FreshDatabase, FreshDatabase, FreshDatabase];
    run = await generateData(first.db, { recipe, scale: 'small', seed: 5, anchor, onProgress: (event) => progress.push(event.step) });
    await generateData(same.db, { recipe, scale: 'small', seed: 5, anchor });
    await generateData(other.db, { recipe, scale: 'small', seed: 6, anchor });
    await generateData(rowByRow.db, { recipe, scale: 'small', seed: 5, anchor, triggers: 'on', connections: 1 });
  });
  afterAll(async () => {
    for (const database of [first, same, other, rowByRow]) await database?.drop();
  });

  it('makes the rows each step declares at the scale', async () => {
    expect(run.counts).toMatchObject({ 'shop.customers': 40, 'shop.orders': 300, 'shop.reviews': 120, 'shop.visits': 250, 'shop.settings': 2 });
    const rows = await first.db.query(sql`select (select sum(item_count) from shop.orders)::int as declared_items, (select count(*) from shop.order_items)::int as items,
                                                 (select value from shop.settings where name = 'generated_for_seed') as seed,
                                                 (select value from shop.settings where name = 'customers') as customers`);
    expect(rows[0]).toEqual({ declared_items: run.counts['shop.order_items'], items: run.counts['shop.order_items'], seed: '5', customers: '40' });
    expect(run.bulkPath).toBe(true);
    expect(progress).toContain('foreign keys (anti-join per constraint)');
    expect(progress).toContain('shop.orders: then[0]');
  });

  it('fans out as declared: lines 1..items per order, visits 1..200 per customer on distinct days, power-law picks', async () => {
    const rows = await first.db.query(sql`
      with lines as (select order_id, count(*) as n, min(line) as low, max(line) as high from shop.order_items group by order_id),
           visits as (select customer_id, count(*) as n from shop.visits group by customer_id),
           orders as (select customer_id, count(*) as n from shop.orders group by customer_id)
      select (select count(*) from shop.orders o join lines l on l.order_id = o.id where l.n = o.item_count and l.low = 1 and l.high = l.n)::int as exact_orders,
             (select min(item_count) from shop.orders)::int as fewest_items, (select max(item_count) from shop.orders)::int as most_items,
             (select count(*) from shop.customers c where not exists (select 1 from shop.visits v where v.customer_id = c.id))::int as customers_without_visits,
             (select max(n) from visits)::int as most_visits, (select percentile_disc(0.5) within group (order by n) from visits)::int as median_visits,
             (select max(n) from orders)::int as most_orders, (select percentile_disc(0.5) within group (order by n) from orders)::int as median_orders,
             (select count(*) from shop.orders o where o.review_count <> (select count(*) from shop.reviews r where r.order_id = o.id))::int as wrong_review_counts`);
    const result = rows[0] as {
      exact_orders: number;
      fewest_items: number;
      most_items: number;
      customers_without_visits: number;
      most_visits: number;
      median_visits: number;
      most_orders: number;
      median_orders: number;
      wrong_review_counts: number;
    };
    expect(result.exact_orders).toBe(300);
    expect(result.fewest_items).toBe(1);
    expect(result.most_items).toBeLessThanOrEqual(4);
    expect(result.customers_without_visits).toBe(0);
    expect(result.most_visits).toBeLessThanOrEqual(200);
    expect(result.most_visits).toBeGreaterThan(5 * result.median_visits);
    expect(result.most_orders).toBeGreaterThan(3 * result.median_orders);
    expect(result.wrong_review_counts).toBe(0);
  });

  it('is deterministic: the same seed gives the same rows, another seed other rows', async () => {
    expect(await fingerprint(same)).toBe(await fingerprint(first));
    expect(await fingerprint(other)).not.toBe(await fingerprint(first));
  });

  it('loads with triggers off exactly the rows the row-by-row trigger path gives', async () => {
    expect(await fingerprint(rowByRow)).toBe(await fingerprint(first));
  });

  it('rebuilds a deferred index with its comment and leaves no scratch schema', async () => {
    const rows = await first.db.query(sql`
      select obj_description('shop.orders_customer_id_placed_at_idx'::regclass, 'pg_class') as comment,
             (select count(*) from pg_namespace where nspname = 'schemaproof_recipe')::int as scratch`);
    expect(rows[0]).toEqual({ comment: "A customer's orders, newest first.", scratch: 0 });
  });
});

describe('recipe problems found in the database', () => {
  let database: FreshDatabase;
  beforeAll(async () => {
    database = await shopDatabase('shop_errors');
  });
  afterAll(async () => {
    await database.drop();
  });

  const problemsOf = async (broken: Recipe): Promise<string[]> => {
    try {
      await generateData(database.db, { recipe: broken, scale: 'small', seed: 1, anchor });
    } catch (error) {
      const detail = (error as { detail?: { code: string; file: string; problems: string[] } }).detail;
      expect(detail?.code).toBe('recipe_invalid');
      expect(detail?.file).toBe('shop-bench/recipe.json');
      return detail?.problems ?? [];
    }
    throw new Error('the recipe ran');
  };

  it('names an unknown table, column and enum type by key, and writes nothing', async () => {
    const problems = await problemsOf(
      variant((steps) => {
        const customers = steps['shop.customers'] as { columns: Record<string, unknown> };
        customers.columns.colour = { const: 'red' };
        customers.columns.tier = { choice: { enum: 'shop.tiers' } };
        (steps['shop.reviews'] as { parents: Record<string, Record<string, unknown>> }).parents.order = { table: 'shop.orders', orderBy: ['placed'] };
        steps['shop.nope'] = { rows: 1, columns: { a: { const: 1 } } };
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^steps\."shop\.customers"\.columns\.colour: shop\.customers has no column "colour"/),
        expect.stringMatching(/^steps\."shop\.customers"\.columns\.tier\.choice\.enum: unknown enum type "shop\.tiers"/),
        expect.stringMatching(/^steps\."shop\.nope"\.table: unknown table "shop\.nope"/),
        expect.stringMatching(/^steps\."shop\.reviews"\.parents\.order\.orderBy: shop\.orders has no column "placed"/),
      ]),
    );
    const rows = await database.db.query(sql`select count(*)::int as n from shop.customers`);
    expect(rows[0]?.n).toBe(0);
  });

  it('fails when a declared counter disagrees with the re-derivation it must match', async () => {
    const problems = await problemsOf(
      variant((steps) => {
        (steps['shop.orders'] as { columns: Record<string, unknown> }).columns.review_count = { const: 0 };
      }),
    );
    expect(problems).toEqual([expect.stringMatching(/^steps\."shop\.orders"\.load\.then\[0\]\.expect: expected 0, the statement returned [1-9]/)]);
  });

  it('fails when rows loaded with triggers off break a foreign key', async () => {
    await database.db.query(sql`truncate shop.order_items, shop.reviews, shop.visits, shop.orders, shop.customers, shop.settings`);
    const problems = await problemsOf(
      variant((steps) => {
        (steps['shop.reviews'] as { columns: Record<string, unknown> }).columns.order_id = { sql: '{order.id} + 100000' };
      }),
    );
    expect(problems).toEqual([expect.stringMatching(/break foreign key reviews_order_id_fkey/)]);
  });
});
