// The write-path price of the rollup maintenance (sql/00014-rollups.sql):
// events and page views inserted with and without the rollup triggers, side
// by side in one run, on two clones of the migrated template. Both keep the
// session counter triggers (00003); only the nine analytics rollup triggers
// differ. Two shapes: one row per statement (an API request; the statements
// of a round share one transaction so commit flushes do not drown the
// trigger's cost) and 500 rows per statement (an ingestion batch). Rounds alternate between the clones so a
// busy machine slows both alike; rows/s is the median over rounds.
// Usage: npx tsx scripts/rollup-write-price.mts [rounds] [single-row statements per round] [batched rows per round]
import { sql, type ConnectionPool } from '@databases/pg';
import { resolve } from 'node:path';
import { openWorkspace } from '../src/workspace/index.ts';

const rounds = Number(process.argv[2] ?? 3);
const singles = Number(process.argv[3] ?? 1000);
const batched = Number(process.argv[4] ?? 20_000);
const batch = 500;
const root = resolve(import.meta.dirname, '..');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const rollupTriggers = ['analytics_events', 'analytics_sessions', 'analytics_page_views'].flatMap((table) => ['insert', 'update', 'delete'].map((op) => ({ table, trigger: `${table}_rollup_${op}` })));

const workspace = await openWorkspace({ sqlDir: `${root}/sql`, policiesDir: `${root}/policies`, root });
const clones = { with: await workspace.template.clone('price_with'), without: await workspace.template.clone('price_without') };
const pools: Record<keyof typeof clones, ConnectionPool> = { with: clones.with.connect({ poolSize: 1 }), without: clones.without.connect({ poolSize: 1 }) };
for (const db of Object.values(pools)) {
  await db.query(sql`insert into public.analytics_sessions (session_id, user_id, started_at)
                     select 'price-' || g, null, now() - interval '1 hour' from generate_series(0, 999) g`);
}
for (const { table, trigger } of rollupTriggers) {
  await pools.without.query(sql`alter table ${sql.ident('public', table)} disable trigger ${sql.ident(trigger)}`);
}

type Shape = 'events, 1 row/statement' | 'events, 500 rows/statement' | 'page views, 1 row/statement' | 'page views, 500 rows/statement';
const eventRows = (n: number, offset: number) => sql`
  insert into public.analytics_events (session_id, event_type, event_name, occurred_at)
  select 'price-' || ((${offset}::int + g) % 1000), (array['click','scroll','search','purchase','signup'])[1 + (${offset}::int + g) % 5], 'price', now()
    from generate_series(1, ${n}::int) g`;
const viewRows = (n: number, offset: number) => sql`
  insert into public.analytics_page_views (session_id, page_url, page_path, viewed_at)
  select 'price-' || ((${offset}::int + g) % 1000), 'https://price.test/p/' || ((${offset}::int + g) % 200), '/p/' || ((${offset}::int + g) % 200), now()
    from generate_series(1, ${n}::int) g`;

async function measure(db: ConnectionPool, shape: Shape, round: number): Promise<number> {
  const statement = shape.startsWith('events') ? eventRows : viewRows;
  const single = shape.endsWith('1 row/statement');
  const rows = single ? singles : batched;
  const started = performance.now();
  // Single-row statements run in one transaction per round: a commit per
  // row would be a WAL flush per row, which hides the trigger's share.
  if (single)
    await db.tx(async (tx) => {
      for (let index = 0; index < rows; index++) await tx.query(statement(1, round * rows + index));
    });
  else for (let index = 0; index < rows; index += batch) await db.query(statement(batch, round * rows + index));
  return rows / ((performance.now() - started) / 1000);
}

const shapes: Shape[] = ['events, 1 row/statement', 'events, 500 rows/statement', 'page views, 1 row/statement', 'page views, 500 rows/statement'];
const results = new Map<string, number[]>();
for (let round = 0; round < rounds; round++) {
  for (const shape of shapes) {
    // Alternate which clone goes first.
    const order: (keyof typeof pools)[] = round % 2 === 0 ? ['with', 'without'] : ['without', 'with'];
    for (const side of order) {
      const key = `${shape}|${side}`;
      results.set(key, [...(results.get(key) ?? []), await measure(pools[side], shape, round)]);
    }
  }
}
const check = await pools.with.query(sql`
  select (select sum(events) from public.analytics_daily_event_counts)::bigint as rolled_up_events,
         (select count(*) from public.analytics_events)::bigint as events,
         (select sum(views) from public.analytics_daily_page_views)::bigint as rolled_up_views,
         (select count(*) from public.analytics_page_views)::bigint as views`);
for (const db of Object.values(pools)) await db.dispose();
await clones.with.drop();
await clones.without.drop();
await workspace.close();

console.log(`rollup maintenance write price: ${rounds} rounds, ${singles} single-row statements and ${batched} rows in ${batch}-row statements per round and shape`);
console.log('shape | rows/s with rollup triggers | rows/s without | loss');
for (const shape of shapes) {
  const withRate = median(results.get(`${shape}|with`)!);
  const withoutRate = median(results.get(`${shape}|without`)!);
  console.log(`${shape} | ${Math.round(withRate)} | ${Math.round(withoutRate)} | ${(100 * (1 - withRate / withoutRate)).toFixed(1)}%`);
}
console.log(`consistency (clone with triggers): ${JSON.stringify(check[0], (_key, value) => (typeof value === 'bigint' ? Number(value) : value))}`);
