/**
 * This project's recipe (tests/data/recipe.json): volumes, determinism,
 * skew, and the schema's rules respected (same-owner sessions, counters
 * proven by the schema's recount, an intact audit chain), on the bulk path
 * and the row-by-row trigger path alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { sql } from '@databases/pg';
import { generateData, loadRecipe, readUnsettled, type Recipe, type RecipeRun } from '../../src/datagen/index.ts';
import { freshDatabase, type FreshDatabase } from '../helpers/pg.ts';
import { rollupDrift } from '../helpers/rollups.ts';

const recipe = loadRecipe(resolve(import.meta.dirname, '../data/recipe.json')) as Recipe;
const anchor = new Date('2026-01-15T00:00:00Z');
const rows = {
  'auth.users': 150,
  'public.analytics_sessions': 1_200,
  'public.analytics_events': 4_000,
  'public.analytics_page_views': 2_000,
  'public.analytics_user_engagement': 1_000,
  'public.privacy_consent_records': 300,
  'public.privacy_data_requests': 40,
  'public.privacy_audit_logs': 560,
  'public.ingestion_logs': 150,
  'fec reports': 231,
};

async function fingerprint(database: FreshDatabase): Promise<string> {
  const result = await database.db.query(sql`
    select md5(string_agg(s.session_id || ':' || coalesce(s.user_id::text, '-') || ':' || s.started_at::text || ':' || s.event_count || ':' || s.page_view_count, ',' order by s.session_id)) as sessions,
           (select md5(string_agg(e.id::text || e.event_type || e.event_data::text, ',' order by e.id)) from public.analytics_events e) as events,
           (select md5(string_agg(v.id::text || v.session_id || v.page_path, ',' order by v.id)) from public.analytics_page_views v) as views,
           (select md5(string_agg(g.user_id || ':' || g.engagement_date || ':' || g.engagement_score, ',' order by g.user_id, g.engagement_date)) from public.analytics_user_engagement g) as engagement,
           (select md5(string_agg(f.filing_id || ':' || f.committee_id || ':' || f.processing_status, ',' order by f.filing_id)) from public.fec_filings f) as filings,
           -- The generated audit history (trigger-written rows carry the
           -- insert time, and hashes cover random pseudonyms: neither repeats).
           (select md5(string_agg(a.chain_position || ':' || a.id || ':' || a.event_type || ':' || a.occurred_at, ',' order by a.chain_position))
              from public.privacy_audit_logs a where a.details ->> 'source' = 'datagen') as audit
      from public.analytics_sessions s`);
  return JSON.stringify(result[0]);
}

describe("this project's recipe", () => {
  let first: FreshDatabase;
  let second: FreshDatabase;
  let rowByRow: FreshDatabase;
  let run: RecipeRun;

  beforeAll(async () => {
    first = await freshDatabase({ purpose: 'recipe_a' });
    second = await freshDatabase({ purpose: 'recipe_b' });
    rowByRow = await freshDatabase({ purpose: 'recipe_c' });
    run = await generateData(first.db, { recipe, scale: 'small', seed: 5, anchor, rows });
    await generateData(second.db, { recipe, scale: 'small', seed: 5, anchor, rows });
    await generateData(rowByRow.db, { recipe, scale: 'small', seed: 5, anchor, rows, triggers: 'on', connections: 1 });
  });
  afterAll(async () => {
    for (const database of [first, second, rowByRow]) await database?.drop();
  });

  it('declares the volumes of queries.md at medium, 1/100 at small, 10x at large', () => {
    const medium: Record<string, number> = Object.fromEntries(recipe.steps.flatMap((step) => (step.kind === 'table' && step.rows ? [[step.name, step.rows.medium]] : [])));
    expect(medium).toMatchObject({
      'auth.users': 20_000,
      'public.analytics_sessions': 200_000,
      'public.analytics_events': 1_000_000,
      'public.analytics_page_views': 500_000,
      'public.privacy_consent_records': 50_000,
      'public.privacy_data_requests': 5_000,
    });
    // Audit rows: the history plus one per consent record and data request.
    expect((medium['public.privacy_audit_logs'] ?? 0) + (medium['public.privacy_consent_records'] ?? 0) + (medium['public.privacy_data_requests'] ?? 0)).toBe(200_000);
    expect(medium['public.analytics_user_engagement']).toBeGreaterThanOrEqual(200_000);
    const events = recipe.steps.find((step) => step.name === 'public.analytics_events');
    expect(events?.kind === 'table' && events.rows).toEqual({ small: 10_000, medium: 1_000_000, large: 10_000_000 });
  });

  it('reaches every count', () => {
    expect(run.counts).toMatchObject({
      'auth.users': 150,
      'public.analytics_sessions': 1_200,
      'public.analytics_events': 4_000,
      'public.analytics_page_views': 2_000,
      'public.analytics_user_engagement': 1_000,
      'public.privacy_consent_records': 300,
      'public.privacy_data_requests': 40,
      'public.privacy_audit_logs': 900,
    });
  });

  it('is deterministic for a seed and anchor', async () => {
    expect(await fingerprint(second)).toBe(await fingerprint(first));
  });

  it("is skewed: the heavy user has many times the median user's sessions, and most events are recent", async () => {
    const result = await first.db.query(sql`
      with per_user as (select user_id, count(*) as n from public.analytics_sessions where user_id is not null group by user_id)
      select (select max(n) from per_user)::int as heavy,
             (select percentile_disc(0.5) within group (order by n) from per_user)::int as median,
             (select count(*) filter (where occurred_at >= ${anchor.toISOString()}::timestamptz - interval '90 days')::float8 / count(*) from public.analytics_events) as recent`);
    expect(result[0]?.heavy).toBeGreaterThan(5 * Number(result[0]?.median));
    expect(Number(result[0]?.recent)).toBeGreaterThan(0.5);
  });

  it('respects the schema: same-owner sessions, maintained counters, an intact audit chain, amendment chains', async () => {
    const result = await first.db.query(sql`
      select (select count(*) from public.analytics_events e join public.analytics_sessions s on s.session_id = e.session_id
               where s.user_id is distinct from e.user_id)::int as foreign_events,
             (select sum(event_count) from public.analytics_sessions)::int as counted_events,
             (select sum(page_view_count) from public.analytics_sessions)::int as counted_views,
             (select count(*) from public.verify_audit_chain())::int as broken_links,
             (select count(*) from public.fec_filings f where f.amends_filing_id is not null
                 and not exists (select 1 from public.fec_filings p where p.filing_id = f.amends_filing_id and p.committee_id = f.committee_id))::int as broken_amendments,
             (select count(*) from pg_indexes where tablename = 'analytics_events' and indexname = 'analytics_events_event_data_idx')::int as gin_back`);
    expect(result[0]).toEqual({ foreign_events: 0, counted_events: 4_000, counted_views: 2_000, broken_links: 0, broken_amendments: 0, gin_back: 1 });
  });

  it('bulk load (triggers off, two connections, set-based checks) gives exactly the rows the row-by-row trigger path gives', async () => {
    expect(await fingerprint(rowByRow)).toBe(await fingerprint(first));
  });

  it('leaves the rollups equal to the loaded rows: rebuilt after the trigger-less bulk load, maintained on the row-by-row path', async () => {
    for (const database of [first, rowByRow]) expect(await database.db.query(rollupDrift)).toEqual([]);
    const totals = await first.db.query(sql`select (select sum(events) from public.analytics_daily_event_counts)::int as events,
                                                   (select sum(views) from public.analytics_daily_page_views)::int as views`);
    expect(totals[0]).toEqual({ events: rows['public.analytics_events'], views: rows['public.analytics_page_views'] });
  });

  it('leaves every page of every table all-visible on both paths, so index-only scans read the same pages on every generation', async () => {
    for (const database of [first, second, rowByRow]) expect(await readUnsettled(database.db, [])).toEqual([]);
  });

  it('leaves no scratch objects behind', async () => {
    const result = await first.db.query(sql`select count(*)::int as n from pg_namespace where nspname = 'schemaproof_recipe'`);
    expect(result[0]?.n).toBe(0);
  });
});
