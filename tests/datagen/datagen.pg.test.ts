/**
 * The generator: volumes per scale, determinism from the seed, skew, and the
 * schema's rules (session ownership, counters, audit chain) respected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@databases/pg';
import { checkForeignKeys, generateData, scaleTargets, type GenerateResult } from '../../src/datagen/index.ts';
import { freshDatabase, type FreshDatabase } from '../helpers/pg.ts';
import { rollupDrift } from '../helpers/rollups.ts';

const anchor = new Date('2026-01-15T00:00:00Z');
const targets = { users: 150, sessions: 1_200, events: 4_000, pageViews: 2_000, engagement: 1_000, consents: 300, dataRequests: 40, auditLogs: 900, ingestionLogs: 150, fecFilings: 300 };

async function fingerprint(database: FreshDatabase): Promise<string> {
  const rows = await database.db.query(sql`
    select md5(string_agg(s.session_id || ':' || coalesce(s.user_id::text, '-') || ':' || s.started_at::text || ':' || s.event_count || ':' || s.page_view_count, ',' order by s.session_id)) as sessions,
           (select md5(string_agg(e.id::text || e.event_type || e.event_data::text, ',' order by e.id)) from public.analytics_events e) as events,
           (select md5(string_agg(v.id::text || v.session_id || v.page_path, ',' order by v.id)) from public.analytics_page_views v) as views,
           -- The generated audit history (trigger-written rows carry the
           -- insert time, and hashes cover random pseudonyms: neither repeats).
           (select md5(string_agg(a.chain_position || ':' || a.id || ':' || a.event_type || ':' || a.occurred_at, ',' order by a.chain_position))
              from public.privacy_audit_logs a where a.details ->> 'source' = 'datagen') as audit
      from public.analytics_sessions s`);
  return `${rows[0]?.sessions}/${rows[0]?.events}/${rows[0]?.views}/${rows[0]?.audit}`;
}

describe('generateData', () => {
  let first: FreshDatabase;
  let second: FreshDatabase;
  let rowByRow: FreshDatabase;
  let result: GenerateResult;
  const progress: string[] = [];

  beforeAll(async () => {
    first = await freshDatabase({ purpose: 'datagen_a' });
    second = await freshDatabase({ purpose: 'datagen_b' });
    result = await generateData(first.db, { scale: 'small', seed: 5, anchor, targets, onProgress: (event) => progress.push(event.step) });
    await generateData(second.db, { scale: 'small', seed: 5, anchor, targets });
    rowByRow = await freshDatabase({ purpose: 'datagen_c' });
    await generateData(rowByRow.db, { scale: 'small', seed: 5, anchor, targets, triggers: 'on', parallel: false });
  });
  afterAll(async () => {
    await first.drop();
    await second.drop();
    await rowByRow.drop();
  });

  it('medium meets the volumes of queries.md and small is 1/100 of it', () => {
    expect(scaleTargets.medium).toMatchObject({ users: 20_000, sessions: 200_000, events: 1_000_000, pageViews: 500_000, engagement: 200_000, consents: 50_000, dataRequests: 5_000, auditLogs: 200_000 });
    expect(scaleTargets.small.events).toBe(10_000);
    expect(scaleTargets.large.events).toBe(10_000_000);
  });

  it('reaches every target and reports progress', () => {
    expect(result.counts['auth.users']).toBe(targets.users);
    expect(result.counts.analytics_sessions).toBe(targets.sessions);
    expect(result.counts.analytics_events).toBe(targets.events);
    expect(result.counts.analytics_page_views).toBe(targets.pageViews);
    expect(result.counts.analytics_user_engagement).toBeGreaterThanOrEqual(targets.engagement);
    expect(result.counts.privacy_consent_records).toBe(targets.consents);
    expect(result.counts.privacy_data_requests).toBe(targets.dataRequests);
    expect(result.counts.privacy_audit_logs).toBe(targets.auditLogs);
    expect(progress).toContain('analytics_events');
    expect(progress.at(-1)).toBe('analyze');
  });

  it('is deterministic for a seed and anchor', async () => {
    expect(await fingerprint(first)).toBe(await fingerprint(second));
  });

  it('is skewed: the heavy user has many times the median user\'s sessions, and most events are recent', async () => {
    const rows = await first.db.query(sql`
      with per_user as (select user_id, count(*) as n from public.analytics_sessions where user_id is not null group by user_id)
      select (select n from per_user where user_id = ${result.heavyUserId}::uuid)::int as heavy,
             (select percentile_disc(0.5) within group (order by n) from per_user)::int as median,
             (select count(*) filter (where occurred_at >= ${anchor.toISOString()}::timestamptz - interval '90 days')::float8 / count(*) from public.analytics_events) as recent`);
    expect(rows[0]?.heavy).toBeGreaterThan(5 * Number(rows[0]?.median));
    expect(Number(rows[0]?.recent)).toBeGreaterThan(0.5);
  });

  it('respects the schema: same-owner sessions, maintained counters, an intact audit chain', async () => {
    const rows = await first.db.query(sql`
      select (select count(*) from public.analytics_events e join public.analytics_sessions s on s.session_id = e.session_id
               where s.user_id is distinct from e.user_id)::int as foreign_events,
             (select sum(event_count) from public.analytics_sessions)::int as counted_events,
             (select sum(page_view_count) from public.analytics_sessions)::int as counted_views,
             (select count(*) from public.verify_audit_chain())::int as broken_links,
             (select count(*) from pg_indexes where tablename = 'analytics_events' and indexname = 'analytics_events_event_data_idx')::int as gin_back`);
    expect(rows[0]).toEqual({ foreign_events: 0, counted_events: targets.events, counted_views: targets.pageViews, broken_links: 0, gin_back: 1 });
  });

  it('bulk load (triggers off, two connections, set-based checks) gives exactly the rows the row-by-row trigger path gives', async () => {
    expect(await fingerprint(rowByRow)).toBe(await fingerprint(first));
  });

  it('leaves the rollups equal to the loaded rows: rebuilt after the trigger-less bulk load, maintained on the row-by-row path', async () => {
    expect(progress).toContain('rollups (rebuild)');
    for (const database of [first, rowByRow]) expect(await database.db.query(rollupDrift)).toEqual([]);
    const rows = await first.db.query(sql`select (select sum(events) from public.analytics_daily_event_counts)::int as events,
                                                 (select sum(views) from public.analytics_daily_page_views)::int as views`);
    expect(rows[0]).toEqual({ events: targets.events, views: targets.pageViews });
  });

  it('leaves no scratch objects behind', async () => {
    const rows = await first.db.query(sql`select count(*)::int as n from pg_namespace where nspname = 'schemaproof_datagen'`);
    expect(rows[0]?.n).toBe(0);
  });
});

describe('checkForeignKeys', () => {
  let database: FreshDatabase;
  beforeAll(async () => {
    database = await freshDatabase({ purpose: 'datagen_fk' });
  });
  afterAll(async () => {
    await database.drop();
  });

  it('finds no orphan in consistent rows and names the constraint of rows loaded past their parent', async () => {
    await database.db.query(sql`insert into public.analytics_sessions (session_id) values ('s-ok')`);
    await database.db.query(sql`insert into public.analytics_page_views (session_id, page_url, page_path) values ('s-ok', 'https://e.test/', '/')`);
    expect(await checkForeignKeys(database.db, ['analytics_page_views', 'analytics_sessions'])).toEqual([]);
    await database.db.tx(async (tx) => {
      await tx.query(sql`set local session_replication_role = replica`);
      await tx.query(sql`insert into public.analytics_page_views (session_id, page_url, page_path) values ('s-missing', 'https://e.test/', '/'), ('s-missing', 'https://e.test/', '/')`);
      await tx.query(sql`insert into public.analytics_sessions (session_id, user_id) values ('s-ghost-user', '00000000-0000-4000-8000-00000000dead')`);
    });
    expect(await checkForeignKeys(database.db, ['analytics_page_views', 'analytics_sessions'])).toEqual([
      { constraint: 'analytics_page_views_session_id_owner_key_fkey', rows: 2 },
      { constraint: 'analytics_sessions_user_id_fkey', rows: 1 },
    ]);
  });
});
