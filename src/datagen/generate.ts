/**
 * Deterministic synthetic data for the benchmark, generated entirely by
 * set-based SQL (`generate_series` + hashing of the series index), on two
 * pooled connections when a pool is given (independent tables in parallel):
 * no row is built in TypeScript. Medium scale takes about 50 s on 2 cores.
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
 *   * session counters: with triggers on (non-superuser) the statement
 *     triggers that own them count; in the bulk path (triggers off) each
 *     session is stored with its counts, derived from the same hashes that
 *     assign events and page views to sessions, and the schema's recount
 *     must then find nothing to correct (else the run fails); every foreign
 *     key of the bulk tables is checked by an anti-join;
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
import { sql, type Queryable, type SQLQuery } from '@databases/pg';
import type { Scale } from '../config/index.ts';
import { scaleTargets, type ScaleTargets } from './scales.ts';

export interface GenerateOptions {
  readonly scale: Scale;
  readonly seed: number;
  /** Time the generated history ends at (default: start of the current UTC day). */
  readonly anchor?: Date;
  /** Override individual targets (tests). */
  readonly targets?: Partial<ScaleTargets>;
  /**
   * 'auto' (default): bulk tables load with triggers off when the role is a
   * superuser, then foreign keys and counters are checked set-based; 'on':
   * every trigger fires row by row (the path of a non-superuser role).
   */
  readonly triggers?: 'auto' | 'on';
  /** Use a second pooled connection for independent steps (default true). */
  readonly parallel?: boolean;
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

/** Helper functions in the scratch schema: uniform hash, UUIDs, dynamic SQL. */
const helpers = [
  sql`create function schemaproof_datagen.sp_exec(statement text) returns void
      language plpgsql as $$ begin execute statement; end $$`,
  sql`create function schemaproof_datagen.sp_u(seed int, stream int, i bigint) returns double precision
      language sql immutable parallel safe as
      $$ select (hashint8extended(i, seed::bigint * 1000 + stream) & 140737488355327)::float8 / 140737488355328.0 $$`,
  sql`create function schemaproof_datagen.sp_uuid(k text) returns uuid
      language sql immutable parallel safe as $$ select md5(k)::uuid $$`,
  // UUID v7 from a time and a 64-bit key hash: 48-bit unix ms, version 7,
  // rand_a 0, variant 10, 60 bits of the hash. Each parameter is used once so
  // the planner inlines the function (a parameter used twice with a costly
  // argument is not inlined: 3x slower per row, measured on 200,000 ids).
  sql`create function schemaproof_datagen.sp_v7(t timestamptz, h bigint) returns uuid
      language sql immutable parallel safe as
      $$ select (lpad(to_hex(floor(date_part('epoch', t) * 1000)::bigint), 12, '0') || '7000'
                 || overlay(encode(int8send(h), 'hex') placing '8' from 1 for 1))::uuid $$`,
];

async function count(db: Queryable, table: string, schema = 'public'): Promise<number> {
  const rows = await db.query(sql`select count(*)::bigint as n from ${sql.ident(schema, table)}`);
  return Number(rows[0]?.n ?? 0);
}

export interface ForeignKeyOrphans {
  readonly constraint: string;
  readonly rows: number;
}

/**
 * Every foreign key declared on the given public tables, checked by one
 * anti-join each (MATCH SIMPLE: a row with any null key column is not
 * checked). Returns the constraints that have orphan rows.
 */
export async function checkForeignKeys(db: Queryable, tables: readonly string[]): Promise<ForeignKeyOrphans[]> {
  const constraints = await db.query(sql`
    select c.conname as name, cn.nspname as child_schema, cc.relname as child_table,
           pn.nspname as parent_schema, pc.relname as parent_table,
           array(select a.attname::text from unnest(c.conkey) with ordinality k(attnum, ord)
                   join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum order by k.ord) as columns,
           array(select a.attname::text from unnest(c.confkey) with ordinality k(attnum, ord)
                   join pg_catalog.pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.attnum order by k.ord) as parent_columns
      from pg_catalog.pg_constraint c
      join pg_catalog.pg_class cc on cc.oid = c.conrelid
      join pg_catalog.pg_namespace cn on cn.oid = cc.relnamespace
      join pg_catalog.pg_class pc on pc.oid = c.confrelid
      join pg_catalog.pg_namespace pn on pn.oid = pc.relnamespace
     where c.contype = 'f' and c.conparentid = 0
       and cn.nspname = 'public' and cc.relname = any (${tables as string[]})
     order by cc.relname, c.conname`);
  const orphans: ForeignKeyOrphans[] = [];
  for (const c of constraints) {
    const columns = c.columns as string[];
    const parentColumns = c.parent_columns as string[];
    const notNull = sql.join(columns.map((column) => sql`x.${sql.ident(column)} is not null`), sql` and `);
    const matches = sql.join(columns.map((column, i) => sql`p.${sql.ident(parentColumns[i] as string)} = x.${sql.ident(column)}`), sql` and `);
    const rows = await db.query(sql`
      select count(*)::bigint as n
        from ${sql.ident(c.child_schema, c.child_table)} x
       where ${notNull}
         and not exists (select 1 from ${sql.ident(c.parent_schema, c.parent_table)} p where ${matches})`);
    const n = Number(rows[0]?.n ?? 0);
    if (n > 0) orphans.push({ constraint: String(c.name), rows: n });
  }
  return orphans;
}

export async function generateData(db: Queryable & { task?: unknown }, options: GenerateOptions): Promise<GenerateResult> {
  const started = performance.now();
  const targets: ScaleTargets = { ...scaleTargets[options.scale], ...options.targets };
  const seed = options.seed;
  const anchorDate = options.anchor ?? new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
  const anchor = anchorDate.toISOString();
  const steps: GeneratedStep[] = [];
  const pool = db as unknown as { task?: <T>(fn: (conn: Queryable) => Promise<T>) => Promise<T> };
  // A second connection is only available from a pool.
  const parallel = options.parallel !== false && typeof pool.task === 'function';
  const t = targets;

  const timed = async (name: string, work: () => Promise<number>): Promise<void> => {
    const t0 = performance.now();
    const rows = await work();
    const entry = { step: name, rows, ms: Math.round(performance.now() - t0) };
    steps.push(entry);
    options.onProgress?.(entry);
  };
  const definitions = new Map<string, (conn: Queryable) => Promise<number>>();
  const define = (name: string, work: (conn: Queryable) => Promise<number>): void => {
    definitions.set(name, work);
  };
  const runSteps = async (conn: Queryable, names: readonly string[]): Promise<void> => {
    for (const name of names) {
      const work = definitions.get(name);
      if (!work) throw new Error(`internal: no generator step named ${name}`);
      await timed(name, () => work(conn));
    }
  };
  // Bulk load settings, per session.
  const setup = async (conn: Queryable): Promise<void> => {
    await conn.query(sql`set synchronous_commit = off`);
    await conn.query(sql`set maintenance_work_mem = '256MB'`).catch(() => undefined);
    await conn.query(sql`set work_mem = '256MB'`);
  };
  const onOther = <T>(work: (conn: Queryable) => Promise<T>): Promise<T> => {
    if (!pool.task) throw new Error('internal: no second connection');
    return pool.task(async (conn) => {
      await setup(conn);
      return work(conn);
    });
  };

  const run = async (main: Queryable): Promise<GenerateResult> => {
    // Scratch objects shared by the connections: the helper functions and the
    // user/session/committee pick lists. Dropped at the end.
    await main.query(sql`drop schema if exists schemaproof_datagen cascade`);
    await main.query(sql`create schema schemaproof_datagen`);
    for (const helper of helpers) await main.query(helper);

    // Bulk tables (sessions, events, page views, engagement, synthetic FEC)
    // are loaded with triggers off when the role may do so (superuser:
    // session_replication_role = replica). That skips one RI lookup per row
    // per foreign key and the counter trigger's update of every session per
    // statement; both are then done set-based, once: every foreign key of
    // those tables is checked by an anti-join (any orphan fails the run) and
    // the session counters are proven by the schema's own repair function.
    // The privacy tables always load with their triggers on: their audit
    // rows and hash chain come from the triggers.
    const superuser = await main.query(sql`select rolsuper from pg_catalog.pg_roles where rolname = current_user`);
    const triggersOff = options.triggers !== 'on' && superuser[0]?.rolsuper === true;
    const bypassedTables = new Set<string>();
    const bulk = async (conn: Queryable, tables: readonly string[], load: () => Promise<number>): Promise<number> => {
      if (!triggersOff) return load();
      for (const table of tables) bypassedTables.add(table);
      await conn.query(sql`set session_replication_role = replica`);
      try {
        return await load();
      } finally {
        await conn.query(sql`reset session_replication_role`);
      }
    };

    // Runs statements on up to two connections, heaviest first, each to the
    // connection with the least work so far.
    const spread = async (items: readonly { readonly weight: number; readonly queries: readonly SQLQuery[] }[]): Promise<void> => {
      const buckets: { weight: number; queries: SQLQuery[] }[] = parallel
        ? [{ weight: 0, queries: [] }, { weight: 0, queries: [] }]
        : [{ weight: 0, queries: [] }];
      for (const item of [...items].sort((a, b) => b.weight - a.weight)) {
        const bucket = buckets.reduce((least, candidate) => (candidate.weight < least.weight ? candidate : least));
        bucket.weight += item.weight;
        bucket.queries.push(...item.queries);
      }
      const execute = async (conn: Queryable, queries: readonly SQLQuery[]): Promise<void> => {
        for (const query of queries) await conn.query(query);
      };
      const [first, second] = buckets;
      await Promise.all([
        execute(main, first?.queries ?? []),
        second && second.queries.length > 0 ? onOther((conn) => execute(conn, second.queries)) : Promise.resolve(),
      ]);
    };

    // Bulk-load technique (table owner only): secondary indexes that back no
    // constraint are dropped before the load and rebuilt from their exact
    // catalog definitions (pg_get_indexdef + comment) afterwards. Building a
    // B-tree/GIN once is far cheaper than maintaining it per row; the end
    // state of the schema is identical. Constraint indexes stay in place.
    const volume: Readonly<Record<string, number>> = {
      analytics_events: t.events,
      analytics_page_views: t.pageViews,
      analytics_sessions: t.sessions,
      privacy_audit_logs: t.auditLogs,
      fec_filings: t.fecFilings,
    };
    const deferred = (await main.query(sql`
      select c.relname as table_name, i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as definition,
             obj_description(i.indexrelid, 'pg_class') as description
        from pg_index i
        join pg_class c on c.oid = i.indrelid
       where c.relnamespace = 'public'::regnamespace
         and c.relname = any (${Object.keys(volume)})
         and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)
         and not exists (select 1 from pg_inherits h where h.inhrelid = i.indexrelid)
       order by c.relname, i.indexrelid::regclass::text`)).map((row) => ({
      table: String(row.table_name),
      name: String(row.name),
      definition: String(row.definition),
      description: row.description === null ? null : String(row.description),
    }));
    for (const index of deferred) await main.query(sql`drop index ${sql.__dangerous__rawValue(index.name)}`);
    define('auth.users', async (conn) => {
      await conn.query(sql`
        create unlogged table schemaproof_datagen.sp_users as
        select r as rank, schemaproof_datagen.sp_uuid('sp-user:' || ${seed}::int || ':' || r) as id
          from generate_series(0, ${t.users}::int - 1) r`);
      await conn.query(sql`alter table schemaproof_datagen.sp_users add primary key (rank)`);
      const rows = await conn.query(sql`
        insert into auth.users (id, email, raw_app_meta_data, created_at, updated_at)
        select u.id, 'user' || u.rank || '.' || ${seed}::int || '@example.test',
               case when u.rank = ${t.users}::int - 1 then '{"provider":"email","role":"admin"}' else '{"provider":"email"}' end::jsonb,
               ${anchor}::timestamptz - interval '400 days', ${anchor}::timestamptz - interval '400 days'
          from schemaproof_datagen.sp_users u
        on conflict (id) do nothing
        returning 1`);
      return rows.length;
    });

    define('analytics_events partitions', async (conn) => {
      const rows = await conn.query(sql`
        select private.ensure_analytics_events_partitions(
          (${anchor}::timestamptz - interval '366 days')::date, (${anchor}::timestamptz + interval '1 month')::date) as created`);
      return rows.length;
    });

    define('analytics_sessions', (conn) => bulk(conn, ['analytics_sessions'], async () => {
      await conn.query(sql`
        create unlogged table schemaproof_datagen.sp_sessions as
        with base as (
          select i,
                 schemaproof_datagen.sp_u(${seed}::int, 1, i) < 0.3 as anonymous,
                 floor(${t.users}::int * schemaproof_datagen.sp_u(${seed}::int, 2, i) ^ 2.2)::int as user_rank,
                 ${anchor}::timestamptz
                   - make_interval(secs => 365.0 * 86400 * schemaproof_datagen.sp_u(${seed}::int, 3, i) ^ 2.5 + 60) as started_at,
                 least(21600, floor(-ln(1 - schemaproof_datagen.sp_u(${seed}::int, 4, i)) * 420))::int as duration
            from generate_series(0, ${t.sessions}::int - 1) i
        )
        select b.i as idx,
               'sp' || ${seed}::int || '-' || b.i as session_id,
               case when b.anonymous then null else u.id end as user_id,
               b.started_at,
               least(b.started_at + make_interval(secs => b.duration), ${anchor}::timestamptz) as ended_at,
               coalesce(e.n, 0) as event_count, coalesce(v.n, 0) as page_view_count
          from base b
          left join schemaproof_datagen.sp_users u on u.rank = b.user_rank
          -- The events and page views below pick their session by hashing
          -- their own index (streams 20 and 30), so each session's counts are
          -- known before any child row exists. With triggers off they are
          -- stored with the session and proven afterwards by the schema's
          -- recount; with triggers on the guard trigger zeroes them and the
          -- counter triggers count as the children arrive.
          left join (select floor(${t.sessions}::int * schemaproof_datagen.sp_u(${seed}::int, 20, i))::int as idx, count(*)::int as n
                       from generate_series(0, ${t.events}::int - 1) i group by 1) e on e.idx = b.i
          left join (select floor(${t.sessions}::int * schemaproof_datagen.sp_u(${seed}::int, 30, i))::int as idx, count(*)::int as n
                       from generate_series(0, ${t.pageViews}::int - 1) i group by 1) v on v.idx = b.i`);
      await conn.query(sql`alter table schemaproof_datagen.sp_sessions add primary key (idx)`);
      await conn.query(sql`analyze schemaproof_datagen.sp_sessions`);
      await conn.query(sql`
        insert into public.analytics_sessions (
          session_id, user_id, started_at, ended_at, entry_page, exit_page, referrer,
          utm_source, utm_medium, utm_campaign, device_type, browser_name, browser_version,
          os_name, os_version, device_fingerprint_hash, ip_truncated, country, region, city,
          event_count, page_view_count, created_at, updated_at)
        select s.session_id, s.user_id, s.started_at, s.ended_at,
               '/p/' || floor(200 * schemaproof_datagen.sp_u(${seed}::int, 5, s.idx) ^ 2)::int,
               '/p/' || floor(200 * schemaproof_datagen.sp_u(${seed}::int, 6, s.idx) ^ 2)::int,
               case when schemaproof_datagen.sp_u(${seed}::int, 7, s.idx) < 0.5 then 'https://search.example/q' end,
               case when schemaproof_datagen.sp_u(${seed}::int, 8, s.idx) < 0.2 then 'newsletter' end,
               case when schemaproof_datagen.sp_u(${seed}::int, 8, s.idx) < 0.2 then 'email' end,
               case when schemaproof_datagen.sp_u(${seed}::int, 8, s.idx) < 0.2 then 'spring_' || floor(schemaproof_datagen.sp_u(${seed}::int, 9, s.idx) * 20)::int end,
               (array['desktop','mobile','tablet','bot','other','unknown'])[1 + floor(6 * schemaproof_datagen.sp_u(${seed}::int, 10, s.idx) ^ 2)::int]::public.analytics_device_type,
               (array['chrome','safari','firefox','edge'])[1 + floor(4 * schemaproof_datagen.sp_u(${seed}::int, 11, s.idx) ^ 2)::int],
               (100 + floor(30 * schemaproof_datagen.sp_u(${seed}::int, 12, s.idx))::int)::text,
               (array['windows','macos','ios','android','linux'])[1 + floor(5 * schemaproof_datagen.sp_u(${seed}::int, 13, s.idx))::int],
               (10 + floor(8 * schemaproof_datagen.sp_u(${seed}::int, 14, s.idx))::int)::text,
               md5('fp1:' || s.idx) || md5('fp2:' || s.idx),
               ('10.' || floor(256 * schemaproof_datagen.sp_u(${seed}::int, 15, s.idx))::int || '.' || floor(256 * schemaproof_datagen.sp_u(${seed}::int, 16, s.idx))::int || '.0/24')::inet,
               (array['US','DE','FR','GB','NL','ES','IT','CA','BR','JP'])[1 + floor(10 * schemaproof_datagen.sp_u(${seed}::int, 17, s.idx) ^ 2)::int],
               'Region ' || floor(20 * schemaproof_datagen.sp_u(${seed}::int, 18, s.idx))::int,
               'City ' || floor(100 * schemaproof_datagen.sp_u(${seed}::int, 19, s.idx))::int,
               s.event_count, s.page_view_count,
               s.started_at, s.started_at
          from schemaproof_datagen.sp_sessions s
         order by s.started_at`);
      return count(conn, 'analytics_sessions');
    }));

    define('analytics_events', (conn) => bulk(conn, ['analytics_events'], async () => {
      await conn.query(sql`
        insert into public.analytics_events (
          id, user_id, session_id, event_type, event_category, event_name, event_data,
          occurred_at, page_url, page_path, created_at, updated_at)
        select schemaproof_datagen.sp_v7(e.occurred_at, hashint8extended(e.i, ${seed}::bigint * 1000 + 900)), e.user_id, e.session_id,
               (array['click','scroll','form_submit','search','add_to_cart','purchase','signup','login','logout','video_play',
                      'share','download','error','rage_click','hover','copy_text','file_upload','notification_open','settings_change','invite_sent'])[1 + e.kind],
               (array['interaction','interaction','conversion','discovery','commerce','commerce','account','account','account','media',
                      'social','content','system','interaction','interaction','content','content','engagement','account','social'])[1 + e.kind],
               'Event ' || e.kind,
               jsonb_build_object(
                 'campaign', 'c' || floor(500 * schemaproof_datagen.sp_u(${seed}::int, 22, e.i) ^ 2)::int,
                 'plan', (array['free','pro','team','enterprise'])[1 + floor(4 * schemaproof_datagen.sp_u(${seed}::int, 23, e.i) ^ 2)::int],
                 'value', floor(1000 * schemaproof_datagen.sp_u(${seed}::int, 24, e.i))::int,
                 'variant', case when schemaproof_datagen.sp_u(${seed}::int, 25, e.i) < 0.5 then 'a' else 'b' end),
               e.occurred_at,
               'https://app.example/p/' || e.page, '/p/' || e.page,
               e.occurred_at, e.occurred_at
          from (
            select x.i, s.user_id, s.session_id,
                   least(s.started_at + (s.ended_at - s.started_at) * schemaproof_datagen.sp_u(${seed}::int, 21, x.i), ${anchor}::timestamptz) as occurred_at,
                   floor(20 * schemaproof_datagen.sp_u(${seed}::int, 26, x.i) ^ 1.8)::int as kind,
                   floor(200 * schemaproof_datagen.sp_u(${seed}::int, 27, x.i) ^ 2)::int as page
              from generate_series(0, ${t.events}::int - 1) x(i)
              join schemaproof_datagen.sp_sessions s on s.idx = floor(${t.sessions}::int * schemaproof_datagen.sp_u(${seed}::int, 20, x.i))::int
             -- Rows arrive in time order, as they would in production. The
             -- sort runs on these narrow rows (offset 0 keeps the subquery
             -- from being flattened): the wide columns are built after it.
             order by 4, 1 offset 0
          ) e`);
      return count(conn, 'analytics_events');
    }));

    define('analytics_page_views', (conn) => bulk(conn, ['analytics_page_views'], async () => {
      await conn.query(sql`
        insert into public.analytics_page_views (
          id, user_id, session_id, page_url, page_path, page_title, page_category, referrer_url,
          viewed_at, time_on_page_seconds, scroll_depth_percent, is_entry, is_exit, created_at, updated_at)
        select schemaproof_datagen.sp_v7(v.viewed_at, hashint8extended(v.i, ${seed}::bigint * 1000 + 901)), v.user_id, v.session_id,
               'https://app.example/p/' || v.page, '/p/' || v.page, 'Page ' || v.page,
               (array['home','blog','pricing','docs','account'])[1 + v.page % 5],
               case when schemaproof_datagen.sp_u(${seed}::int, 33, v.i) < 0.3 then 'https://search.example/q' end,
               v.viewed_at,
               floor(-ln(1 - schemaproof_datagen.sp_u(${seed}::int, 34, v.i)) * 45)::int,
               floor(101 * schemaproof_datagen.sp_u(${seed}::int, 35, v.i))::smallint,
               schemaproof_datagen.sp_u(${seed}::int, 36, v.i) < 0.4,
               schemaproof_datagen.sp_u(${seed}::int, 37, v.i) < 0.4,
               v.viewed_at, v.viewed_at
          from (
            select x.i, s.user_id, s.session_id,
                   least(s.started_at + (s.ended_at - s.started_at) * schemaproof_datagen.sp_u(${seed}::int, 31, x.i), ${anchor}::timestamptz) as viewed_at,
                   floor(200 * schemaproof_datagen.sp_u(${seed}::int, 32, x.i) ^ 2.5)::int as page
              from generate_series(0, ${t.pageViews}::int - 1) x(i)
              join schemaproof_datagen.sp_sessions s on s.idx = floor(${t.sessions}::int * schemaproof_datagen.sp_u(${seed}::int, 30, x.i))::int
             order by 4, 1 offset 0
          ) v`);
      return count(conn, 'analytics_page_views');
    }));

    define('analytics_user_engagement', (conn) => bulk(conn, ['analytics_user_engagement'], async () => {
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
                 1 + floor(6 * schemaproof_datagen.sp_u(${seed}::int, 40, r.h) ^ 2)::int as sessions,
                 floor(30 * schemaproof_datagen.sp_u(${seed}::int, 41, r.h) ^ 2)::int as page_views,
                 floor(80 * schemaproof_datagen.sp_u(${seed}::int, 42, r.h) ^ 2)::int as events,
                 floor(4000 * schemaproof_datagen.sp_u(${seed}::int, 43, r.h) ^ 2)::int as seconds,
                 8 + floor(12 * schemaproof_datagen.sp_u(${seed}::int, 44, r.h))::int as first_hour
            from rows_ r
        )
        select u.id, m.day,
               round((100 * schemaproof_datagen.sp_u(${seed}::int, 45, m.h) ^ 1.5)::numeric, 2),
               m.sessions, m.page_views, m.events, m.seconds,
               floor(m.sessions * schemaproof_datagen.sp_u(${seed}::int, 46, m.h))::int,
               array[m.first_hour, m.first_hour + 1]::smallint[],
               (m.day::timestamp + make_interval(hours => m.first_hour)) at time zone 'UTC',
               (m.day::timestamp + make_interval(hours => m.first_hour + 1, mins => 30)) at time zone 'UTC',
               ${anchor}::timestamptz, ${anchor}::timestamptz
          from metrics m
          join schemaproof_datagen.sp_users u on u.rank = m.rank
        on conflict (user_id, engagement_date) do nothing`);
      return count(conn, 'analytics_user_engagement');
    }));

    // Audit history first, in ascending time: the chain trigger keeps
    // occurred_at monotonic, and the consent/request triggers below append
    // their own rows at the current time afterwards.
    const directAudit = Math.max(0, t.auditLogs - t.consents - t.dataRequests);
    define('privacy_audit_logs (history)', async (conn) => {
      await conn.query(sql`
        insert into public.privacy_audit_logs (
          id, user_id, actor_id, actor_role, event_type, event_category, compliance_status, risk_level,
          regulation, target_table, target_id, details, occurred_at)
        select schemaproof_datagen.sp_v7(a.occurred_at, hashint8extended(a.i, ${seed}::bigint * 1000 + 902)), u.id,
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
                   floor(${t.users}::int * schemaproof_datagen.sp_u(${seed}::int, 50, i) ^ 3)::int as user_rank,
                   floor(10 * schemaproof_datagen.sp_u(${seed}::int, 51, i))::int as kind,
                   case when schemaproof_datagen.sp_u(${seed}::int, 52, i) < 0.80 then 0
                        when schemaproof_datagen.sp_u(${seed}::int, 52, i) < 0.95 then 1
                        when schemaproof_datagen.sp_u(${seed}::int, 52, i) < 0.99 then 2 else 3 end as risk,
                   ${anchor}::timestamptz - make_interval(secs => 365.0 * 86400 * schemaproof_datagen.sp_u(${seed}::int, 53, i) ^ 2.5 + 1) as occurred_at
              from generate_series(0, ${directAudit}::int - 1) i
          ) a
          join schemaproof_datagen.sp_users u on u.rank = a.user_rank
          join schemaproof_datagen.sp_users admin on admin.rank = ${t.users}::int - 1
         order by a.occurred_at, a.i`);
      return directAudit;
    });

    define('privacy_consent_records', async (conn) => {
      await conn.query(sql`
        insert into public.privacy_consent_records (
          id, user_id, anonymous_id, consent_type, consent_status, consent_version, legal_basis,
          regulation, source, recorded_at, expires_at, created_at, updated_at)
        select schemaproof_datagen.sp_v7(c.recorded_at, hashint8extended(c.i, ${seed}::bigint * 1000 + 903)),
               case when c.anonymous then null else u.id end,
               case when c.anonymous then 'anon-' || ${seed}::int || '-' || c.i end,
               (enum_range(null::public.privacy_consent_type))[1 + floor(9 * schemaproof_datagen.sp_u(${seed}::int, 62, c.i))::int],
               c.status::public.privacy_consent_status,
               to_char(c.recorded_at at time zone 'UTC', 'YYYY-MM'),
               'consent',
               (array['gdpr','ccpa'])[1 + (c.i % 2)::int]::public.privacy_regulation,
               (array['banner','settings_page','signup_form','api'])[1 + floor(4 * schemaproof_datagen.sp_u(${seed}::int, 63, c.i))::int]::public.privacy_consent_source,
               c.recorded_at,
               case when c.status = 'granted' and schemaproof_datagen.sp_u(${seed}::int, 64, c.i) < 0.3 then c.recorded_at + interval '400 days' end,
               c.recorded_at, c.recorded_at
          from (
            select i,
                   schemaproof_datagen.sp_u(${seed}::int, 60, i) < 0.2 as anonymous,
                   floor(${t.users}::int * schemaproof_datagen.sp_u(${seed}::int, 61, i) ^ 2)::int as user_rank,
                   case when schemaproof_datagen.sp_u(${seed}::int, 65, i) < 0.6 then 'granted'
                        when schemaproof_datagen.sp_u(${seed}::int, 65, i) < 0.8 then 'denied'
                        when schemaproof_datagen.sp_u(${seed}::int, 65, i) < 0.95 then 'withdrawn' else 'expired' end as status,
                   ${anchor}::timestamptz - make_interval(secs => 365.0 * 86400 * schemaproof_datagen.sp_u(${seed}::int, 66, i) ^ 2 + 1) as recorded_at
              from generate_series(0, ${t.consents}::int - 1) i
          ) c
          join schemaproof_datagen.sp_users u on u.rank = c.user_rank
         order by c.recorded_at, c.i`);
      return count(conn, 'privacy_consent_records');
    });

    define('privacy_data_requests', async (conn) => {
      await conn.query(sql`
        insert into public.privacy_data_requests (
          user_id, request_type, request_status, regulation, verification_method, submitted_at,
          verified_at, completed_at, rejection_reason, created_at, updated_at)
        select u.id,
               (enum_range(null::public.privacy_request_type))[1 + floor(11 * schemaproof_datagen.sp_u(${seed}::int, 71, r.i))::int],
               r.status::public.privacy_request_status,
               r.regulation::public.privacy_regulation,
               case when r.status <> 'pending_verification' then 'email'::public.privacy_verification_method end,
               r.submitted_at,
               case when r.status in ('verified','in_progress','legal_review','completed') then r.submitted_at + interval '1 day' end,
               case when r.status = 'completed' then r.submitted_at + make_interval(days => 2 + floor(40 * schemaproof_datagen.sp_u(${seed}::int, 72, r.i))::int) end,
               case when r.status = 'rejected' then 'identity could not be verified' end,
               r.submitted_at, r.submitted_at
          from (
            select i,
                   floor(${t.users}::int * schemaproof_datagen.sp_u(${seed}::int, 70, i) ^ 2)::int as user_rank,
                   case when i % 2 = 0 then 'gdpr' else 'ccpa' end as regulation,
                   ${anchor}::timestamptz - make_interval(secs => 365.0 * 86400 * schemaproof_datagen.sp_u(${seed}::int, 73, i) ^ 1.5 + 3600) as age_at,
                   schemaproof_datagen.sp_u(${seed}::int, 74, i) as st
              from generate_series(0, ${t.dataRequests}::int - 1) i
          ) r0
          cross join lateral (
            select r0.i, r0.regulation, r0.age_at as submitted_at,
                   case when r0.age_at > ${anchor}::timestamptz - interval '60 days'
                        then (array['pending_verification','verified','in_progress','legal_review'])[1 + floor(4 * r0.st)::int]
                        when r0.st < 0.85 then 'completed'
                        when r0.st < 0.95 then 'rejected' else 'cancelled' end as status
          ) r
          join schemaproof_datagen.sp_users u on u.rank = r0.user_rank
         order by r.submitted_at`);
      return count(conn, 'privacy_data_requests');
    });

    define('ingestion_logs', async (conn) => {
      await conn.query(sql`
        insert into public.ingestion_logs (
          id, source, stream, ingestion_type, status, started_at, finished_at,
          records_processed, records_inserted, records_updated, records_skipped, records_failed,
          error_message, idempotency_key, created_at, updated_at)
        select schemaproof_datagen.sp_v7(l.started_at, hashint8extended(l.i, ${seed}::bigint * 1000 + 904)),
               (array['openfec','stripe','segment','hubspot','zendesk'])[1 + (l.stream_no % 5)],
               'stream_' || l.stream_no,
               (array['incremental','incremental','incremental','full','backfill'])[1 + floor(5 * schemaproof_datagen.sp_u(${seed}::int, 81, l.i))::int]::public.ingestion_type,
               l.status::public.ingestion_status,
               l.started_at,
               l.started_at + make_interval(secs => 5 + floor(600 * schemaproof_datagen.sp_u(${seed}::int, 82, l.i))),
               l.processed, (l.processed * 0.7)::bigint, (l.processed * 0.2)::bigint, (l.processed * 0.1)::bigint,
               case when l.status in ('failed','partial') then 7 else 0 end,
               case when l.status = 'failed' then 'upstream returned 503' end,
               'gen-' || ${seed}::int || '-' || l.i,
               l.started_at, l.started_at
          from (
            select i,
                   floor(${t.ingestionStreams}::int * schemaproof_datagen.sp_u(${seed}::int, 80, i) ^ 2)::int as stream_no,
                   case when schemaproof_datagen.sp_u(${seed}::int, 83, i) < 0.85 then 'succeeded'
                        when schemaproof_datagen.sp_u(${seed}::int, 83, i) < 0.90 then 'partial'
                        when schemaproof_datagen.sp_u(${seed}::int, 83, i) < 0.98 then 'failed' else 'cancelled' end as status,
                   ${anchor}::timestamptz - make_interval(secs => 90.0 * 86400 * schemaproof_datagen.sp_u(${seed}::int, 84, i) ^ 2.5 + 700) as started_at,
                   floor(10000 * schemaproof_datagen.sp_u(${seed}::int, 85, i))::bigint as processed
              from generate_series(0, ${t.ingestionLogs}::int - 1) i
          ) l
         order by l.started_at`);
      // One running run for every tenth stream (at most one per stream: partial unique index).
      await conn.query(sql`
        insert into public.ingestion_logs (id, source, stream, ingestion_type, status, started_at, idempotency_key)
        select schemaproof_datagen.sp_v7(${anchor}::timestamptz - interval '5 minutes', hashint8extended(k, ${seed}::bigint * 1000 + 905)),
               (array['openfec','stripe','segment','hubspot','zendesk'])[1 + (k % 5)], 'stream_' || k,
               'incremental', 'running', ${anchor}::timestamptz - make_interval(mins => 5 + k % 600), 'gen-running-' || ${seed}::int || '-' || k
          from generate_series(0, ${t.ingestionStreams}::int - 1, 10) k
        on conflict do nothing`);
      return count(conn, 'ingestion_logs');
    });

    define('ingestion_cursors', async (conn) => {
      await conn.query(sql`
        insert into public.ingestion_cursors (source, stream, cursor_type, cursor_value, cursor_metadata, version, last_run_id, last_success_at)
        select distinct on (l.source, l.stream) l.source, l.stream, 'keyset',
               'last:' || l.records_processed, jsonb_build_object('last_index', l.records_processed),
               1 + floor(100 * schemaproof_datagen.sp_u(${seed}::int, 90, l.records_processed))::bigint, l.id, l.finished_at
          from public.ingestion_logs l
         where l.status = 'succeeded' and l.idempotency_key like ${`gen-${seed}-%`}
         order by l.source, l.stream, l.started_at desc
        on conflict (source, stream) do nothing`);
      return count(conn, 'ingestion_cursors');
    });

    define('fec synthetic master data', async (conn) => {
      const existing = await count(conn, 'fec_committees');
      if (existing > 0) return 0;
      await conn.query(sql`
        insert into public.fec_candidates (candidate_id, name, party, office, state, district, election_year, election_years,
                                           incumbent_challenger, candidate_status, principal_committee_id, city, address_state)
        select c.office || lpad((c.i % 10)::text, 1, '0') || c.state || lpad(c.i::text, 5, '0'),
               'CANDIDATE ' || upper(substr(md5('cn:' || c.i), 1, 6)) || ', ' || (array['ANNA','BEN','CARLA','DAVID','EMMA','FRANK'])[1 + c.i % 6],
               (array['DEM','REP','LIB','GRE','IND'])[1 + floor(5 * schemaproof_datagen.sp_u(${seed}::int, 101, c.i) ^ 3)::int],
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
                   (array['CA','TX','NY','FL','PA','OH','IL','GA','NC','MI','WA','AZ'])[1 + floor(12 * schemaproof_datagen.sp_u(${seed}::int, 100, i))::int] as state,
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
               (array['P','U','A','B','D','J'])[1 + floor(6 * schemaproof_datagen.sp_u(${seed}::int, 110, i) ^ 2)::int]::public.fec_committee_designation,
               (array['H','Q','N','S','P','O','X','Y'])[1 + floor(8 * schemaproof_datagen.sp_u(${seed}::int, 111, i))::int]::public.fec_committee_type,
               (array['DEM','REP','UNK'])[1 + i % 3],
               (array['Q','M','T'])[1 + floor(3 * schemaproof_datagen.sp_u(${seed}::int, 112, i) ^ 3)::int]::public.fec_filing_frequency,
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

    define('fec_filings (synthetic)', (conn) => bulk(conn, ['fec_filings'], async () => {
      // Reports of committees picked by skewed rank; 20% of reports have 1-2
      // amendments, chained through amends_filing_id (each version amended once).
      await conn.query(sql`
        create unlogged table schemaproof_datagen.sp_committees as
        select (row_number() over (order by committee_id) - 1)::int as rank, committee_id, committee_type
          from public.fec_committees`);
      await conn.query(sql`alter table schemaproof_datagen.sp_committees add primary key (rank)`);
      const committees = await count(conn, 'sp_committees', 'schemaproof_datagen');
      if (committees === 0) return 0;
      const reports = Math.ceil(t.fecFilings / 1.3);
      await conn.query(sql`
        insert into public.fec_filings (filing_id, committee_id, form_type, report_type, filing_date, coverage_start_date,
                                        coverage_end_date, election_cycle, amendment_indicator, amends_filing_id,
                                        receipts, disbursements, cash_on_hand, debts, processing_status, processed_at, raw)
        with reports as (
          select r,
                 floor(${committees}::int * schemaproof_datagen.sp_u(${seed}::int, 120, r) ^ 2)::int as committee_rank,
                 (2012 + 2 * floor(7 * schemaproof_datagen.sp_u(${seed}::int, 121, r)))::int as cycle,
                 case when schemaproof_datagen.sp_u(${seed}::int, 122, r) < 0.8 then 1
                      when schemaproof_datagen.sp_u(${seed}::int, 122, r) < 0.95 then 2 else 3 end as versions
            from generate_series(0, ${reports}::int - 1) r
        ), numbered as (
          select rp.*, sum(rp.versions) over (order by rp.r) - rp.versions as first_index
            from reports rp
        ), versions as (
          select n.*, v, 800000000 + n.first_index + v as filing_id,
                 make_date(n.cycle - 1, 1, 1) + floor(720 * schemaproof_datagen.sp_u(${seed}::int, 123, n.r))::int as period_end
            from numbered n, generate_series(0, n.versions - 1) v
        )
        select x.filing_id, c.committee_id,
               case c.committee_type when 'H' then 'F3' when 'S' then 'F3' when 'P' then 'F3P' else 'F3X' end,
               (array['Q1','Q2','Q3','YE','M3','M6','12G','30G','TER'])[1 + floor(9 * schemaproof_datagen.sp_u(${seed}::int, 124, x.r))::int],
               x.period_end + 15 + 20 * x.v,
               x.period_end - 90, x.period_end,
               x.cycle,
               (case when x.v > 0 then 'A' else 'N' end)::public.fec_amendment_indicator,
               case when x.v > 0 then x.filing_id - 1 end,
               round((2000000 * schemaproof_datagen.sp_u(${seed}::int, 125, x.r) ^ 4)::numeric, 2),
               round((1500000 * schemaproof_datagen.sp_u(${seed}::int, 126, x.r) ^ 4)::numeric, 2),
               round((800000 * schemaproof_datagen.sp_u(${seed}::int, 127, x.r) ^ 3)::numeric, 2),
               round((50000 * schemaproof_datagen.sp_u(${seed}::int, 128, x.r) ^ 6)::numeric, 2),
               (case when x.v < x.versions - 1 then 'superseded' else 'processed' end)::public.fec_filing_processing_status,
               ${anchor}::timestamptz,
               jsonb_build_object('source', 'datagen')
          from versions x
          join schemaproof_datagen.sp_committees c on c.rank = x.committee_rank
         order by x.filing_id`);
      return count(conn, 'fec_filings');
    }));

    define('foreign keys (set-based check)', async (conn) => {
      const orphans = await checkForeignKeys(conn, [...bypassedTables]);
      if (orphans.length > 0) {
        throw new Error(`generated data breaks foreign keys: ${orphans.map((o) => `${o.constraint} (${o.rows} rows)`).join(', ')}`);
      }
      return bypassedTables.size;
    });
    define('session counters (recount)', async (conn) => {
      const rows = await conn.query(sql`select private.analytics_sessions_recount(null) as fixed`);
      const fixed = Number(rows[0]?.fixed ?? 0);
      if (fixed > 0) throw new Error(`generated session counters were wrong for ${fixed} sessions (the schema's recount had to correct them)`);
      return count(conn, 'analytics_sessions');
    });
    // The schema's rollups and markers (sql/00014-rollups.sql) are kept by
    // triggers the bulk load bypassed: recompute them from the loaded rows,
    // after the session counters (is_bounce reads them) and the index builds
    // (the marker fix-up probes fec_filings by amends_filing_id).
    define('rollups (rebuild)', async (conn) => {
      const rows = await conn.query(sql`select sum(rows_written)::bigint as rows from private.rebuild_rollups()`);
      return Number(rows[0]?.rows ?? 0);
    });

    // ---- Orchestration ------------------------------------------------------
    // 1. users and partitions (everything hangs off them);
    // 2. two tracks in parallel, each on its own connection, balanced by
    //    measured cost: sessions -> events -> FEC | the privacy chain ->
    //    ingestion -> engagement -> page views (which wait for the sessions).
    //    Only with triggers off: with the counter triggers on, events and
    //    page views would both update every session row and could deadlock,
    //    so then everything runs on one connection in dependency order;
    // 3. set-based checks, then index builds and VACUUM ANALYZE spread over
    //    the connections, largest first.
    await setup(main);
    await runSteps(main, ['auth.users', 'analytics_events partitions']);
    const trackA = ['analytics_events', 'fec synthetic master data', 'fec_filings (synthetic)'];
    const trackB = ['privacy_audit_logs (history)', 'privacy_consent_records', 'privacy_data_requests', 'ingestion_logs', 'ingestion_cursors', 'analytics_user_engagement'];
    if (triggersOff && parallel) {
      const sessions = runSteps(main, ['analytics_sessions']);
      const first = sessions.then(() => runSteps(main, trackA));
      const second = onOther(async (conn) => {
        await runSteps(conn, trackB);
        await sessions;
        await runSteps(conn, ['analytics_page_views']);
      });
      const [a, b] = await Promise.allSettled([first, second]);
      for (const outcome of [a, b]) if (outcome.status === 'rejected') throw outcome.reason;
    } else {
      await runSteps(main, ['analytics_sessions', ...trackA, ...trackB, 'analytics_page_views']);
    }
    if (bypassedTables.size > 0) await runSteps(main, ['foreign keys (set-based check)', 'session counters (recount)']);

    // Indexes of one table stay on one connection (builds of the same table
    // would queue on its catalog rows); tables are spread by volume.
    await timed('rebuild deferred indexes', async () => {
      const byTable = new Map<string, SQLQuery[]>();
      for (const index of deferred) {
        // pg_get_indexdef of a partitioned index says ON ONLY (parent only);
        // rebuild it on every partition as the migration did.
        const queries = byTable.get(index.table) ?? [];
        queries.push(sql`${sql.__dangerous__rawValue(index.definition.replace(' ON ONLY ', ' ON '))}`);
        if (index.description !== null) {
          queries.push(sql`select schemaproof_datagen.sp_exec(format('comment on index %s is %L', ${index.name}::text, ${index.description}::text))`);
        }
        byTable.set(index.table, queries);
      }
      await spread([...byTable].map(([table, queries]) => ({ weight: (volume[table] ?? 0) * queries.length, queries })));
      return deferred.length;
    });

    if (bypassedTables.size > 0) await runSteps(main, ['rollups (rebuild)']);

    // VACUUM too, not only ANALYZE: it sets the visibility map now, so an
    // insert-triggered autovacuum cannot later change index-only-scan costs
    // (and plans) in the middle of a benchmark or between baseline runs.
    // Each table (a partitioned table with its partitions) once.
    await timed('analyze', async () => {
      const tables = await main.query(sql`
        select format('%I.%I', n.nspname, c.relname) as name,
               (select sum(pg_catalog.pg_relation_size(p.relid)) from pg_catalog.pg_partition_tree(c.oid) p)::float8 as weight
          from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
         where c.relkind in ('r', 'p', 'm') and not c.relispartition
           and n.nspname in ('public', 'auth', 'private')`);
      await spread(tables.map((table) => ({ weight: Number(table.weight), queries: [sql`vacuum (analyze) ${sql.__dangerous__rawValue(String(table.name))}`] })));
      return tables.length;
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
    for (const [schema, table] of tables) counts[schema === 'public' ? table : `${schema}.${table}`] = await count(main, table, schema);
    const ids = await main.query(sql`
      select (select id from schemaproof_datagen.sp_users where rank = 0) as heavy,
             (select id from schemaproof_datagen.sp_users where rank = ${t.users}::int - 1) as admin`);
    await main.query(sql`drop schema schemaproof_datagen cascade`);
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

  if (typeof pool.task === 'function') return pool.task((conn) => run(conn));
  return run(db);
}
