-- 00003 analytics: sessions, events (partitioned by month), page views and
-- the daily per-user engagement summary.
--
-- Why this shape:
--   * analytics_events is the highest-volume table. It is range-partitioned by
--     month on occurred_at because every catalogue query on it filters on
--     occurred_at (pruning) and because retention drops whole expired months
--     (helper: run_retention, by partition name analytics_events_pYYYYMM).
--     The primary key is (id, occurred_at): a partitioned table's unique
--     constraints must contain the partition key. occurred_at (client time)
--     rather than created_at (receipt time) is the key because the queries
--     filter on occurred_at, so only it prunes; the price is trusting a
--     client clock, bounded by a CHECK (at most one day after created_at) so
--     no client can park rows in future partitions beyond retention.
--   * Session ownership is enforced by the database, not by convention. Every
--     analytics row carries owner_key, a stored generated column equal to
--     user_id, or the nil UUID for anonymous rows. Events and page views
--     reference analytics_sessions through the composite foreign key
--     (session_id, owner_key). Because owner_key is never null, the FK is
--     always checked (a plain (session_id, user_id) FK is skipped under MATCH
--     SIMPLE when user_id is null, and MATCH FULL would forbid anonymous
--     rows). Consequences: a user can only attach rows to their own sessions;
--     an anonymous row can only attach to an anonymous session; RLS on the
--     child already pins user_id to the caller, so the FK completes the rule.
--   * Device and geo attributes live on the session only (3NF): they are facts
--     about the visit, functionally dependent on session_id. Events and page
--     views read them by joining analytics_sessions on session_id. Copying
--     them into each of ~1M event rows would cost ~100 bytes per row and allow
--     an event to disagree with its own session; none of the catalogue queries
--     filters events by device or geography.
--   * analytics_sessions.page_view_count / event_count summarise other rows.
--     Per the 3NF rule they are maintained by exactly one function,
--     private.analytics_sessions_maintain_counts(), fired by statement-level
--     triggers (with transition tables, so a bulk insert of N rows costs one
--     UPDATE per touched session, not N). API roles cannot set them: a guard
--     trigger forces 0 on INSERT and keeps the old values on their UPDATEs.
--     private.analytics_sessions_recount() repairs them after operations that
--     bypass triggers (dropping a partition in retention).
--   * analytics_user_engagement is written only by refresh_user_engagement().
--   * Admin containment search (query 4) goes through
--     admin_search_analytics_events(): under RLS a non-leakproof operator
--     such as jsonb @> cannot be an index condition, so the GIN index would
--     be unusable for admins through the policies.
--
-- Policies and grants are in policies/analytics.sql. The SECURITY DEFINER
-- functions below assume, as on Supabase, that their owner bypasses RLS
-- (superuser, or the Supabase `postgres` role which has BYPASSRLS): every
-- table here has FORCE ROW LEVEL SECURITY and no policy for the owner.

-- ---------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------
create type public.analytics_device_type as enum ('desktop', 'mobile', 'tablet', 'bot', 'other', 'unknown');
comment on type public.analytics_device_type is
  'Device class parsed from the user agent: desktop, mobile, tablet, bot (crawlers and automation), other (TVs, consoles, wearables), unknown (unparseable or absent).';

-- ---------------------------------------------------------------------------
-- analytics_sessions
-- ---------------------------------------------------------------------------
create table public.analytics_sessions (
  id uuid primary key default gen_random_uuid(),
  session_id text not null,
  user_id uuid references auth.users (id) on delete cascade,
  owner_key uuid not null generated always as (coalesce(user_id, '00000000-0000-0000-0000-000000000000'::uuid)) stored,
  started_at timestamptz not null default now(),
  ended_at timestamptz,
  duration_seconds integer generated always as (
    case when ended_at is null then null
         else floor(extract(epoch from (ended_at - started_at)))::integer end
  ) stored,
  page_view_count integer not null default 0,
  event_count integer not null default 0,
  is_bounce boolean not null generated always as (page_view_count <= 1) stored,
  entry_page text,
  exit_page text,
  referrer text,
  utm_source text,
  utm_medium text,
  utm_campaign text,
  utm_term text,
  utm_content text,
  device_type public.analytics_device_type not null default 'unknown',
  browser_name text,
  browser_version text,
  os_name text,
  os_version text,
  device_fingerprint_hash text,
  ip_truncated inet,
  country text,
  region text,
  city text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint analytics_sessions_session_id_key unique (session_id),
  -- Target of the ownership-checking composite FKs from events and page views.
  constraint analytics_sessions_session_id_owner_key_key unique (session_id, owner_key),
  constraint analytics_sessions_session_id_check check (session_id ~ '^[A-Za-z0-9_.:-]{1,128}$'),
  constraint analytics_sessions_ended_at_check check (
    ended_at is null or (ended_at >= started_at and ended_at <= started_at + interval '7 days')
  ),
  constraint analytics_sessions_page_view_count_check check (page_view_count >= 0),
  constraint analytics_sessions_event_count_check check (event_count >= 0),
  constraint analytics_sessions_entry_page_check check (char_length(entry_page) between 1 and 2048),
  constraint analytics_sessions_exit_page_check check (char_length(exit_page) between 1 and 2048),
  constraint analytics_sessions_referrer_check check (char_length(referrer) between 1 and 2048),
  constraint analytics_sessions_utm_source_check check (char_length(utm_source) between 1 and 256),
  constraint analytics_sessions_utm_medium_check check (char_length(utm_medium) between 1 and 256),
  constraint analytics_sessions_utm_campaign_check check (char_length(utm_campaign) between 1 and 256),
  constraint analytics_sessions_utm_term_check check (char_length(utm_term) between 1 and 256),
  constraint analytics_sessions_utm_content_check check (char_length(utm_content) between 1 and 256),
  constraint analytics_sessions_browser_name_check check (char_length(browser_name) between 1 and 64),
  constraint analytics_sessions_browser_version_check check (char_length(browser_version) between 1 and 64),
  constraint analytics_sessions_os_name_check check (char_length(os_name) between 1 and 64),
  constraint analytics_sessions_os_version_check check (char_length(os_version) between 1 and 64),
  constraint analytics_sessions_device_fingerprint_hash_check check (device_fingerprint_hash ~ '^[0-9a-f]{64}$'),
  constraint analytics_sessions_ip_truncated_check check (
    (family(ip_truncated) = 4 and masklen(ip_truncated) = 24 and ip_truncated = network(ip_truncated)::inet)
    or (family(ip_truncated) = 6 and masklen(ip_truncated) = 48 and ip_truncated = network(ip_truncated)::inet)
  ),
  constraint analytics_sessions_country_check check (country ~ '^[A-Z]{2}$'),
  constraint analytics_sessions_region_check check (char_length(region) between 1 and 128),
  constraint analytics_sessions_city_check check (char_length(city) between 1 and 128)
)
-- Sessions are updated in place (counters, ended_at, exit_page): leave room
-- on each page so those updates can stay HOT.
with (fillfactor = 85);

comment on table public.analytics_sessions is
  'One row per visitor session. Anonymous sessions have no user_id. Device and geo facts of the visit live here only (events and page views join on session_id). page_view_count and event_count are maintained by private.analytics_sessions_maintain_counts(); API roles cannot set them.';
comment on column public.analytics_sessions.id is 'Surrogate primary key (random UUID v4).';
comment on column public.analytics_sessions.session_id is 'Client-generated session key (1-128 chars of [A-Za-z0-9_.:-]); unique. Events and page views reference it. Immutable once referenced.';
comment on column public.analytics_sessions.user_id is 'The signed-in user, or null for an anonymous session. Deleting the user deletes the session (and, by cascade, its events and page views).';
comment on column public.analytics_sessions.owner_key is 'Generated: user_id, or the nil UUID for anonymous sessions. Never null, so the composite FK (session_id, owner_key) from events and page views is always checked: rows can only attach to a session of the same owner.';
comment on column public.analytics_sessions.started_at is 'When the session started.';
comment on column public.analytics_sessions.ended_at is 'When the session ended (null while open). Must be >= started_at and at most 7 days later.';
comment on column public.analytics_sessions.duration_seconds is 'Generated: whole seconds from started_at to ended_at; null while the session is open.';
comment on column public.analytics_sessions.page_view_count is 'Number of analytics_page_views rows of this session. Maintained only by private.analytics_sessions_maintain_counts() (statement triggers on analytics_page_views); forced to 0 on insert and unchangeable by API roles'' UPDATEs; private.analytics_sessions_recount() repairs it.';
comment on column public.analytics_sessions.event_count is 'Number of analytics_events rows of this session. Maintained only by private.analytics_sessions_maintain_counts() (statement triggers on analytics_events); forced to 0 on insert and unchangeable by API roles'' UPDATEs; private.analytics_sessions_recount() repairs it (e.g. after a partition is dropped).';
comment on column public.analytics_sessions.is_bounce is 'Generated: true when the session has at most one page view.';
comment on column public.analytics_sessions.entry_page is 'Path or URL of the first page of the session.';
comment on column public.analytics_sessions.exit_page is 'Path or URL of the last page of the session.';
comment on column public.analytics_sessions.referrer is 'Referrer URL that brought the visitor.';
comment on column public.analytics_sessions.utm_source is 'utm_source campaign parameter of the landing URL.';
comment on column public.analytics_sessions.utm_medium is 'utm_medium campaign parameter of the landing URL.';
comment on column public.analytics_sessions.utm_campaign is 'utm_campaign campaign parameter of the landing URL.';
comment on column public.analytics_sessions.utm_term is 'utm_term campaign parameter of the landing URL.';
comment on column public.analytics_sessions.utm_content is 'utm_content campaign parameter of the landing URL.';
comment on column public.analytics_sessions.device_type is 'Device class parsed from the user agent.';
comment on column public.analytics_sessions.browser_name is 'Browser name parsed from the user agent (the raw user agent is not stored).';
comment on column public.analytics_sessions.browser_version is 'Browser version parsed from the user agent.';
comment on column public.analytics_sessions.os_name is 'Operating system name parsed from the user agent.';
comment on column public.analytics_sessions.os_version is 'Operating system version parsed from the user agent.';
comment on column public.analytics_sessions.device_fingerprint_hash is 'Hex SHA-256 (64 lowercase hex digits) of the device fingerprint; the raw fingerprint is never stored.';
comment on column public.analytics_sessions.ip_truncated is 'Truncated client network, never a full address: an IPv4 /24 or an IPv6 /48 with the host bits zero (e.g. 203.0.113.0/24).';
comment on column public.analytics_sessions.country is 'ISO 3166-1 alpha-2 country code (upper case) from IP geolocation.';
comment on column public.analytics_sessions.region is 'Region / subdivision name from IP geolocation.';
comment on column public.analytics_sessions.city is 'City name from IP geolocation.';
comment on column public.analytics_sessions.created_at is 'When the row was inserted.';
comment on column public.analytics_sessions.updated_at is 'When the row was last updated (trigger analytics_sessions_set_updated_at).';

-- FK index (user_id leading) that also serves query 5 (a user's sessions in
-- the last 30 days) and the RLS predicate user_id = auth.uid().
create index analytics_sessions_user_id_started_at_idx on public.analytics_sessions (user_id, started_at desc);
comment on index public.analytics_sessions_user_id_started_at_idx is 'FK index for user_id; serves RLS (user_id = auth.uid()) and query 5: a user''s sessions in the last 30 days.';
-- Query 6 (bounce rate per day over 30 days) as an index-only scan.
-- INCLUDE user_id: the RLS predicate reads it, so admins get an index-only scan too.
create index analytics_sessions_started_at_idx on public.analytics_sessions (started_at) include (is_bounce, user_id);
comment on index public.analytics_sessions_started_at_idx is 'Serves query 6 (bounce rate per day) as an index-only range scan (user_id included for the RLS predicate), and refresh_user_engagement''s per-day scan.';

create trigger analytics_sessions_set_updated_at
  before update on public.analytics_sessions
  for each row execute function private.set_updated_at();

-- ---------------------------------------------------------------------------
-- analytics_events (partitioned)
-- ---------------------------------------------------------------------------
create table public.analytics_events (
  id uuid not null default private.uuid_v7(),
  user_id uuid references auth.users (id) on delete cascade,
  session_id text,
  owner_key uuid not null generated always as (coalesce(user_id, '00000000-0000-0000-0000-000000000000'::uuid)) stored,
  event_type text not null,
  event_category text,
  event_name text,
  event_data jsonb not null default '{}'::jsonb,
  occurred_at timestamptz not null default now(),
  page_url text,
  page_path text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint analytics_events_pkey primary key (id, occurred_at),
  constraint analytics_events_session_id_owner_key_fkey foreign key (session_id, owner_key)
    references public.analytics_sessions (session_id, owner_key) on delete cascade,
  constraint analytics_events_session_id_check check (session_id ~ '^[A-Za-z0-9_.:-]{1,128}$'),
  constraint analytics_events_event_type_check check (event_type ~ '^[a-z][a-z0-9_]{0,63}$'),
  constraint analytics_events_event_category_check check (char_length(event_category) between 1 and 64),
  constraint analytics_events_event_name_check check (char_length(event_name) between 1 and 200),
  constraint analytics_events_event_data_check check (
    jsonb_typeof(event_data) = 'object' and pg_column_size(event_data) <= 32768
  ),
  -- Client clocks drift; a far-future occurred_at would sit in a future or
  -- default partition and escape monthly retention. One day of skew allowed.
  constraint analytics_events_occurred_at_check check (occurred_at <= created_at + interval '1 day'),
  constraint analytics_events_page_url_check check (char_length(page_url) between 1 and 2048),
  constraint analytics_events_page_path_check check (char_length(page_path) between 1 and 2048)
) partition by range (occurred_at);

comment on table public.analytics_events is
  'One row per tracked interaction; the highest-volume table. Range-partitioned by calendar month (UTC) of occurred_at into analytics_events_pYYYYMM plus analytics_events_default; partitions are created by private.ensure_analytics_events_partitions() and are only reachable through this parent. Device and geo attributes are read from the session (join on session_id), not copied (3NF).';
comment on column public.analytics_events.id is 'Time-ordered UUID v7 (private.uuid_v7()); unique together with occurred_at (the partition key).';
comment on column public.analytics_events.user_id is 'The signed-in user, or null for an anonymous event. Deleting the user deletes their events.';
comment on column public.analytics_events.session_id is 'Client session key of the session this event belongs to (analytics_sessions.session_id), or null for an event outside any session. With owner_key it must reference a session of the same owner.';
comment on column public.analytics_events.owner_key is 'Generated: user_id, or the nil UUID when anonymous. Part of the FK (session_id, owner_key) that ties the event to a session of the same owner.';
comment on column public.analytics_events.event_type is 'Application event vocabulary, lowercase snake_case, 1-64 chars (e.g. button_click). Free-form, hence text with a format CHECK rather than an enum.';
comment on column public.analytics_events.event_category is 'Free-form grouping of event types (1-64 chars), e.g. navigation, commerce.';
comment on column public.analytics_events.event_name is 'Human-readable event name or label (1-200 chars).';
comment on column public.analytics_events.event_data is 'Event properties as a JSON object of at most 32 KiB; GIN (jsonb_path_ops) indexed for @> containment queries.';
comment on column public.analytics_events.occurred_at is 'When the event happened (client clock); the partition key. At most one day after created_at.';
comment on column public.analytics_events.page_url is 'Full URL of the page where the event happened.';
comment on column public.analytics_events.page_path is 'Path part of page_url.';
comment on column public.analytics_events.created_at is 'When the server received the event (row insert time).';
comment on column public.analytics_events.updated_at is 'When the row was last updated (trigger analytics_events_set_updated_at).';

-- Partitioned indexes: created once here, cascaded to every partition.
create index analytics_events_user_id_occurred_at_idx on public.analytics_events (user_id, occurred_at desc);
comment on index public.analytics_events_user_id_occurred_at_idx is 'FK index for user_id; serves RLS (user_id = auth.uid()) and query 1: a user''s latest events.';
create index analytics_events_session_id_owner_key_occurred_at_idx on public.analytics_events (session_id, owner_key, occurred_at);
comment on index public.analytics_events_session_id_owner_key_occurred_at_idx is 'FK index for (session_id, owner_key); serves query 2: one session''s events in time order.';
create index analytics_events_event_type_occurred_at_idx on public.analytics_events (event_type, occurred_at) include (user_id);
comment on index public.analytics_events_event_type_occurred_at_idx is 'Serves query 3: events of one type in a time window, counted per day (index-only; user_id included for the RLS predicate).';
create index analytics_events_event_data_idx on public.analytics_events using gin (event_data jsonb_path_ops);
comment on index public.analytics_events_event_data_idx is 'GIN jsonb_path_ops: serves query 4, event_data @> ''{"key": "value"}''.';

-- Row triggers on a partitioned table are cloned onto every partition.
create trigger analytics_events_set_updated_at
  before update on public.analytics_events
  for each row execute function private.set_updated_at();

-- ---------------------------------------------------------------------------
-- analytics_page_views
-- ---------------------------------------------------------------------------
create table public.analytics_page_views (
  id uuid primary key default private.uuid_v7(),
  user_id uuid references auth.users (id) on delete cascade,
  session_id text not null,
  owner_key uuid not null generated always as (coalesce(user_id, '00000000-0000-0000-0000-000000000000'::uuid)) stored,
  page_url text not null,
  page_path text not null,
  page_title text,
  page_category text,
  referrer_url text,
  viewed_at timestamptz not null default now(),
  time_on_page_seconds integer,
  scroll_depth_percent smallint,
  is_entry boolean not null default false,
  is_exit boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint analytics_page_views_session_id_owner_key_fkey foreign key (session_id, owner_key)
    references public.analytics_sessions (session_id, owner_key) on delete cascade,
  constraint analytics_page_views_session_id_check check (session_id ~ '^[A-Za-z0-9_.:-]{1,128}$'),
  constraint analytics_page_views_page_url_check check (char_length(page_url) between 1 and 2048),
  -- page_path is a B-tree key (query 7): bounded in bytes, well under the
  -- ~2700-byte B-tree tuple limit whatever the characters.
  constraint analytics_page_views_page_path_check check (octet_length(page_path) between 1 and 1024),
  constraint analytics_page_views_page_title_check check (char_length(page_title) between 1 and 512),
  constraint analytics_page_views_page_category_check check (char_length(page_category) between 1 and 64),
  constraint analytics_page_views_referrer_url_check check (char_length(referrer_url) between 1 and 2048),
  constraint analytics_page_views_time_on_page_seconds_check check (time_on_page_seconds >= 0),
  constraint analytics_page_views_scroll_depth_percent_check check (scroll_depth_percent between 0 and 100)
);

comment on table public.analytics_page_views is
  'One row per page view, always inside a session of the same owner (composite FK on session_id, owner_key). Device and geo attributes are read from the session.';
comment on column public.analytics_page_views.id is 'Time-ordered UUID v7 primary key (private.uuid_v7()).';
comment on column public.analytics_page_views.user_id is 'The signed-in user, or null for an anonymous page view. Deleting the user deletes their page views.';
comment on column public.analytics_page_views.session_id is 'Client session key of the session (analytics_sessions.session_id). With owner_key it must reference a session of the same owner.';
comment on column public.analytics_page_views.owner_key is 'Generated: user_id, or the nil UUID when anonymous. Part of the FK (session_id, owner_key).';
comment on column public.analytics_page_views.page_url is 'Full URL of the page viewed.';
comment on column public.analytics_page_views.page_path is 'Path part of page_url (at most 1024 bytes); what query 7 groups by.';
comment on column public.analytics_page_views.page_title is 'Document title of the page.';
comment on column public.analytics_page_views.page_category is 'Free-form page grouping (1-64 chars), e.g. blog, pricing.';
comment on column public.analytics_page_views.referrer_url is 'Referrer of this page view (previous page or external site).';
comment on column public.analytics_page_views.viewed_at is 'When the page was viewed.';
comment on column public.analytics_page_views.time_on_page_seconds is 'Seconds spent on the page (>= 0), null if unknown.';
comment on column public.analytics_page_views.scroll_depth_percent is 'Deepest scroll position reached, 0-100 percent; null if unknown.';
comment on column public.analytics_page_views.is_entry is 'True for the first page view of the session.';
comment on column public.analytics_page_views.is_exit is 'True for the last page view of the session.';
comment on column public.analytics_page_views.created_at is 'When the row was inserted.';
comment on column public.analytics_page_views.updated_at is 'When the row was last updated (trigger analytics_page_views_set_updated_at).';

create index analytics_page_views_user_id_viewed_at_idx on public.analytics_page_views (user_id, viewed_at desc);
comment on index public.analytics_page_views_user_id_viewed_at_idx is 'FK index for user_id; serves RLS (user_id = auth.uid()) and per-user page view history.';
create index analytics_page_views_session_id_owner_key_viewed_at_idx on public.analytics_page_views (session_id, owner_key, viewed_at);
comment on index public.analytics_page_views_session_id_owner_key_viewed_at_idx is 'FK index for (session_id, owner_key); serves query 8: a user''s page views for one session.';
create index analytics_page_views_viewed_at_page_path_idx on public.analytics_page_views (viewed_at, page_path) include (user_id);
comment on index public.analytics_page_views_viewed_at_page_path_idx is 'Serves query 7 (top pages by views in the last 7 days) as an index-only range scan (user_id included for the RLS predicate).';

create trigger analytics_page_views_set_updated_at
  before update on public.analytics_page_views
  for each row execute function private.set_updated_at();

-- ---------------------------------------------------------------------------
-- analytics_user_engagement
-- ---------------------------------------------------------------------------
create table public.analytics_user_engagement (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  engagement_date date not null,
  engagement_score numeric(5,2) not null,
  total_sessions integer not null default 0,
  total_page_views integer not null default 0,
  total_events integer not null default 0,
  total_time_seconds integer not null default 0,
  bounce_sessions integer not null default 0,
  active_hours smallint[] not null default '{}',
  first_activity_at timestamptz,
  last_activity_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint analytics_user_engagement_user_id_engagement_date_key unique (user_id, engagement_date),
  constraint analytics_user_engagement_engagement_score_check check (engagement_score between 0 and 100),
  constraint analytics_user_engagement_total_sessions_check check (total_sessions >= 0),
  constraint analytics_user_engagement_total_page_views_check check (total_page_views >= 0),
  constraint analytics_user_engagement_total_events_check check (total_events >= 0),
  constraint analytics_user_engagement_total_time_seconds_check check (total_time_seconds >= 0),
  constraint analytics_user_engagement_bounce_sessions_check check (bounce_sessions >= 0 and bounce_sessions <= total_sessions),
  constraint analytics_user_engagement_active_hours_check check (
    cardinality(active_hours) <= 24
    and array_position(active_hours, null) is null
    and active_hours <@ '{0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23}'::smallint[]
  ),
  constraint analytics_user_engagement_activity_check check (last_activity_at >= first_activity_at)
);

comment on table public.analytics_user_engagement is
  'One row per user per UTC day with activity: daily totals and an engagement score. Written only by public.refresh_user_engagement(day), which recomputes a day from analytics_sessions, analytics_page_views and analytics_events.';
comment on column public.analytics_user_engagement.id is 'Surrogate primary key (random UUID v4); kept stable across recomputation (upsert).';
comment on column public.analytics_user_engagement.user_id is 'The user these figures describe.';
comment on column public.analytics_user_engagement.engagement_date is 'The UTC calendar day the figures cover.';
comment on column public.analytics_user_engagement.engagement_score is 'Score 0-100 computed by refresh_user_engagement (formula documented on that function).';
comment on column public.analytics_user_engagement.total_sessions is 'Sessions of the user that started on the day.';
comment on column public.analytics_user_engagement.total_page_views is 'Page views of the user viewed on the day.';
comment on column public.analytics_user_engagement.total_events is 'Events of the user that occurred on the day.';
comment on column public.analytics_user_engagement.total_time_seconds is 'Sum of duration_seconds of the sessions started on the day (open sessions count 0).';
comment on column public.analytics_user_engagement.bounce_sessions is 'Sessions started on the day with at most one page view (<= total_sessions).';
comment on column public.analytics_user_engagement.active_hours is 'Distinct UTC hours (0-23, ascending) in which the user had any session start, page view or event on the day.';
comment on column public.analytics_user_engagement.first_activity_at is 'Earliest session start, page view or event of the day.';
comment on column public.analytics_user_engagement.last_activity_at is 'Latest session start, page view or event of the day.';
comment on column public.analytics_user_engagement.created_at is 'When the row was first computed.';
comment on column public.analytics_user_engagement.updated_at is 'When the row was last recomputed (trigger analytics_user_engagement_set_updated_at).';

-- The unique (user_id, engagement_date) index is the FK index for user_id and
-- serves RLS and query 10 (one user's trend over 90 days).
comment on index public.analytics_user_engagement_user_id_engagement_date_key is 'One row per user and day; FK index for user_id; serves RLS and query 10 (a user''s engagement trend).';
create index analytics_user_engagement_engagement_date_engagement_score_idx
  on public.analytics_user_engagement (engagement_date, engagement_score desc);
comment on index public.analytics_user_engagement_engagement_date_engagement_score_idx is 'Serves query 9: top users by engagement score on a date.';

create trigger analytics_user_engagement_set_updated_at
  before update on public.analytics_user_engagement
  for each row execute function private.set_updated_at();

-- ---------------------------------------------------------------------------
-- Session counters: the one function that maintains them, and the guard.
-- ---------------------------------------------------------------------------
create function private.analytics_sessions_maintain_counts()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  is_event boolean := (tg_table_name = 'analytics_events');
begin
  -- Statement-level: new_rows / old_rows are the transition tables of the
  -- statement. One UPDATE per touched session, whatever the row count.
  if tg_op = 'INSERT' then
    update public.analytics_sessions s
       set event_count = s.event_count + case when is_event then d.n else 0 end,
           page_view_count = s.page_view_count + case when is_event then 0 else d.n end
      from (select r.session_id, count(*)::integer as n
              from new_rows r where r.session_id is not null group by r.session_id) d
     where s.session_id = d.session_id;
  elsif tg_op = 'DELETE' then
    update public.analytics_sessions s
       set event_count = s.event_count - case when is_event then d.n else 0 end,
           page_view_count = s.page_view_count - case when is_event then 0 else d.n end
      from (select r.session_id, count(*)::integer as n
              from old_rows r where r.session_id is not null group by r.session_id) d
     where s.session_id = d.session_id;
  elsif tg_op = 'UPDATE' then
    update public.analytics_sessions s
       set event_count = s.event_count + case when is_event then d.n else 0 end,
           page_view_count = s.page_view_count + case when is_event then 0 else d.n end
      from (select c.session_id, sum(c.delta)::integer as n
              from (select r.session_id, 1 as delta from new_rows r where r.session_id is not null
                    union all
                    select r.session_id, -1 from old_rows r where r.session_id is not null) c
             group by c.session_id
            having sum(c.delta) <> 0) d
     where s.session_id = d.session_id;
  end if;
  return null;
end;
$$;
comment on function private.analytics_sessions_maintain_counts() is
  'The one function maintaining analytics_sessions.page_view_count and event_count (3NF rule). Fired by AFTER ... FOR EACH STATEMENT triggers with transition tables on analytics_events and analytics_page_views (INSERT +n, DELETE -n, UPDATE moving rows between sessions). SECURITY DEFINER because the caller (e.g. anon inserting an event) has no UPDATE right on sessions; fixed empty search_path; not executable by any API role.';

create function private.analytics_sessions_guard_counts()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    -- A new session has no children yet (they need the session to exist).
    new.page_view_count := 0;
    new.event_count := 0;
  elsif pg_catalog.pg_trigger_depth() <= 1
        and current_user <> (select pg_catalog.pg_get_userbyid(c.relowner)
                               from pg_catalog.pg_class c where c.oid = tg_relid) then
    -- A direct UPDATE by an API role (anon, authenticated, service_role)
    -- cannot change the counters. They change only in the maintenance
    -- trigger (its UPDATE runs at depth >= 2) or in code running as the table
    -- owner (private.analytics_sessions_recount, SECURITY DEFINER).
    new.page_view_count := old.page_view_count;
    new.event_count := old.event_count;
  end if;
  return new;
end;
$$;
comment on function private.analytics_sessions_guard_counts() is
  'BEFORE INSERT/UPDATE row trigger on analytics_sessions: counters start at 0, and an UPDATE by an API role keeps their old values, so only private.analytics_sessions_maintain_counts() (nested trigger, depth >= 2) and owner-run repair (private.analytics_sessions_recount) change them.';

create function private.analytics_sessions_recount(p_session_ids text[] default null)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  fixed integer;
begin
  update public.analytics_sessions s
     set event_count = c.events, page_view_count = c.page_views
    from (select x.session_id,
                 (select count(*) from public.analytics_events e where e.session_id = x.session_id)::integer as events,
                 (select count(*) from public.analytics_page_views v where v.session_id = x.session_id)::integer as page_views
            from public.analytics_sessions x
           where p_session_ids is null or x.session_id = any (p_session_ids)) c
   where s.session_id = c.session_id
     and (s.event_count, s.page_view_count) is distinct from (c.events, c.page_views);
  get diagnostics fixed = row_count;
  return fixed;
end;
$$;
comment on function private.analytics_sessions_recount(text[]) is
  'Repair path for the session counters: recomputes event_count and page_view_count from scratch for the given session keys (all sessions when null) and returns how many rows were corrected. Needed only after bulk operations that bypass row and statement triggers: DROP/DETACH of an analytics_events partition (retention) or TRUNCATE. Same definition as the incremental maintenance. SECURITY DEFINER with an empty search_path; EXECUTE for service_role only.';

revoke all on function private.analytics_sessions_maintain_counts(), private.analytics_sessions_guard_counts()
  from public, anon, authenticated, service_role;
revoke all on function private.analytics_sessions_recount(text[]) from public, anon, authenticated, service_role;
grant execute on function private.analytics_sessions_recount(text[]) to service_role;

create trigger analytics_sessions_guard_counts
  before insert or update on public.analytics_sessions
  for each row execute function private.analytics_sessions_guard_counts();

-- Transition tables allow one event per trigger, hence three per table.
create trigger analytics_events_count_insert after insert on public.analytics_events
  referencing new table as new_rows for each statement execute function private.analytics_sessions_maintain_counts();
create trigger analytics_events_count_update after update on public.analytics_events
  referencing old table as old_rows new table as new_rows for each statement execute function private.analytics_sessions_maintain_counts();
create trigger analytics_events_count_delete after delete on public.analytics_events
  referencing old table as old_rows for each statement execute function private.analytics_sessions_maintain_counts();
create trigger analytics_page_views_count_insert after insert on public.analytics_page_views
  referencing new table as new_rows for each statement execute function private.analytics_sessions_maintain_counts();
create trigger analytics_page_views_count_update after update on public.analytics_page_views
  referencing old table as old_rows new table as new_rows for each statement execute function private.analytics_sessions_maintain_counts();
create trigger analytics_page_views_count_delete after delete on public.analytics_page_views
  referencing old table as old_rows for each statement execute function private.analytics_sessions_maintain_counts();

-- ---------------------------------------------------------------------------
-- Partitions of analytics_events
-- ---------------------------------------------------------------------------
create function private.analytics_events_harden_partition(p_partition regclass)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  col record;
  bound text;
begin
  if not exists (
    select 1 from pg_catalog.pg_inherits i
     where i.inhrelid = p_partition and i.inhparent = 'public.analytics_events'::regclass
  ) then
    raise exception '% is not a partition of public.analytics_events', p_partition
      using errcode = '22023';
  end if;
  -- Queries go through the parent (whose grants and policies apply there).
  -- Direct access to a partition is denied twice over: no grants, and RLS
  -- forced with no policy.
  execute pg_catalog.format('alter table %s enable row level security', p_partition);
  execute pg_catalog.format('alter table %s force row level security', p_partition);
  execute pg_catalog.format('revoke all on table %s from public, anon, authenticated, service_role', p_partition);
  -- Keep the data dictionary complete: partitions carry the parent's column comments.
  select pg_catalog.pg_get_expr(c.relpartbound, c.oid) into bound
    from pg_catalog.pg_class c where c.oid = p_partition;
  execute pg_catalog.format(
    'comment on table %s is %L', p_partition,
    'Partition of analytics_events (' || bound || '). Not directly accessible: query public.analytics_events.');
  for col in
    select a.attname, pg_catalog.col_description('public.analytics_events'::regclass, a.attnum) as description
      from pg_catalog.pg_attribute a
     where a.attrelid = 'public.analytics_events'::regclass and a.attnum > 0 and not a.attisdropped
  loop
    execute pg_catalog.format('comment on column %s.%I is %L', p_partition, col.attname, col.description);
  end loop;
end;
$$;
comment on function private.analytics_events_harden_partition(regclass) is
  'Hardens one partition of analytics_events: RLS enabled and forced (no policies), all privileges revoked from public, anon, authenticated and service_role, table and column comments set. Called by ensure_analytics_events_partitions() and re-applied to every partition by policies/analytics.sql. Owner-only.';

create function private.ensure_analytics_events_partitions(from_month date, to_month date)
returns setof text
language plpgsql
security definer
set search_path = ''
as $$
declare
  first_month date := pg_catalog.date_trunc('month', from_month)::date;
  last_month date := pg_catalog.date_trunc('month', to_month)::date;
  month date;
  partition_name text;
  lower_bound timestamptz;
  upper_bound timestamptz;
  column_list text;
begin
  if from_month is null or to_month is null or to_month < from_month then
    raise exception 'ensure_analytics_events_partitions: need from_month <= to_month (got % and %)', from_month, to_month
      using errcode = '22023';
  end if;
  if last_month > first_month + interval '10 years' then
    raise exception 'ensure_analytics_events_partitions: range of more than 10 years refused'
      using errcode = '22023';
  end if;

  select pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' order by a.attnum)
    into column_list
    from pg_catalog.pg_attribute a
   where a.attrelid = 'public.analytics_events'::regclass
     and a.attnum > 0 and not a.attisdropped and a.attgenerated = '';

  month := first_month;
  while month <= last_month loop
    partition_name := 'analytics_events_p' || pg_catalog.to_char(month, 'YYYYMM');
    lower_bound := month::timestamp at time zone 'UTC';
    upper_bound := (month + interval '1 month')::timestamp at time zone 'UTC';
    if pg_catalog.to_regclass('public.' || pg_catalog.quote_ident(partition_name)) is null then
      -- Rows of this month already in the default partition would make
      -- CREATE ... PARTITION OF fail: park them, create, and route them back.
      -- Deleting and re-inserting through the parent keeps the statement
      -- triggers (session counters) balanced.
      if exists (select 1 from public.analytics_events e
                  where e.occurred_at >= lower_bound and e.occurred_at < upper_bound) then
        execute 'create temporary table analytics_events_parked on commit drop as '
             || 'select * from public.analytics_events with no data';
        execute pg_catalog.format(
          'with moved as (delete from public.analytics_events where occurred_at >= $1 and occurred_at < $2 returning %s) '
          || 'insert into pg_temp.analytics_events_parked (%s) select %s from moved',
          column_list, column_list, column_list)
          using lower_bound, upper_bound;
      end if;
      execute pg_catalog.format(
        'create table public.%I partition of public.analytics_events for values from (%L) to (%L)',
        partition_name, lower_bound, upper_bound);
      perform private.analytics_events_harden_partition(('public.' || pg_catalog.quote_ident(partition_name))::regclass);
      if pg_catalog.to_regclass('pg_temp.analytics_events_parked') is not null then
        execute pg_catalog.format(
          'insert into public.analytics_events (%s) select %s from pg_temp.analytics_events_parked',
          column_list, column_list);
        drop table pg_temp.analytics_events_parked;
      end if;
      return next partition_name;
    end if;
    month := (month + interval '1 month')::date;
  end loop;
  return;
end;
$$;
comment on function private.ensure_analytics_events_partitions(date, date) is
  'Creates the missing monthly partitions analytics_events_pYYYYMM (UTC month bounds) for every month from from_month to to_month inclusive, hardens each (RLS enabled and forced, no grants), moves rows of that month out of analytics_events_default if any, and returns the names it created. Idempotent. SECURITY DEFINER with an empty search_path; EXECUTE for service_role only (run monthly by the scheduler, e.g. 3 months ahead).';

revoke all on function private.analytics_events_harden_partition(regclass) from public, anon, authenticated, service_role;
revoke all on function private.ensure_analytics_events_partitions(date, date) from public, anon, authenticated, service_role;
grant execute on function private.ensure_analytics_events_partitions(date, date) to service_role;

create table public.analytics_events_default partition of public.analytics_events default;
do $$ begin perform private.analytics_events_harden_partition('public.analytics_events_default'::regclass); end $$;
comment on table public.analytics_events_default is
  'Default partition of analytics_events: catches rows outside every monthly partition (very old or future months). Not directly accessible: query public.analytics_events.';

-- 13 months back (the analytics retention period) to 3 months ahead.
do $$
begin
  perform private.ensure_analytics_events_partitions(
    ((now() at time zone 'UTC')::date - interval '13 months')::date,
    ((now() at time zone 'UTC')::date + interval '3 months')::date);
end
$$;

-- ---------------------------------------------------------------------------
-- Admin containment search on event_data (query 4)
-- ---------------------------------------------------------------------------
-- Under RLS a user-supplied condition can become an index condition only if
-- its operator is leakproof; jsonb @> (jsonb_contains) is not, so an admin's
-- `event_data @> ...` through the policies would scan every partition
-- sequentially. This function runs the same search as the owner (no RLS, GIN
-- index used) after checking the admin claim itself. Plain users keep using
-- the table: their own-rows predicate (user_id = auth.uid()) is leakproof
-- and indexed, so they do not need it.
create function public.admin_search_analytics_events(
  p_filter jsonb,
  p_from timestamptz default null,
  p_to timestamptz default null,
  p_limit integer default 100
)
returns setof public.analytics_events
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not coalesce((select private.is_admin()), false) then
    raise exception 'admin_search_analytics_events: admin only' using errcode = '42501';
  end if;
  if p_filter is null or pg_catalog.jsonb_typeof(p_filter) <> 'object' then
    raise exception 'admin_search_analytics_events: p_filter must be a JSON object' using errcode = '22023';
  end if;
  if p_limit is null or p_limit < 1 or p_limit > 10000 then
    raise exception 'admin_search_analytics_events: p_limit must be between 1 and 10000' using errcode = '22023';
  end if;
  return query
    select e.* from public.analytics_events e
     where e.event_data @> p_filter
       and (p_from is null or e.occurred_at >= p_from)
       and (p_to is null or e.occurred_at < p_to)
     order by e.occurred_at desc
     limit p_limit;
end;
$$;
comment on function public.admin_search_analytics_events(jsonb, timestamptz, timestamptz, integer) is
  'Query 4 for admins: events whose event_data contains p_filter (jsonb @>), optionally within [p_from, p_to), newest first, at most p_limit (1-10000). Raises 42501 unless the caller''s JWT has app_metadata.role = admin. SECURITY DEFINER (empty search_path) so the GIN jsonb_path_ops index is usable: through RLS the non-leakproof @> operator cannot be an index condition. EXECUTE for authenticated only (service_role bypasses RLS and queries the table directly).';
revoke all on function public.admin_search_analytics_events(jsonb, timestamptz, timestamptz, integer) from public, anon, authenticated, service_role;
grant execute on function public.admin_search_analytics_events(jsonb, timestamptz, timestamptz, integer) to authenticated;

-- ---------------------------------------------------------------------------
-- refresh_user_engagement
-- ---------------------------------------------------------------------------
create function public.refresh_user_engagement(day date)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  day_start timestamptz;
  day_end timestamptz;
  written integer;
begin
  if day is null then
    raise exception 'refresh_user_engagement: day must not be null' using errcode = '22004';
  end if;
  day_start := day::timestamp at time zone 'UTC';
  day_end := (day + 1)::timestamp at time zone 'UTC';

  with session_stats as (
    select s.user_id,
           count(*)::integer as sessions,
           (count(*) filter (where s.is_bounce))::integer as bounces,
           coalesce(sum(s.duration_seconds), 0)::integer as time_seconds
      from public.analytics_sessions s
     where s.user_id is not null and s.started_at >= day_start and s.started_at < day_end
     group by s.user_id
  ), page_view_stats as (
    select v.user_id, count(*)::integer as page_views
      from public.analytics_page_views v
     where v.user_id is not null and v.viewed_at >= day_start and v.viewed_at < day_end
     group by v.user_id
  ), event_stats as (
    select e.user_id, count(*)::integer as events
      from public.analytics_events e
     where e.user_id is not null and e.occurred_at >= day_start and e.occurred_at < day_end
     group by e.user_id
  ), moments as (
    select s.user_id, s.started_at as at from public.analytics_sessions s
     where s.user_id is not null and s.started_at >= day_start and s.started_at < day_end
    union all
    select v.user_id, v.viewed_at from public.analytics_page_views v
     where v.user_id is not null and v.viewed_at >= day_start and v.viewed_at < day_end
    union all
    select e.user_id, e.occurred_at from public.analytics_events e
     where e.user_id is not null and e.occurred_at >= day_start and e.occurred_at < day_end
  ), activity as (
    select m.user_id,
           pg_catalog.array_agg(distinct m.hour order by m.hour) as hours,
           min(m.at) as first_at,
           max(m.at) as last_at
      from (select x.user_id, x.at, extract(hour from x.at at time zone 'UTC')::smallint as hour
              from moments x) m
     group by m.user_id
  ), totals as (
    select a.user_id,
           coalesce(ss.sessions, 0) as sessions,
           coalesce(ss.bounces, 0) as bounces,
           coalesce(ss.time_seconds, 0) as time_seconds,
           coalesce(pv.page_views, 0) as page_views,
           coalesce(ev.events, 0) as events,
           a.hours, a.first_at, a.last_at
      from activity a
      left join session_stats ss on ss.user_id = a.user_id
      left join page_view_stats pv on pv.user_id = a.user_id
      left join event_stats ev on ev.user_id = a.user_id
  ), removed as (
    delete from public.analytics_user_engagement u
     where u.engagement_date = day
       and not exists (select 1 from totals t where t.user_id = u.user_id)
  ), upserted as (
    insert into public.analytics_user_engagement as u (
      user_id, engagement_date, engagement_score, total_sessions, total_page_views, total_events,
      total_time_seconds, bounce_sessions, active_hours, first_activity_at, last_activity_at)
    select t.user_id, day,
           round(
               25.0 * least(t.sessions, 5) / 5
             + 25.0 * least(t.page_views, 25) / 25
             + 20.0 * least(t.events, 50) / 50
             + 20.0 * least(t.time_seconds, 3600) / 3600
             + 10.0 * case when t.sessions = 0 then 0
                           else (t.sessions - t.bounces)::numeric / t.sessions end,
             2),
           t.sessions, t.page_views, t.events, t.time_seconds, t.bounces,
           t.hours, t.first_at, t.last_at
      from totals t
    on conflict (user_id, engagement_date) do update
       set engagement_score = excluded.engagement_score,
           total_sessions = excluded.total_sessions,
           total_page_views = excluded.total_page_views,
           total_events = excluded.total_events,
           total_time_seconds = excluded.total_time_seconds,
           bounce_sessions = excluded.bounce_sessions,
           active_hours = excluded.active_hours,
           first_activity_at = excluded.first_activity_at,
           last_activity_at = excluded.last_activity_at
     where (u.engagement_score, u.total_sessions, u.total_page_views, u.total_events,
            u.total_time_seconds, u.bounce_sessions, u.active_hours, u.first_activity_at, u.last_activity_at)
           is distinct from
           (excluded.engagement_score, excluded.total_sessions, excluded.total_page_views, excluded.total_events,
            excluded.total_time_seconds, excluded.bounce_sessions, excluded.active_hours,
            excluded.first_activity_at, excluded.last_activity_at)
    returning 1
  )
  select count(*)::integer into written from totals;

  return written;
end;
$$;
comment on function public.refresh_user_engagement(date) is
$c$Recomputes analytics_user_engagement for one UTC day from analytics_sessions (started that day), analytics_page_views (viewed that day) and analytics_events (occurred that day); anonymous rows are ignored. Idempotent: upserts one row per user with any activity (insert ... on conflict do update, unchanged rows are not rewritten) and deletes that day's rows of users with no activity. Returns the number of users with activity that day.
Scoring formula (each term saturates; maximum 100; rounded half away from zero to 2 decimals):
  score = 25 * min(sessions, 5) / 5
        + 25 * min(page_views, 25) / 25
        + 20 * min(events, 50) / 50
        + 20 * min(time_seconds, 3600) / 3600
        + 10 * (sessions - bounce_sessions) / sessions   (0 when sessions = 0)
where time_seconds is the sum of duration_seconds of the day's sessions (open sessions count 0).
SECURITY DEFINER with an empty search_path; EXECUTE granted to service_role only (a scheduled job), so no API client can trigger recomputation.$c$;

revoke all on function public.refresh_user_engagement(date) from public, anon, authenticated, service_role;
grant execute on function public.refresh_user_engagement(date) to service_role;
