/**
 * Deterministic synthetic data for the benchmark, generated entirely by
 * set-based SQL (`generate_series` + hashing of the series index) on one
 * connection: no row is built in TypeScript.
 *
 * Determinism: every random choice is `hashint8extended(index, seed*1000 +
 * stream)` mapped to [0, 1), so the same seed gives the same rows whatever
 * the plan or parallelism. Times are relative to an anchor (default: the
 * start of the current UTC day), so "the last 7 days" queries find data;
 * the same seed on the same day gives identical data.
 *
 * Skew: users are picked by rank with rank = floor(N * u^k) (a power law: rank
 * 0 is the heaviest user; k = 2.2 for sessions gives the top user ~1% of all
 * sessions, ~100x the median user; k = 3 made one user own ~4% of the site's
 * traffic, a bot rather than a heavy user), ages by age = 365 days * u^2.5
 * (most rows recent). Committees of synthetic filings: k = 2.
 *
 * Schema rules respected:
 *   * events and page views always reference a session of the same owner
 *     (the session's user_id is copied), so the composite FK holds;
 *   * session counters are left to the statement triggers that own them;
 *   * analytics_events partitions are ensured for the generated range;
 *   * consent records and data requests are inserted through their triggers,
 *     which write their audit rows; the remaining audit rows are inserted as
 *     the table owner in ascending occurred_at, so the chain trigger links and
 *     hashes every row exactly as it would for the logging function (nothing is
 *     updated or deleted; verify_audit_chain() stays clean);
 *   * analytics_user_engagement rows are inserted directly: the refresh
 *     function derives one row per active user-day, which for this activity is
 *     fewer rows than the volume target (documented deviation, bench-only).
 */
import { sql, type Queryable } from '@databases/pg';
import type { Scale } from '../config/index.ts';
import { scaleTargets, type ScaleTargets } from './scales.ts';

export interface GenerateOptions {
  readonly scale: Scale;
  readonly seed: number;
  /** Time the generated history ends at (default: start of the current UTC day). */
  readonly anchor?: Date;
  /** Override individual targets (tests). */
  readonly targets?: Partial<ScaleTargets>;
  readonly onProgress?: (event: GenerateProgress) => void;
}

export interface GenerateProgress {
  readonly step: string;
  readonly rows: number;
  readonly ms: number;
}

export interface GeneratedStep {
  readonly step: string;
  readonly rows: number;
  readonly ms: number;
}

export interface GenerateResult {
  readonly scale: Scale;
  readonly seed: number;
  readonly anchor: string;
  readonly targets: ScaleTargets;
  readonly steps: readonly GeneratedStep[];
  /** Rows per table after generation (exact counts). */
  readonly counts: Readonly<Record<string, number>>;
  /** The heaviest user (rank 0) — the user actor of the benchmark. */
  readonly heavyUserId: string;
  /** A user whose JWT carries app_metadata.role = admin. */
  readonly adminUserId: string;
  readonly durationMs: number;
}

/** Temporary helper functions (pg_temp): uniform hash, UUID v7 from a time and key. */
const helpers = [
  sql`create or replace function pg_temp.sp_u(seed int, stream int, i bigint) returns double precision
      language sql immutable parallel safe as
      $$ select (hashint8extended(i, seed::bigint * 1000 + stream) & 140737488355327)::float8 / 140737488355328.0 $$`,
  sql`create or replace function pg_temp.sp_uuid(k text) returns uuid
      language sql immutable parallel safe as $$ select md5(k)::uuid $$`,
  sql`create or replace function pg_temp.sp_v7(t timestamptz, k text) returns uuid
      language sql immutable parallel safe as
      $$ select (lpad(to_hex(floor(extract(epoch from t) * 1000)::bigint), 12, '0') || '7'
                 || substr(md5(k), 1, 3) || '8' || substr(md5(k), 4, 15))::uuid $$`,
];

async function count(db: Queryable, table: string, schema = 'public'): Promise<number> {
  const rows = await db.query(sql`select count(*)::bigint as n from ${sql.ident(schema, table)}`);
  return Number(rows[0]?.n ?? 0);
}

export async function generateData(db: Queryable & { task?: unknown }, options: GenerateOptions): Promise<GenerateResult> {
  const started = performance.now();
  const targets: ScaleTargets = { ...scaleTargets[options.scale], ...options.targets };
  const seed = options.seed;
  const anchorDate = options.anchor ?? new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
  const anchor = anchorDate.toISOString();
  const steps: GeneratedStep[] = [];

  const step = async (name: string, run: () => Promise<number>): Promise<void> => {
    const t0 = performance.now();
    const rows = await run();
    const entry = { step: name, rows, ms: Math.round(performance.now() - t0) };
    steps.push(entry);
    options.onProgress?.(entry);
  };

  const run = async (conn: Queryable): Promise<GenerateResult> => {
    for (const helper of helpers) await conn.query(helper);
    // Bulk load settings for this session only.
    await conn.query(sql`set synchronous_commit = off`);
    await conn.query(sql`set maintenance_work_mem = '256MB'`).catch(() => undefined);
    await conn.query(sql`set work_mem = '64MB'`);

    const t = targets;

    // Bulk-load technique (table owner only): secondary indexes that back no
    // constraint are dropped before the load and rebuilt from their exact
    // catalog definitions (pg_get_indexdef + comment) afterwards. Building a
    // B-tree/GIN once is far cheaper than maintaining it per row; the end
    // state of the schema is identical. Constraint indexes stay in place.
    await conn.query(sql`drop table if exists pg_temp.sp_deferred_indexes`);
    await conn.query(sql`
      create temp table sp_deferred_indexes as
      select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as definition,
             obj_description(i.indexrelid, 'pg_class') as description
        from pg_index i
        join pg_class c on c.oid = i.indrelid
       where c.relnamespace = 'public'::regnamespace
         and c.relname in ('analytics_events', 'analytics_page_views', 'analytics_sessions', 'privacy_audit_logs', 'fec_filings')
         and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)
         and not exists (select 1 from pg_inherits h where h.inhrelid = i.indexrelid)`);
    await conn.query(sql`
      do $$
      declare d record;
      begin
        for d in select name from pg_temp.sp_deferred_indexes loop
          execute 'drop index ' || d.name;
        end loop;
      end $$`);

    await step('auth.users', async () => {
      await conn.query(sql`drop table if exists pg_temp.sp_users`);
      await conn.query(sql`
        create temp table sp_users as
        select r as rank, pg_temp.sp_uuid('sp-user:' || ${seed}::int || ':' || r) as id
          from generate_series(0, ${t.users}::int - 1) r`);
      await conn.query(sql`alter table pg_temp.sp_users add primary key (rank)`);
      const rows = await conn.query(sql`
        insert into auth.users (id, email, raw_app_meta_data, created_at, updated_at)
        select u.id, 'user' || u.rank || '.' || ${seed}::int || '@example.test',
               case when u.rank = ${t.users}::int - 1 then '{"provider":"email","role":"admin"}' else '{"provider":"email"}' end::jsonb,
               ${anchor}::timestamptz - interval '400 days', ${anchor}::timestamptz - interval '400 days'
          from pg_temp.sp_users u
        on conflict (id) do nothing
        returning 1`);
      return rows.length;
    });

    await step('analytics_events partitions', async () => {
      const rows = await conn.query(sql`
        select private.ensure_analytics_events_partitions(
          (${anchor}::timestamptz - interval '366 days')::date, (${anchor}::timestamptz + interval '1 month')::date) as created`);
      return rows.length;
    });

    await step('analytics_sessions', async () => {
      await conn.query(sql`drop table if exists pg_temp.sp_sessions`);
      await conn.query(sql`
        create temp table sp_sessions as
        with base as (
          select i,
                 pg_temp.sp_u(${seed}::int, 1, i) < 0.3 as anonymous,
                 floor(${t.users}::int * pg_temp.sp_u(${seed}::int, 2, i) ^ 2.2)::int as user_rank,
                 ${anchor}::timestamptz
                   - make_interval(secs => 365.0 * 86400 * pg_temp.sp_u(${seed}::int, 3, i) ^ 2.5 + 60) as started_at,
                 least(21600, floor(-ln(1 - pg_temp.sp_u(${seed}::int, 4, i)) * 420))::int as duration
            from generate_series(0, ${t.sessions}::int - 1) i
        )
        select b.i as idx,
               'sp' || ${seed}::int || '-' || b.i as session_id,
               case when b.anonymous then null else u.id end as user_id,
               b.started_at,
               least(b.started_at + make_interval(secs => b.duration), ${anchor}::timestamptz) as ended_at
          from base b
          left join pg_temp.sp_users u on u.rank = b.user_rank`);
      await conn.query(sql`alter table pg_temp.sp_sessions add primary key (idx)`);
      await conn.query(sql`analyze pg_temp.sp_sessions`);
      await conn.query(sql`
        insert into public.analytics_sessions (
          session_id, user_id, started_at, ended_at, entry_page, exit_page, referrer,
          utm_source, utm_medium, utm_campaign, device_type, browser_name, browser_version,
          os_name, os_version, device_fingerprint_hash, ip_truncated, country, region, city,
          created_at, updated_at)
        select s.session_id, s.user_id, s.started_at, s.ended_at,
               '/p/' || floor(200 * pg_temp.sp_u(${seed}::int, 5, s.idx) ^ 2)::int,
               '/p/' || floor(200 * pg_temp.sp_u(${seed}::int, 6, s.idx) ^ 2)::int,
               case when pg_temp.sp_u(${seed}::int, 7, s.idx) < 0.5 then 'https://search.example/q' end,
               case when pg_temp.sp_u(${seed}::int, 8, s.idx) < 0.2 then 'newsletter' end,
               case when pg_temp.sp_u(${seed}::int, 8, s.idx) < 0.2 then 'email' end,
               case when pg_temp.sp_u(${seed}::int, 8, s.idx) < 0.2 then 'spring_' || floor(pg_temp.sp_u(${seed}::int, 9, s.idx) * 20)::int end,
               (array['desktop','mobile','tablet','bot','other','unknown'])[1 + floor(6 * pg_temp.sp_u(${seed}::int, 10, s.idx) ^ 2)::int]::public.analytics_device_type,
               (array['chrome','safari','firefox','edge'])[1 + floor(4 * pg_temp.sp_u(${seed}::int, 11, s.idx) ^ 2)::int],
               (100 + floor(30 * pg_temp.sp_u(${seed}::int, 12, s.idx))::int)::text,
               (array['windows','macos','ios','android','linux'])[1 + floor(5 * pg_temp.sp_u(${seed}::int, 13, s.idx))::int],
               (10 + floor(8 * pg_temp.sp_u(${seed}::int, 14, s.idx))::int)::text,
               md5('fp1:' || s.idx) || md5('fp2:' || s.idx),
               ('10.' || floor(256 * pg_temp.sp_u(${seed}::int, 15, s.idx))::int || '.' || floor(256 * pg_temp.sp_u(${seed}::int, 16, s.idx))::int || '.0/24')::inet,
               (array['US','DE','FR','GB','NL','ES','IT','CA','BR','JP'])[1 + floor(10 * pg_temp.sp_u(${seed}::int, 17, s.idx) ^ 2)::int],
               'Region ' || floor(20 * pg_temp.sp_u(${seed}::int, 18, s.idx))::int,
               'City ' || floor(100 * pg_temp.sp_u(${seed}::int, 19, s.idx))::int,
               s.started_at, s.started_at
          from pg_temp.sp_sessions s
         order by s.started_at`);
      return count(conn, 'analytics_sessions');
    });

    await step('analytics_events', async () => {
      await conn.query(sql`
        insert into public.analytics_events (
          id, user_id, session_id, event_type, event_category, event_name, event_data,
          occurred_at, page_url, page_path, created_at, updated_at)
        select pg_temp.sp_v7(e.occurred_at, 'ev:' || ${seed}::int || ':' || e.i), e.user_id, e.session_id,
               (array['click','scroll','form_submit','search','add_to_cart','purchase','signup','login','logout','video_play',
                      'share','download','error','rage_click','hover','copy_text','file_upload','notification_open','settings_change','invite_sent'])[1 + e.kind],
               (array['interaction','interaction','conversion','discovery','commerce','commerce','account','account','account','media',
                      'social','content','system','interaction','interaction','content','content','engagement','account','social'])[1 + e.kind],
               'Event ' || e.kind,
               jsonb_build_object(
                 'campaign', 'c' || floor(500 * pg_temp.sp_u(${seed}::int, 22, e.i) ^ 2)::int,
                 'plan', (array['free','pro','team','enterprise'])[1 + floor(4 * pg_temp.sp_u(${seed}::int, 23, e.i) ^ 2)::int],
                 'value', floor(1000 * pg_temp.sp_u(${seed}::int, 24, e.i))::int,
                 'variant', case when pg_temp.sp_u(${seed}::int, 25, e.i) < 0.5 then 'a' else 'b' end),
               e.occurred_at,
               'https://app.example/p/' || e.page, '/p/' || e.page,
               e.occurred_at, e.occurred_at
          from (
            select x.i, s.user_id, s.session_id,
                   least(s.started_at + (s.ended_at - s.started_at) * pg_temp.sp_u(${seed}::int, 21, x.i), ${anchor}::timestamptz) as occurred_at,
                   floor(20 * pg_temp.sp_u(${seed}::int, 26, x.i) ^ 1.8)::int as kind,
                   floor(200 * pg_temp.sp_u(${seed}::int, 27, x.i) ^ 2)::int as page
              from generate_series(0, ${t.events}::int - 1) x(i)
              join pg_temp.sp_sessions s on s.idx = floor(${t.sessions}::int * pg_temp.sp_u(${seed}::int, 20, x.i))::int
          ) e
         order by e.occurred_at`);
      return count(conn, 'analytics_events');
    });

    await step('analytics_page_views', async () => {
      await conn.query(sql`
        insert into public.analytics_page_views (
          id, user_id, session_id, page_url, page_path, page_title, page_category, referrer_url,
          viewed_at, time_on_page_seconds, scroll_depth_percent, is_entry, is_exit, created_at, updated_at)
        select pg_temp.sp_v7(v.viewed_at, 'pv:' || ${seed}::int || ':' || v.i), v.user_id, v.session_id,
               'https://app.example/p/' || v.page, '/p/' || v.page, 'Page ' || v.page,
               (array['home','blog','pricing','docs','account'])[1 + v.page % 5],
               case when pg_temp.sp_u(${seed}::int, 33, v.i) < 0.3 then 'https://search.example/q' end,
               v.viewed_at,
               floor(-ln(1 - pg_temp.sp_u(${seed}::int, 34, v.i)) * 45)::int,
               floor(101 * pg_temp.sp_u(${seed}::int, 35, v.i))::smallint,
               pg_temp.sp_u(${seed}::int, 36, v.i) < 0.4,
               pg_temp.sp_u(${seed}::int, 37, v.i) < 0.4,
               v.viewed_at, v.viewed_at
          from (
            select x.i, s.user_id, s.session_id,
                   least(s.started_at + (s.ended_at - s.started_at) * pg_temp.sp_u(${seed}::int, 31, x.i), ${anchor}::timestamptz) as viewed_at,
                   floor(200 * pg_temp.sp_u(${seed}::int, 32, x.i) ^ 2.5)::int as page
              from generate_series(0, ${t.pageViews}::int - 1) x(i)
              join pg_temp.sp_sessions s on s.idx = floor(${t.sessions}::int * pg_temp.sp_u(${seed}::int, 30, x.i))::int
          ) v
         order by v.viewed_at`);
      return count(conn, 'analytics_page_views');
    });

    await step('analytics_user_engagement', async () => {
      // days(rank) = clamp(C / (rank+1)^0.6, 1, 365), C chosen so the sum reaches the target.
      const rows = await conn.query(sql`
        with weights as (
          select rank, 1.0 / (rank + 1) ^ 0.6 as w from generate_series(0, ${t.users}::int - 1) rank
        ), scale as (
          select ${t.engagement}::float8 / sum(w) * 1.02 as c from weights
        ), days as (
          select w.rank, least(365, greatest(1, ceil(s.c * w.w)))::int as n from weights w, scale s
        ), total as (select sum(n) as n from days)
        select n from total`);
      const planned = Number(rows[0]?.n ?? 0);
      // Top up the lightest users one day at a time if clamping left us short.
      const shortfall = Math.max(0, t.engagement - planned);
      await conn.query(sql`
        insert into public.analytics_user_engagement (
          user_id, engagement_date, engagement_score, total_sessions, total_page_views, total_events,
          total_time_seconds, bounce_sessions, active_hours, first_activity_at, last_activity_at, created_at, updated_at)
        with weights as (
          select rank, 1.0 / (rank + 1) ^ 0.6 as w from generate_series(0, ${t.users}::int - 1) rank
        ), scale as (
          select ${t.engagement}::float8 / sum(w) * 1.02 as c from weights
        ), days as (
          select w.rank,
                 least(365, greatest(1, ceil(s.c * w.w)))::int
                   + case when ${t.users}::int - 1 - w.rank < ${shortfall}::int then 1 else 0 end as n
            from weights w, scale s
        ), rows_ as (
          select d.rank, g.k, (d.rank::bigint * 1000 + g.k) as h,
                 ((${anchor}::timestamptz at time zone 'UTC')::date - 1 - g.k) as day
            from days d, generate_series(0, least(d.n, 365) - 1) g(k)
        ), metrics as (
          select r.*,
                 1 + floor(6 * pg_temp.sp_u(${seed}::int, 40, r.h) ^ 2)::int as sessions,
                 floor(30 * pg_temp.sp_u(${seed}::int, 41, r.h) ^ 2)::int as page_views,
                 floor(80 * pg_temp.sp_u(${seed}::int, 42, r.h) ^ 2)::int as events,
                 floor(4000 * pg_temp.sp_u(${seed}::int, 43, r.h) ^ 2)::int as seconds,
                 8 + floor(12 * pg_temp.sp_u(${seed}::int, 44, r.h))::int as first_hour
            from rows_ r
        )
        select u.id, m.day,
               round((100 * pg_temp.sp_u(${seed}::int, 45, m.h) ^ 1.5)::numeric, 2),
               m.sessions, m.page_views, m.events, m.seconds,
               floor(m.sessions * pg_temp.sp_u(${seed}::int, 46, m.h))::int,
               array[m.first_hour, m.first_hour + 1]::smallint[],
               (m.day::timestamp + make_interval(hours => m.first_hour)) at time zone 'UTC',
               (m.day::timestamp + make_interval(hours => m.first_hour + 1, mins => 30)) at time zone 'UTC',
               ${anchor}::timestamptz, ${anchor}::timestamptz
          from metrics m
          join pg_temp.sp_users u on u.rank = m.rank
        on conflict (user_id, engagement_date) do nothing`);
      return count(conn, 'analytics_user_engagement');
    });

    // Audit history first, in ascending time: the chain trigger keeps
    // occurred_at monotonic, and the consent/request triggers below append
    // their own rows at the current time afterwards.
    const directAudit = Math.max(0, t.auditLogs - t.consents - t.dataRequests);
    await step('privacy_audit_logs (history)', async () => {
      await conn.query(sql`
        insert into public.privacy_audit_logs (
          id, user_id, actor_id, actor_role, event_type, event_category, compliance_status, risk_level,
          regulation, target_table, target_id, details, occurred_at)
        select pg_temp.sp_v7(a.occurred_at, 'al:' || ${seed}::int || ':' || a.i), u.id,
               case when a.kind < 3 then admin.id end,
               case when a.kind < 3 then 'admin' else 'service_role' end,
               (array['data_accessed','data_exported','profile_viewed','retention_checked','policy_updated',
                      'login_anomaly','consent_synced','export_downloaded','record_corrected','access_denied'])[1 + a.kind],
               (array['data_access','data_export','data_access','data_retention','policy_change',
                      'security','consent','data_export','data_access','security'])[1 + a.kind]::public.privacy_event_category,
               (case when a.risk >= 2 then 'needs_review' else 'compliant' end)::public.privacy_compliance_status,
               (array['low','medium','high','critical'])[1 + a.risk]::public.privacy_risk_level,
               (array['gdpr','ccpa'])[1 + (a.i % 2)::int]::public.privacy_regulation,
               'auth.users', u.id,
               jsonb_build_object('source', 'datagen', 'request', a.i),
               a.occurred_at
          from (
            select i,
                   floor(${t.users}::int * pg_temp.sp_u(${seed}::int, 50, i) ^ 3)::int as user_rank,
                   floor(10 * pg_temp.sp_u(${seed}::int, 51, i))::int as kind,
                   case when pg_temp.sp_u(${seed}::int, 52, i) < 0.80 then 0
                        when pg_temp.sp_u(${seed}::int, 52, i) < 0.95 then 1
                        when pg_temp.sp_u(${seed}::int, 52, i) < 0.99 then 2 else 3 end as risk,
                   ${anchor}::timestamptz - make_interval(secs => 365.0 * 86400 * pg_temp.sp_u(${seed}::int, 53, i) ^ 2.5 + 1) as occurred_at
              from generate_series(0, ${directAudit}::int - 1) i
          ) a
          join pg_temp.sp_users u on u.rank = a.user_rank
          join pg_temp.sp_users admin on admin.rank = ${t.users}::int - 1
         order by a.occurred_at, a.i`);
      return directAudit;
    });

    await step('privacy_consent_records', async () => {
      await conn.query(sql`
        insert into public.privacy_consent_records (
          id, user_id, anonymous_id, consent_type, consent_status, consent_version, legal_basis,
          regulation, source, recorded_at, expires_at, created_at, updated_at)
        select pg_temp.sp_v7(c.recorded_at, 'cr:' || ${seed}::int || ':' || c.i),
               case when c.anonymous then null else u.id end,
               case when c.anonymous then 'anon-' || ${seed}::int || '-' || c.i end,
               (enum_range(null::public.privacy_consent_type))[1 + floor(9 * pg_temp.sp_u(${seed}::int, 62, c.i))::int],
               c.status::public.privacy_consent_status,
               to_char(c.recorded_at at time zone 'UTC', 'YYYY-MM'),
               'consent',
               (array['gdpr','ccpa'])[1 + (c.i % 2)::int]::public.privacy_regulation,
               (array['banner','settings_page','signup_form','api'])[1 + floor(4 * pg_temp.sp_u(${seed}::int, 63, c.i))::int]::public.privacy_consent_source,
               c.recorded_at,
               case when c.status = 'granted' and pg_temp.sp_u(${seed}::int, 64, c.i) < 0.3 then c.recorded_at + interval '400 days' end,
               c.recorded_at, c.recorded_at
          from (
            select i,
                   pg_temp.sp_u(${seed}::int, 60, i) < 0.2 as anonymous,
                   floor(${t.users}::int * pg_temp.sp_u(${seed}::int, 61, i) ^ 2)::int as user_rank,
                   case when pg_temp.sp_u(${seed}::int, 65, i) < 0.6 then 'granted'
                        when pg_temp.sp_u(${seed}::int, 65, i) < 0.8 then 'denied'
                        when pg_temp.sp_u(${seed}::int, 65, i) < 0.95 then 'withdrawn' else 'expired' end as status,
                   ${anchor}::timestamptz - make_interval(secs => 365.0 * 86400 * pg_temp.sp_u(${seed}::int, 66, i) ^ 2 + 1) as recorded_at
              from generate_series(0, ${t.consents}::int - 1) i
          ) c
          join pg_temp.sp_users u on u.rank = c.user_rank
         order by c.recorded_at, c.i`);
      return count(conn, 'privacy_consent_records');
    });

    await step('privacy_data_requests', async () => {
      await conn.query(sql`
        insert into public.privacy_data_requests (
          user_id, request_type, request_status, regulation, verification_method, submitted_at,
          verified_at, completed_at, rejection_reason, created_at, updated_at)
        select u.id,
               (enum_range(null::public.privacy_request_type))[1 + floor(11 * pg_temp.sp_u(${seed}::int, 71, r.i))::int],
               r.status::public.privacy_request_status,
               r.regulation::public.privacy_regulation,
               case when r.status <> 'pending_verification' then 'email'::public.privacy_verification_method end,
               r.submitted_at,
               case when r.status in ('verified','in_progress','legal_review','completed') then r.submitted_at + interval '1 day' end,
               case when r.status = 'completed' then r.submitted_at + make_interval(days => 2 + floor(40 * pg_temp.sp_u(${seed}::int, 72, r.i))::int) end,
               case when r.status = 'rejected' then 'identity could not be verified' end,
               r.submitted_at, r.submitted_at
          from (
            select i,
                   floor(${t.users}::int * pg_temp.sp_u(${seed}::int, 70, i) ^ 2)::int as user_rank,
                   case when i % 2 = 0 then 'gdpr' else 'ccpa' end as regulation,
                   ${anchor}::timestamptz - make_interval(secs => 365.0 * 86400 * pg_temp.sp_u(${seed}::int, 73, i) ^ 1.5 + 3600) as age_at,
                   pg_temp.sp_u(${seed}::int, 74, i) as st
              from generate_series(0, ${t.dataRequests}::int - 1) i
          ) r0
          cross join lateral (
            select r0.i, r0.regulation, r0.age_at as submitted_at,
                   case when r0.age_at > ${anchor}::timestamptz - interval '60 days'
                        then (array['pending_verification','verified','in_progress','legal_review'])[1 + floor(4 * r0.st)::int]
                        when r0.st < 0.85 then 'completed'
                        when r0.st < 0.95 then 'rejected' else 'cancelled' end as status
          ) r
          join pg_temp.sp_users u on u.rank = r0.user_rank
         order by r.submitted_at`);
      return count(conn, 'privacy_data_requests');
    });

    await step('ingestion_logs', async () => {
      await conn.query(sql`
        insert into public.ingestion_logs (
          id, source, stream, ingestion_type, status, started_at, finished_at,
          records_processed, records_inserted, records_updated, records_skipped, records_failed,
          error_message, idempotency_key, created_at, updated_at)
        select pg_temp.sp_v7(l.started_at, 'il:' || ${seed}::int || ':' || l.i),
               (array['openfec','stripe','segment','hubspot','zendesk'])[1 + (l.stream_no % 5)],
               'stream_' || l.stream_no,
               (array['incremental','incremental','incremental','full','backfill'])[1 + floor(5 * pg_temp.sp_u(${seed}::int, 81, l.i))::int]::public.ingestion_type,
               l.status::public.ingestion_status,
               l.started_at,
               l.started_at + make_interval(secs => 5 + floor(600 * pg_temp.sp_u(${seed}::int, 82, l.i))),
               l.processed, (l.processed * 0.7)::bigint, (l.processed * 0.2)::bigint, (l.processed * 0.1)::bigint,
               case when l.status in ('failed','partial') then 7 else 0 end,
               case when l.status = 'failed' then 'upstream returned 503' end,
               'gen-' || ${seed}::int || '-' || l.i,
               l.started_at, l.started_at
          from (
            select i,
                   floor(${t.ingestionStreams}::int * pg_temp.sp_u(${seed}::int, 80, i) ^ 2)::int as stream_no,
                   case when pg_temp.sp_u(${seed}::int, 83, i) < 0.85 then 'succeeded'
                        when pg_temp.sp_u(${seed}::int, 83, i) < 0.90 then 'partial'
                        when pg_temp.sp_u(${seed}::int, 83, i) < 0.98 then 'failed' else 'cancelled' end as status,
                   ${anchor}::timestamptz - make_interval(secs => 90.0 * 86400 * pg_temp.sp_u(${seed}::int, 84, i) ^ 2.5 + 700) as started_at,
                   floor(10000 * pg_temp.sp_u(${seed}::int, 85, i))::bigint as processed
              from generate_series(0, ${t.ingestionLogs}::int - 1) i
          ) l
         order by l.started_at`);
      // One running run for every tenth stream (at most one per stream: partial unique index).
      await conn.query(sql`
        insert into public.ingestion_logs (id, source, stream, ingestion_type, status, started_at, idempotency_key)
        select pg_temp.sp_v7(${anchor}::timestamptz - interval '5 minutes', 'ilr:' || ${seed}::int || ':' || k),
               (array['openfec','stripe','segment','hubspot','zendesk'])[1 + (k % 5)], 'stream_' || k,
               'incremental', 'running', ${anchor}::timestamptz - make_interval(mins => 5 + k % 600), 'gen-running-' || ${seed}::int || '-' || k
          from generate_series(0, ${t.ingestionStreams}::int - 1, 10) k
        on conflict do nothing`);
      return count(conn, 'ingestion_logs');
    });

    await step('ingestion_cursors', async () => {
      await conn.query(sql`
        insert into public.ingestion_cursors (source, stream, cursor_type, cursor_value, cursor_metadata, version, last_run_id, last_success_at)
        select distinct on (l.source, l.stream) l.source, l.stream, 'keyset',
               'last:' || l.records_processed, jsonb_build_object('last_index', l.records_processed),
               1 + floor(100 * pg_temp.sp_u(${seed}::int, 90, l.records_processed))::bigint, l.id, l.finished_at
          from public.ingestion_logs l
         where l.status = 'succeeded' and l.idempotency_key like ${`gen-${seed}-%`}
         order by l.source, l.stream, l.started_at desc
        on conflict (source, stream) do nothing`);
      return count(conn, 'ingestion_cursors');
    });

    await step('fec synthetic master data', async () => {
      const existing = await count(conn, 'fec_committees');
      if (existing > 0) return 0;
      await conn.query(sql`
        insert into public.fec_candidates (candidate_id, name, party, office, state, district, election_year, election_years,
                                           incumbent_challenger, candidate_status, principal_committee_id, city, address_state)
        select c.office || lpad((c.i % 10)::text, 1, '0') || c.state || lpad(c.i::text, 5, '0'),
               'CANDIDATE ' || upper(substr(md5('cn:' || c.i), 1, 6)) || ', ' || (array['ANNA','BEN','CARLA','DAVID','EMMA','FRANK'])[1 + c.i % 6],
               (array['DEM','REP','LIB','GRE','IND'])[1 + floor(5 * pg_temp.sp_u(${seed}::int, 101, c.i) ^ 3)::int],
               c.office::public.fec_office, c.state,
               case when c.office = 'H' then lpad((1 + c.i % 20)::text, 2, '0') else '00' end,
               c.year, array[c.year]::smallint[],
               (array['I','C','O'])[1 + (c.i % 3)]::public.fec_incumbent_challenger,
               (array['C','F','N','P'])[1 + (c.i % 4)]::public.fec_candidate_status,
               'C' || lpad((90000000 + c.i)::text, 8, '0'),
               'CITY ' || (c.i % 50), c.state
          from (
            select i,
                   (array['H','H','H','S','P'])[1 + (i % 5)] as office,
                   (array['CA','TX','NY','FL','PA','OH','IL','GA','NC','MI','WA','AZ'])[1 + floor(12 * pg_temp.sp_u(${seed}::int, 100, i))::int] as state,
                   (2012 + 2 * (i % 7))::smallint as year
              from generate_series(0, ${t.fecCandidates}::int - 1) i
          ) c
        on conflict (candidate_id) do nothing`);
      await conn.query(sql`
        insert into public.fec_committees (committee_id, committee_name, treasurer_name, city, address_state,
                                           designation, committee_type, party, filing_frequency, candidate_id)
        select 'C' || lpad((90000000 + i)::text, 8, '0'),
               (array['FRIENDS OF ','CITIZENS FOR ','PEOPLE FOR ','COMMITTEE TO ELECT '])[1 + i % 4] || upper(substr(md5('cm:' || i), 1, 8)),
               'TREASURER ' || i, 'CITY ' || (i % 50), 'DC',
               (array['P','U','A','B','D','J'])[1 + floor(6 * pg_temp.sp_u(${seed}::int, 110, i) ^ 2)::int]::public.fec_committee_designation,
               (array['H','Q','N','S','P','O','X','Y'])[1 + floor(8 * pg_temp.sp_u(${seed}::int, 111, i))::int]::public.fec_committee_type,
               (array['DEM','REP','UNK'])[1 + i % 3],
               (array['Q','M','T'])[1 + floor(3 * pg_temp.sp_u(${seed}::int, 112, i) ^ 3)::int]::public.fec_filing_frequency,
               null
          from generate_series(0, ${t.fecCommittees}::int - 1) i
        on conflict (committee_id) do nothing`);
      await conn.query(sql`
        insert into public.fec_candidate_committees (linkage_id, candidate_id, committee_id, candidate_election_year,
                                                     fec_election_year, committee_type, designation)
        select 900000000 + row_number() over (order by c.candidate_id), c.candidate_id, m.committee_id,
               c.election_year, c.election_year, m.committee_type, 'P'
          from public.fec_candidates c
          join public.fec_committees m on m.committee_id = c.principal_committee_id
        on conflict (linkage_id) do nothing`);
      return (await count(conn, 'fec_candidates')) + (await count(conn, 'fec_committees'));
    });

    await step('fec_filings (synthetic)', async () => {
      // Reports of committees picked by skewed rank; 20% of reports have 1-2
      // amendments, chained through amends_filing_id (each version amended once).
      await conn.query(sql`drop table if exists pg_temp.sp_committees`);
      await conn.query(sql`
        create temp table sp_committees as
        select (row_number() over (order by committee_id) - 1)::int as rank, committee_id, committee_type
          from public.fec_committees`);
      await conn.query(sql`alter table pg_temp.sp_committees add primary key (rank)`);
      const committees = await count(conn, 'sp_committees', 'pg_temp');
      if (committees === 0) return 0;
      const reports = Math.ceil(t.fecFilings / 1.3);
      await conn.query(sql`
        insert into public.fec_filings (filing_id, committee_id, form_type, report_type, filing_date, coverage_start_date,
                                        coverage_end_date, election_cycle, amendment_indicator, amends_filing_id,
                                        receipts, disbursements, cash_on_hand, debts, processing_status, processed_at, raw)
        with reports as (
          select r,
                 floor(${committees}::int * pg_temp.sp_u(${seed}::int, 120, r) ^ 2)::int as committee_rank,
                 (2012 + 2 * floor(7 * pg_temp.sp_u(${seed}::int, 121, r)))::int as cycle,
                 case when pg_temp.sp_u(${seed}::int, 122, r) < 0.8 then 1
                      when pg_temp.sp_u(${seed}::int, 122, r) < 0.95 then 2 else 3 end as versions
            from generate_series(0, ${reports}::int - 1) r
        ), numbered as (
          select rp.*, sum(rp.versions) over (order by rp.r) - rp.versions as first_index
            from reports rp
        ), versions as (
          select n.*, v, 800000000 + n.first_index + v as filing_id,
                 make_date(n.cycle - 1, 1, 1) + floor(720 * pg_temp.sp_u(${seed}::int, 123, n.r))::int as period_end
            from numbered n, generate_series(0, n.versions - 1) v
        )
        select x.filing_id, c.committee_id,
               case c.committee_type when 'H' then 'F3' when 'S' then 'F3' when 'P' then 'F3P' else 'F3X' end,
               (array['Q1','Q2','Q3','YE','M3','M6','12G','30G','TER'])[1 + floor(9 * pg_temp.sp_u(${seed}::int, 124, x.r))::int],
               x.period_end + 15 + 20 * x.v,
               x.period_end - 90, x.period_end,
               x.cycle,
               (case when x.v > 0 then 'A' else 'N' end)::public.fec_amendment_indicator,
               case when x.v > 0 then x.filing_id - 1 end,
               round((2000000 * pg_temp.sp_u(${seed}::int, 125, x.r) ^ 4)::numeric, 2),
               round((1500000 * pg_temp.sp_u(${seed}::int, 126, x.r) ^ 4)::numeric, 2),
               round((800000 * pg_temp.sp_u(${seed}::int, 127, x.r) ^ 3)::numeric, 2),
               round((50000 * pg_temp.sp_u(${seed}::int, 128, x.r) ^ 6)::numeric, 2),
               (case when x.v < x.versions - 1 then 'superseded' else 'processed' end)::public.fec_filing_processing_status,
               ${anchor}::timestamptz,
               jsonb_build_object('source', 'datagen')
          from versions x
          join pg_temp.sp_committees c on c.rank = x.committee_rank
         order by x.filing_id`);
      return count(conn, 'fec_filings');
    });

    await step('rebuild deferred indexes', async () => {
      const rows = await conn.query(sql`select count(*)::int as n from pg_temp.sp_deferred_indexes`);
      await conn.query(sql`
        do $$
        declare d record;
        begin
          for d in select * from pg_temp.sp_deferred_indexes loop
            -- pg_get_indexdef of a partitioned index says ON ONLY (parent
            -- only); rebuild it on every partition as the migration did.
            execute replace(d.definition, ' ON ONLY ', ' ON ');
            if d.description is not null then
              execute format('comment on index %s is %L', d.name, d.description);
            end if;
          end loop;
        end $$`);
      return Number(rows[0]?.n ?? 0);
    });

    // VACUUM too, not only ANALYZE: it sets the visibility map now, so an
    // insert-triggered autovacuum cannot later change index-only-scan costs
    // (and plans) in the middle of a benchmark or between baseline runs.
    await step('analyze', async () => {
      await conn.query(sql`vacuum (analyze)`);
      return 0;
    });

    const tables = [
      ['auth', 'users'],
      ['public', 'analytics_sessions'],
      ['public', 'analytics_events'],
      ['public', 'analytics_page_views'],
      ['public', 'analytics_user_engagement'],
      ['public', 'privacy_consent_records'],
      ['public', 'privacy_data_requests'],
      ['public', 'privacy_audit_logs'],
      ['public', 'ingestion_logs'],
      ['public', 'ingestion_cursors'],
      ['public', 'fec_candidates'],
      ['public', 'fec_committees'],
      ['public', 'fec_candidate_committees'],
      ['public', 'fec_filings'],
    ] as const;
    const counts: Record<string, number> = {};
    for (const [schema, table] of tables) counts[schema === 'public' ? table : `${schema}.${table}`] = await count(conn, table, schema);
    const ids = await conn.query(sql`
      select (select id from pg_temp.sp_users where rank = 0) as heavy,
             (select id from pg_temp.sp_users where rank = ${t.users}::int - 1) as admin`);
    return {
      scale: options.scale,
      seed,
      anchor,
      targets: t,
      steps,
      counts,
      heavyUserId: String(ids[0]?.heavy),
      adminUserId: String(ids[0]?.admin),
      durationMs: Math.round(performance.now() - started),
    };
  };

  const pool = db as unknown as { task?: <T>(fn: (conn: Queryable) => Promise<T>) => Promise<T> };
  if (typeof pool.task === 'function') return pool.task((conn) => run(conn));
  return run(db);
}
