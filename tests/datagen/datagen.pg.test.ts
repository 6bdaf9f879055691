/**
 * The generator: volumes per scale, determinism from the seed, skew, and the
 * schema's rules (session ownership, counters, audit chain) respected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@databases/pg';
import { generateData, scaleTargets, type GenerateResult } from '../../src/datagen/index.ts';
import { freshDatabase, type FreshDatabase } from '../helpers/pg.ts';

const anchor = new Date('2026-01-15T00:00:00Z');
const targets = { users: 150, sessions: 1_200, events: 4_000, pageViews: 2_000, engagement: 1_000, consents: 300, dataRequests: 40, auditLogs: 900, ingestionLogs: 150, fecFilings: 300 };

async function fingerprint(database: FreshDatabase): Promise<string> {
  const rows = await database.db.query(sql`
    select md5(string_agg(s.session_id || ':' || coalesce(s.user_id::text, '-') || ':' || s.started_at::text || ':' || s.event_count, ',' order by s.session_id)) as sessions,
           (select md5(string_agg(e.id::text || e.event_type || e.event_data::text, ',' order by e.id)) from public.analytics_events e) as events
      from public.analytics_sessions s`);
  return `${rows[0]?.sessions}/${rows[0]?.events}`;
}

describe('generateData', () => {
  let first: FreshDatabase;
  let second: FreshDatabase;
  let result: GenerateResult;
  const progress: string[] = [];

  beforeAll(async () => {
    first = await freshDatabase({ purpose: 'datagen_a' });
    second = await freshDatabase({ purpose: 'datagen_b' });
    result = await generateData(first.db, { scale: 'small', seed: 5, anchor, targets, onProgress: (event) => progress.push(event.step) });
    await generateData(second.db, { scale: 'small', seed: 5, anchor, targets });
  });
  afterAll(async () => {
    await first.drop();
    await second.drop();
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
});
