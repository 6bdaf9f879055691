-- analytics_structure.sql: tables, columns, keys, indexes, triggers, RLS,
-- policies and grants of the analytics area (sql/00003, policies/analytics.sql).
begin;
set search_path = public, extensions;
select plan(299);

-- ---------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------
select has_enum('public', 'analytics_device_type', 'enum analytics_device_type exists');
select enum_has_labels('public', 'analytics_device_type',
  array['desktop', 'mobile', 'tablet', 'bot', 'other', 'unknown'], 'analytics_device_type labels');

-- ---------------------------------------------------------------------------
-- Tables and columns
-- ---------------------------------------------------------------------------
select has_table('public', t, 'table ' || t || ' exists')
  from unnest(array['analytics_sessions', 'analytics_events', 'analytics_page_views', 'analytics_user_engagement']) t;

select columns_are('public', 'analytics_sessions', array[
  'id', 'session_id', 'user_id', 'owner_key', 'started_at', 'ended_at', 'duration_seconds',
  'page_view_count', 'event_count', 'is_bounce', 'entry_page', 'exit_page', 'referrer',
  'utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content', 'device_type',
  'browser_name', 'browser_version', 'os_name', 'os_version', 'device_fingerprint_hash',
  'ip_truncated', 'country', 'region', 'city', 'created_at', 'updated_at'
]::name[], 'analytics_sessions has exactly the expected columns');
select columns_are('public', 'analytics_events', array[
  'id', 'user_id', 'session_id', 'owner_key', 'event_type', 'event_category', 'event_name',
  'event_data', 'occurred_at', 'page_url', 'page_path', 'created_at', 'updated_at'
]::name[], 'analytics_events has exactly the expected columns');
select columns_are('public', 'analytics_page_views', array[
  'id', 'user_id', 'session_id', 'owner_key', 'page_url', 'page_path', 'page_title', 'page_category',
  'referrer_url', 'viewed_at', 'time_on_page_seconds', 'scroll_depth_percent', 'is_entry', 'is_exit',
  'created_at', 'updated_at'
]::name[], 'analytics_page_views has exactly the expected columns');
select columns_are('public', 'analytics_user_engagement', array[
  'id', 'user_id', 'engagement_date', 'engagement_score', 'total_sessions', 'total_page_views',
  'total_events', 'total_time_seconds', 'bounce_sessions', 'active_hours', 'first_activity_at',
  'last_activity_at', 'created_at', 'updated_at'
]::name[], 'analytics_user_engagement has exactly the expected columns');

select col_type_is('public', 'analytics_sessions', c, t, 'analytics_sessions.' || c || ' is ' || t)
  from (values
    ('id', 'uuid'), ('session_id', 'text'), ('user_id', 'uuid'), ('owner_key', 'uuid'),
    ('started_at', 'timestamp with time zone'), ('ended_at', 'timestamp with time zone'),
    ('duration_seconds', 'integer'), ('page_view_count', 'integer'), ('event_count', 'integer'),
    ('is_bounce', 'boolean'), ('entry_page', 'text'), ('exit_page', 'text'), ('referrer', 'text'),
    ('utm_source', 'text'), ('utm_medium', 'text'), ('utm_campaign', 'text'), ('utm_term', 'text'),
    ('utm_content', 'text'), ('device_type', 'analytics_device_type'), ('browser_name', 'text'),
    ('browser_version', 'text'), ('os_name', 'text'), ('os_version', 'text'),
    ('device_fingerprint_hash', 'text'), ('ip_truncated', 'inet'), ('country', 'text'),
    ('region', 'text'), ('city', 'text'), ('created_at', 'timestamp with time zone'),
    ('updated_at', 'timestamp with time zone')
  ) v(c, t);

select col_type_is('public', 'analytics_events', c, t, 'analytics_events.' || c || ' is ' || t)
  from (values
    ('id', 'uuid'), ('user_id', 'uuid'), ('session_id', 'text'), ('owner_key', 'uuid'),
    ('event_type', 'text'), ('event_category', 'text'), ('event_name', 'text'), ('event_data', 'jsonb'),
    ('occurred_at', 'timestamp with time zone'), ('page_url', 'text'), ('page_path', 'text'),
    ('created_at', 'timestamp with time zone'), ('updated_at', 'timestamp with time zone')
  ) v(c, t);

select col_type_is('public', 'analytics_page_views', c, t, 'analytics_page_views.' || c || ' is ' || t)
  from (values
    ('id', 'uuid'), ('user_id', 'uuid'), ('session_id', 'text'), ('owner_key', 'uuid'),
    ('page_url', 'text'), ('page_path', 'text'), ('page_title', 'text'), ('page_category', 'text'),
    ('referrer_url', 'text'), ('viewed_at', 'timestamp with time zone'), ('time_on_page_seconds', 'integer'),
    ('scroll_depth_percent', 'smallint'), ('is_entry', 'boolean'), ('is_exit', 'boolean'),
    ('created_at', 'timestamp with time zone'), ('updated_at', 'timestamp with time zone')
  ) v(c, t);

select col_type_is('public', 'analytics_user_engagement', c, t, 'analytics_user_engagement.' || c || ' is ' || t)
  from (values
    ('id', 'uuid'), ('user_id', 'uuid'), ('engagement_date', 'date'), ('engagement_score', 'numeric(5,2)'),
    ('total_sessions', 'integer'), ('total_page_views', 'integer'), ('total_events', 'integer'),
    ('total_time_seconds', 'integer'), ('bounce_sessions', 'integer'), ('active_hours', 'smallint[]'),
    ('first_activity_at', 'timestamp with time zone'), ('last_activity_at', 'timestamp with time zone'),
    ('created_at', 'timestamp with time zone'), ('updated_at', 'timestamp with time zone')
  ) v(c, t);

-- Not-null columns (the rest are nullable by design: anonymous rows, optional facts).
select col_not_null('public', t, c, t || '.' || c || ' is not null')
  from (values
    ('analytics_sessions', 'session_id'), ('analytics_sessions', 'owner_key'), ('analytics_sessions', 'started_at'),
    ('analytics_sessions', 'page_view_count'), ('analytics_sessions', 'event_count'), ('analytics_sessions', 'is_bounce'),
    ('analytics_sessions', 'device_type'), ('analytics_sessions', 'created_at'), ('analytics_sessions', 'updated_at'),
    ('analytics_events', 'owner_key'), ('analytics_events', 'event_type'), ('analytics_events', 'event_data'),
    ('analytics_events', 'occurred_at'), ('analytics_events', 'created_at'), ('analytics_events', 'updated_at'),
    ('analytics_page_views', 'session_id'), ('analytics_page_views', 'owner_key'), ('analytics_page_views', 'page_url'),
    ('analytics_page_views', 'page_path'), ('analytics_page_views', 'viewed_at'), ('analytics_page_views', 'is_entry'),
    ('analytics_page_views', 'is_exit'), ('analytics_page_views', 'created_at'), ('analytics_page_views', 'updated_at'),
    ('analytics_user_engagement', 'user_id'), ('analytics_user_engagement', 'engagement_date'),
    ('analytics_user_engagement', 'engagement_score'), ('analytics_user_engagement', 'active_hours'),
    ('analytics_user_engagement', 'created_at'), ('analytics_user_engagement', 'updated_at')
  ) v(t, c);
select col_is_null('public', t, 'user_id', t || '.user_id is nullable (anonymous rows)')
  from unnest(array['analytics_sessions', 'analytics_events', 'analytics_page_views']) t;
select col_is_null('public', 'analytics_events', 'session_id', 'analytics_events.session_id is nullable (events outside a session)');

select col_default_is('public', 'analytics_sessions', 'id', 'gen_random_uuid()', 'sessions.id defaults to gen_random_uuid()');
select col_default_is('public', 'analytics_user_engagement', 'id', 'gen_random_uuid()', 'engagement.id defaults to gen_random_uuid()');
select col_default_is('public', 'analytics_events', 'id', 'private.uuid_v7()', 'events.id defaults to uuid v7');
select col_default_is('public', 'analytics_page_views', 'id', 'private.uuid_v7()', 'page_views.id defaults to uuid v7');
select col_default_is('public', t, c, 'now()', t || '.' || c || ' defaults to now()')
  from unnest(array['analytics_sessions', 'analytics_events', 'analytics_page_views', 'analytics_user_engagement']) t,
       unnest(array['created_at', 'updated_at']) c;
select col_default_is('public', 'analytics_sessions', 'device_type', 'unknown'::analytics_device_type, 'device_type defaults to unknown');
select col_default_is('public', 'analytics_events', 'event_data', '{}'::jsonb, 'event_data defaults to {}');

select is(
  (select array_agg(a.attrelid::regclass::text || '.' || a.attname order by a.attrelid::regclass::text || '.' || a.attname)
     from pg_attribute a
    where a.attrelid in ('public.analytics_sessions'::regclass, 'public.analytics_events'::regclass,
                         'public.analytics_page_views'::regclass)
      and a.attgenerated = 's'),
  array['analytics_events.owner_key', 'analytics_page_views.owner_key', 'analytics_sessions.duration_seconds',
        'analytics_sessions.is_bounce', 'analytics_sessions.owner_key'],
  'derived columns are exactly the stored generated ones');

-- ---------------------------------------------------------------------------
-- Partitioning
-- ---------------------------------------------------------------------------
select is_partitioned('public', 'analytics_events', 'analytics_events is partitioned');
select is(
  (select pg_get_partkeydef('public.analytics_events'::regclass)), 'RANGE (occurred_at)',
  'analytics_events is range-partitioned on occurred_at');
select is_partition_of('public', 'analytics_events_default', 'public', 'analytics_events',
  'analytics_events_default is a partition of analytics_events');
select is(
  (select pg_get_expr(c.relpartbound, c.oid) from pg_class c where c.oid = 'public.analytics_events_default'::regclass),
  'DEFAULT', 'analytics_events_default is the default partition');
select is(
  (select count(*)::integer
     from generate_series(date_trunc('month', (now() at time zone 'UTC') - interval '13 months'),
                          date_trunc('month', (now() at time zone 'UTC') + interval '3 months'),
                          interval '1 month') m
    where to_regclass('public.analytics_events_p' || to_char(m, 'YYYYMM')) is null),
  0, 'monthly partitions exist from 13 months ago to 3 months ahead');
select is(
  (select count(*)::integer from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'public.analytics_events'::regclass
      and c.relname !~ '^analytics_events_(p[0-9]{6}|default)$'),
  0, 'every partition is named analytics_events_pYYYYMM or analytics_events_default');

-- ---------------------------------------------------------------------------
-- Keys
-- ---------------------------------------------------------------------------
select has_pk('public', t, t || ' has a primary key')
  from unnest(array['analytics_sessions', 'analytics_events', 'analytics_page_views', 'analytics_user_engagement']) t;
select col_is_pk('public', 'analytics_sessions', array['id']::name[], 'sessions pk is id');
select col_is_pk('public', 'analytics_events', array['id', 'occurred_at']::name[], 'events pk is (id, occurred_at): includes the partition key');
select col_is_pk('public', 'analytics_page_views', array['id']::name[], 'page_views pk is id');
select col_is_pk('public', 'analytics_user_engagement', array['id']::name[], 'engagement pk is id');

select col_is_unique('public', 'analytics_sessions', array['session_id']::name[], 'session_id is unique');
select col_is_unique('public', 'analytics_sessions', array['session_id', 'owner_key']::name[], '(session_id, owner_key) is unique (FK target)');
select col_is_unique('public', 'analytics_user_engagement', array['user_id', 'engagement_date']::name[], 'one engagement row per user and day');

select fk_ok('public', t, array['user_id']::name[], 'auth', 'users', array['id']::name[], t || '.user_id references auth.users')
  from unnest(array['analytics_sessions', 'analytics_events', 'analytics_page_views', 'analytics_user_engagement']) t;
select fk_ok('public', 'analytics_events', array['session_id', 'owner_key']::name[],
             'public', 'analytics_sessions', array['session_id', 'owner_key']::name[],
             'events reference a session of the same owner');
select fk_ok('public', 'analytics_page_views', array['session_id', 'owner_key']::name[],
             'public', 'analytics_sessions', array['session_id', 'owner_key']::name[],
             'page views reference a session of the same owner');
select is(
  (select array_agg(conrelid::regclass::text || ':' || confdeltype::text order by conrelid::regclass::text || ':' || confdeltype::text)
     from pg_constraint
    where contype = 'f'
      and conrelid in ('public.analytics_sessions'::regclass, 'public.analytics_events'::regclass,
                       'public.analytics_page_views'::regclass, 'public.analytics_user_engagement'::regclass)),
  array['analytics_events:c', 'analytics_events:c', 'analytics_page_views:c', 'analytics_page_views:c',
        'analytics_sessions:c', 'analytics_user_engagement:c'],
  'every analytics FK cascades on delete (erasing a user or session removes its rows)');

-- ---------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------
select has_index('public', t, i, cols::name[], t || ' has index ' || i)
  from (values
    ('analytics_sessions', 'analytics_sessions_user_id_started_at_idx', array['user_id', 'started_at']),
    ('analytics_sessions', 'analytics_sessions_started_at_idx', array['started_at', 'is_bounce', 'user_id']),
    ('analytics_sessions', 'analytics_sessions_session_id_key', array['session_id']),
    ('analytics_sessions', 'analytics_sessions_session_id_owner_key_key', array['session_id', 'owner_key']),
    ('analytics_events', 'analytics_events_user_id_occurred_at_idx', array['user_id', 'occurred_at']),
    ('analytics_events', 'analytics_events_session_id_owner_key_occurred_at_idx', array['session_id', 'owner_key', 'occurred_at']),
    ('analytics_events', 'analytics_events_event_type_occurred_at_idx', array['event_type', 'occurred_at', 'user_id']),
    ('analytics_events', 'analytics_events_event_data_idx', array['event_data']),
    ('analytics_page_views', 'analytics_page_views_user_id_viewed_at_idx', array['user_id', 'viewed_at']),
    ('analytics_page_views', 'analytics_page_views_session_id_owner_key_viewed_at_idx', array['session_id', 'owner_key', 'viewed_at']),
    ('analytics_page_views', 'analytics_page_views_viewed_at_page_path_idx', array['viewed_at', 'page_path', 'user_id']),
    ('analytics_user_engagement', 'analytics_user_engagement_user_id_engagement_date_key', array['user_id', 'engagement_date']),
    ('analytics_user_engagement', 'analytics_user_engagement_engagement_date_engagement_score_idx', array['engagement_date', 'engagement_score'])
  ) v(t, i, cols);
select index_is_type('public', 'analytics_events', 'analytics_events_event_data_idx', 'gin', 'event_data index is GIN');
select has_index('public', 'analytics_events', 'analytics_events_occurred_at_brin_idx', array['occurred_at'], 'analytics_events has a BRIN index on occurred_at (query 4''s time windows)');
select index_is_type('public', 'analytics_events', 'analytics_events_occurred_at_brin_idx', 'brin', 'the occurred_at index for the search windows is BRIN');
select ok(
  (select p.proconfig @> array['plan_cache_mode=force_generic_plan', 'search_path=""']
     from pg_proc p where p.oid = 'public.admin_search_analytics_events(jsonb, timestamptz, timestamptz, integer)'::regprocedure),
  'the admin search plans each step once per session (run-time partition pruning on its bounds) and has an empty search_path');
select is(
  (select opc.opcname::text from pg_index x
     join pg_class ic on ic.oid = x.indexrelid
     join pg_opclass opc on opc.oid = x.indclass[0]
    where ic.relname = 'analytics_events_event_data_idx'),
  'jsonb_path_ops', 'event_data GIN index uses jsonb_path_ops');
select index_is_unique('public', t, i, i || ' is unique')
  from (values
    ('analytics_sessions', 'analytics_sessions_session_id_key'),
    ('analytics_sessions', 'analytics_sessions_session_id_owner_key_key'),
    ('analytics_user_engagement', 'analytics_user_engagement_user_id_engagement_date_key')
  ) v(t, i);

-- Every FK has an index whose leading columns are the FK columns.
select is(
  (select coalesce(array_agg(c.conname::text order by c.conname::text), '{}')
     from pg_constraint c
    where c.contype = 'f'
      and c.conrelid in ('public.analytics_sessions'::regclass, 'public.analytics_events'::regclass,
                         'public.analytics_page_views'::regclass, 'public.analytics_user_engagement'::regclass)
      and not exists (
        select 1 from pg_index x
         where x.indrelid = c.conrelid
           and (x.indkey::int2[])[0:cardinality(c.conkey) - 1] = c.conkey)),
  '{}'::text[], 'every analytics foreign key has an index led by its columns');

-- ---------------------------------------------------------------------------
-- Checks (presence; each is exercised in analytics_behaviour.sql)
-- ---------------------------------------------------------------------------
select has_check('public', t, t || ' has CHECK constraints')
  from unnest(array['analytics_sessions', 'analytics_events', 'analytics_page_views', 'analytics_user_engagement']) t;
select col_has_check('public', t, c::name[], t || '.' || array_to_string(c, ', ') || ' has a CHECK')
  from (values
    ('analytics_sessions', array['session_id']), ('analytics_sessions', array['ended_at', 'started_at']),
    ('analytics_sessions', array['page_view_count']), ('analytics_sessions', array['event_count']),
    ('analytics_sessions', array['device_fingerprint_hash']), ('analytics_sessions', array['ip_truncated']),
    ('analytics_sessions', array['country']), ('analytics_sessions', array['referrer']),
    ('analytics_events', array['event_type']), ('analytics_events', array['event_data']),
    ('analytics_events', array['occurred_at', 'created_at']), ('analytics_events', array['page_url']),
    ('analytics_page_views', array['page_path']), ('analytics_page_views', array['scroll_depth_percent']),
    ('analytics_page_views', array['time_on_page_seconds']),
    ('analytics_user_engagement', array['engagement_score']), ('analytics_user_engagement', array['active_hours']),
    ('analytics_user_engagement', array['total_sessions']), ('analytics_user_engagement', array['bounce_sessions', 'total_sessions'])
  ) v(t, c);
-- Every text column of the area is length-bounded by some CHECK.
select is(
  (select coalesce(array_agg(a.attrelid::regclass::text || '.' || a.attname order by a.attrelid::regclass::text || '.' || a.attname), '{}')
     from pg_attribute a
    where a.attrelid in ('public.analytics_sessions'::regclass, 'public.analytics_events'::regclass,
                         'public.analytics_page_views'::regclass)
      and a.atttypid = 'text'::regtype and a.attnum > 0 and not a.attisdropped
      and not exists (select 1 from pg_constraint k
                       where k.conrelid = a.attrelid and k.contype = 'c' and a.attnum = any (k.conkey))),
  '{}'::text[], 'every text column has a CHECK (length or format)');

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------
select has_trigger('public', t, t || '_set_updated_at', t || ' has its updated_at trigger')
  from unnest(array['analytics_sessions', 'analytics_events', 'analytics_page_views', 'analytics_user_engagement']) t;
select trigger_is('public', t, t || '_set_updated_at', 'private', 'set_updated_at', t || '_set_updated_at runs private.set_updated_at()')
  from unnest(array['analytics_sessions', 'analytics_events', 'analytics_page_views', 'analytics_user_engagement']) t;
select is(
  (select count(*)::integer from pg_trigger tg
    where tg.tgname = t || '_set_updated_at' and tg.tgrelid = ('public.' || t)::regclass
      and tg.tgtype::int & 2 = 2 and tg.tgtype::int & 1 = 1 and tg.tgtype::int & 16 = 16),
  1, t || '_set_updated_at is BEFORE UPDATE FOR EACH ROW')
  from unnest(array['analytics_sessions', 'analytics_events', 'analytics_page_views', 'analytics_user_engagement']) t;
select is(
  (select count(*)::integer from pg_inherits i
    where i.inhparent = 'public.analytics_events'::regclass
      and not exists (select 1 from pg_trigger tg where tg.tgrelid = i.inhrelid and tg.tgname = 'analytics_events_set_updated_at')),
  0, 'the updated_at row trigger is present on every partition');
select has_trigger('public', 'analytics_sessions', 'analytics_sessions_guard_counts', 'sessions have the counter guard trigger');
select has_trigger('public', t, t || '_count_' || op, t || ' has counter trigger on ' || op)
  from unnest(array['analytics_events', 'analytics_page_views']) t, unnest(array['insert', 'update', 'delete']) op;

-- ---------------------------------------------------------------------------
-- RLS, policies, grants
-- ---------------------------------------------------------------------------
select ok(
  (select relrowsecurity and relforcerowsecurity from pg_class where oid = ('public.' || t)::regclass),
  t || ': RLS enabled and forced')
  from unnest(array['analytics_sessions', 'analytics_events', 'analytics_page_views', 'analytics_user_engagement']) t;
select is(
  (select coalesce(array_agg(c.relname::text order by c.relname::text), '{}') from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'public.analytics_events'::regclass
      and not (c.relrowsecurity and c.relforcerowsecurity)),
  '{}'::text[], 'every partition of analytics_events has RLS enabled and forced');
select is(
  (select coalesce(array_agg(distinct c.relname::text), '{}')
     from pg_inherits i join pg_class c on c.oid = i.inhrelid, aclexplode(c.relacl) acl
    where i.inhparent = 'public.analytics_events'::regclass
      and acl.grantee in (0, 'anon'::regrole, 'authenticated'::regrole, 'service_role'::regrole)),
  '{}'::text[], 'no partition grants anything to public, anon, authenticated or service_role');
select is(
  (select count(*)::integer from pg_policies p join pg_inherits i on i.inhrelid = (p.schemaname || '.' || p.tablename)::regclass
    where i.inhparent = 'public.analytics_events'::regclass),
  0, 'partitions have no policies (direct access sees nothing)');
select table_privs_are('public', 'analytics_events_default', r, '{}'::text[], 'analytics_events_default: no privileges for ' || r)
  from unnest(array['anon', 'authenticated', 'service_role']) r;

select policies_are('public', 'analytics_events', array[
  'analytics_events_insert_anon', 'analytics_events_select_authenticated',
  'analytics_events_insert_own', 'analytics_events_delete_own'
]::name[], 'analytics_events policies');
select policies_are('public', 'analytics_sessions', array[
  'analytics_sessions_insert_anon', 'analytics_sessions_select_authenticated', 'analytics_sessions_insert_own',
  'analytics_sessions_update_own', 'analytics_sessions_delete_own'
]::name[], 'analytics_sessions policies');
select policies_are('public', 'analytics_page_views', array[
  'analytics_page_views_insert_anon', 'analytics_page_views_select_authenticated', 'analytics_page_views_insert_own',
  'analytics_page_views_update_own', 'analytics_page_views_delete_own'
]::name[], 'analytics_page_views policies');
select policies_are('public', 'analytics_user_engagement', array[
  'analytics_user_engagement_select_authenticated'
]::name[], 'analytics_user_engagement policies');

select policy_roles_are('public', t, p, array[r]::name[], p || ' applies to ' || r)
  from (values
    ('analytics_events', 'analytics_events_insert_anon', 'anon'),
    ('analytics_events', 'analytics_events_select_authenticated', 'authenticated'),
    ('analytics_events', 'analytics_events_insert_own', 'authenticated'),
    ('analytics_events', 'analytics_events_delete_own', 'authenticated'),
    ('analytics_sessions', 'analytics_sessions_insert_anon', 'anon'),
    ('analytics_sessions', 'analytics_sessions_update_own', 'authenticated'),
    ('analytics_page_views', 'analytics_page_views_insert_anon', 'anon'),
    ('analytics_user_engagement', 'analytics_user_engagement_select_authenticated', 'authenticated')
  ) v(t, p, r);
select is(
  (select count(*)::integer from pg_policies
    where tablename in ('analytics_sessions', 'analytics_events', 'analytics_page_views', 'analytics_user_engagement')
      and 'public' = any (roles)),
  0, 'no analytics policy applies to PUBLIC');
select is(
  (select count(*)::integer from (
     select p.tablename, r, p.cmd from pg_policies p, unnest(p.roles) r
      where p.tablename in ('analytics_sessions', 'analytics_events', 'analytics_page_views', 'analytics_user_engagement')
        and p.permissive = 'PERMISSIVE'
      group by 1, 2, 3 having count(*) > 1) d),
  0, 'at most one permissive policy per table, role and command');
select is(
  (select with_check from pg_policies where policyname = 'analytics_sessions_update_own'),
  '(user_id = ( SELECT auth.uid() AS uid))', 'session update policy has a WITH CHECK pinning user_id to the caller');
select ok(
  (select bool_and(coalesce(qual, '') || coalesce(with_check, '') !~ 'user_metadata')
     from pg_policies where tablename like 'analytics\_%'),
  'no analytics policy reads user_metadata');

select table_privs_are('public', 'analytics_events', 'anon', array['INSERT'], 'anon: events INSERT only');
select table_privs_are('public', 'analytics_events', 'authenticated', array['SELECT', 'INSERT', 'DELETE'], 'authenticated: events S, I, D (no UPDATE)');
select table_privs_are('public', 'analytics_events', 'service_role', array['SELECT', 'INSERT', 'UPDATE', 'DELETE'], 'service_role: events S, I, U, D');
select table_privs_are('public', 'analytics_sessions', 'anon', array['INSERT'], 'anon: sessions INSERT only');
select table_privs_are('public', 'analytics_sessions', 'authenticated', array['SELECT', 'INSERT', 'UPDATE', 'DELETE'], 'authenticated: sessions S, I, U, D');
select table_privs_are('public', 'analytics_sessions', 'service_role', array['SELECT', 'INSERT', 'UPDATE', 'DELETE'], 'service_role: sessions S, I, U, D');
select table_privs_are('public', 'analytics_page_views', 'anon', array['INSERT'], 'anon: page views INSERT only');
select table_privs_are('public', 'analytics_page_views', 'authenticated', array['SELECT', 'INSERT', 'UPDATE', 'DELETE'], 'authenticated: page views S, I, U, D');
select table_privs_are('public', 'analytics_page_views', 'service_role', array['SELECT', 'INSERT', 'UPDATE', 'DELETE'], 'service_role: page views S, I, U, D');
select table_privs_are('public', 'analytics_user_engagement', 'anon', '{}'::text[], 'anon: no privileges on engagement');
select table_privs_are('public', 'analytics_user_engagement', 'authenticated', array['SELECT'], 'authenticated: engagement SELECT only');
select table_privs_are('public', 'analytics_user_engagement', 'service_role', array['SELECT', 'INSERT', 'UPDATE', 'DELETE'], 'service_role: engagement S, I, U, D');
select table_privs_are('public', t, 'public', '{}'::text[], 'PUBLIC: no privileges on ' || t)
  from unnest(array['analytics_sessions', 'analytics_events', 'analytics_page_views', 'analytics_user_engagement']) t;

-- ---------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------
select has_function('public', 'refresh_user_engagement', array['date'], 'refresh_user_engagement(date) exists');
select has_function('private', 'ensure_analytics_events_partitions', array['date', 'date'], 'ensure_analytics_events_partitions(date, date) exists');
select is_definer('public', 'refresh_user_engagement', array['date'], 'refresh_user_engagement is SECURITY DEFINER');
select is_definer('private', 'ensure_analytics_events_partitions', array['date', 'date'], 'ensure_analytics_events_partitions is SECURITY DEFINER');
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text), '{}') from pg_proc p
    where p.prosecdef
      and p.oid in ('public.refresh_user_engagement(date)'::regprocedure,
                    'private.ensure_analytics_events_partitions(date, date)'::regprocedure,
                    'private.analytics_events_harden_partition(regclass)'::regprocedure,
                    'private.analytics_sessions_maintain_counts()'::regprocedure,
                    'public.admin_search_analytics_events(jsonb, timestamptz, timestamptz, integer)'::regprocedure,
                    'private.analytics_sessions_recount(text[])'::regprocedure)
      and not ('search_path=""' = any (p.proconfig))),
  '{}'::text[], 'every analytics SECURITY DEFINER function pins search_path to empty');
select function_privs_are('public', 'refresh_user_engagement', array['date'], r, privs, 'refresh_user_engagement EXECUTE for ' || r)
  from (values ('anon', '{}'::text[]), ('authenticated', '{}'::text[]), ('service_role', array['EXECUTE']), ('public', '{}'::text[])) v(r, privs);
select function_privs_are('private', 'ensure_analytics_events_partitions', array['date', 'date'], r, privs, 'ensure_analytics_events_partitions EXECUTE for ' || r)
  from (values ('anon', '{}'::text[]), ('authenticated', '{}'::text[]), ('service_role', array['EXECUTE']), ('public', '{}'::text[])) v(r, privs);
select is_definer('public', 'admin_search_analytics_events', array['jsonb', 'timestamp with time zone', 'timestamp with time zone', 'integer'],
  'admin_search_analytics_events is SECURITY DEFINER (checks the admin claim itself)');
select function_privs_are('public', 'admin_search_analytics_events', array['jsonb', 'timestamp with time zone', 'timestamp with time zone', 'integer'],
  r, privs, 'admin_search_analytics_events EXECUTE for ' || r)
  from (values ('anon', '{}'::text[]), ('authenticated', array['EXECUTE']), ('service_role', '{}'::text[]), ('public', '{}'::text[])) v(r, privs);
select function_privs_are('private', 'analytics_sessions_recount', array['text[]'], r, privs, 'analytics_sessions_recount EXECUTE for ' || r)
  from (values ('anon', '{}'::text[]), ('authenticated', '{}'::text[]), ('service_role', array['EXECUTE']), ('public', '{}'::text[])) v(r, privs);
select function_privs_are('private', f, '{}'::name[], r, '{}'::text[], f || ': no EXECUTE for ' || r)
  from unnest(array['analytics_sessions_maintain_counts', 'analytics_sessions_guard_counts']) f,
       unnest(array['anon', 'authenticated', 'service_role', 'public']) r;

-- ---------------------------------------------------------------------------
-- Data dictionary: every table, column, function and enum is commented
-- ---------------------------------------------------------------------------
select is(
  (select coalesce(array_agg(c.relname::text || '.' || a.attname order by c.relname::text || '.' || a.attname), '{}')
     from pg_class c join pg_attribute a on a.attrelid = c.oid
    where c.relnamespace = 'public'::regnamespace and c.relname like 'analytics\_%' and c.relkind in ('r', 'p')
      and a.attnum > 0 and not a.attisdropped and col_description(c.oid, a.attnum) is null),
  '{}'::text[], 'every column of every analytics table (partitions included) has a comment');
select is(
  (select coalesce(array_agg(c.relname::text order by c.relname::text), '{}') from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relname like 'analytics\_%' and c.relkind in ('r', 'p')
      and obj_description(c.oid, 'pg_class') is null),
  '{}'::text[], 'every analytics table (partitions included) has a comment');
select isnt(obj_description('public.analytics_device_type'::regtype, 'pg_type'), null, 'analytics_device_type has a comment');
select is(
  (select coalesce(array_agg(p.proname::text order by p.proname::text), '{}') from pg_proc p
    where p.oid in ('public.refresh_user_engagement(date)'::regprocedure,
                    'private.ensure_analytics_events_partitions(date, date)'::regprocedure,
                    'private.analytics_events_harden_partition(regclass)'::regprocedure,
                    'private.analytics_sessions_maintain_counts()'::regprocedure,
                    'private.analytics_sessions_guard_counts()'::regprocedure,
                    'public.admin_search_analytics_events(jsonb, timestamptz, timestamptz, integer)'::regprocedure,
                    'private.analytics_sessions_recount(text[])'::regprocedure)
      and obj_description(p.oid, 'pg_proc') is null),
  '{}'::text[], 'every analytics function has a comment');

-- ---------------------------------------------------------------------------
-- A structural violation is caught: a partition cannot be reached directly
-- ---------------------------------------------------------------------------
set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub":"00000000-0000-4000-8000-0000000000aa","role":"authenticated","app_metadata":{"role":"admin"}}', true);
select throws_ok('select count(*) from public.analytics_events_default', '42501', null,
  'even an admin cannot read a partition directly (permission denied)');
reset role;

select * from finish();
rollback;
