-- What a fresh Supabase database holds before the project's first migration,
-- for a plain PostgreSQL 15: schemas extensions, auth and storage, the
-- publication supabase_realtime, and the platform's grants and default
-- privileges. The roles it names (anon, authenticated, service_role,
-- authenticator, supabase_admin, supabase_auth_admin, supabase_storage_admin,
-- dashboard_user) exist already (shim-roles.ts).
--
-- shim.ts runs this file only on a database without schema auth, so it never
-- runs twice on one database: a second run would re-grant what a migration
-- revoked. "The developer's role" is the role running the migrations (on the
-- platform: postgres). The facts and their sources are listed in
-- docs/supabase.md; the statements are written here from those facts.

-- ---------------------------------------------------------------------------
-- extensions: pgcrypto and uuid-ossp live in schema extensions, which the
-- developer's search_path includes, so gen_random_bytes() resolves unqualified.
-- ---------------------------------------------------------------------------
create schema if not exists extensions;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;

do $shim$
declare
  developer text := current_user;
begin
  execute pg_catalog.format('grant usage on schema public to %I, anon, authenticated, service_role', developer);
  execute pg_catalog.format('grant usage on schema extensions to %I, anon, authenticated, service_role', developer);
  grant all on schema extensions to dashboard_user;

  -- Every table, sequence and function the developer's role creates in public
  -- is granted to the API roles: with RLS off, anon can read and write it.
  execute pg_catalog.format('alter default privileges for role %I in schema public grant all on tables to %I, anon, authenticated, service_role', developer, developer);
  execute pg_catalog.format('alter default privileges for role %I in schema public grant all on sequences to %I, anon, authenticated, service_role', developer, developer);
  execute pg_catalog.format('alter default privileges for role %I in schema public grant all on functions to %I, anon, authenticated, service_role', developer, developer);
  if pg_catalog.pg_has_role(current_user, 'supabase_admin', 'USAGE') then
    execute pg_catalog.format('alter default privileges for role supabase_admin in schema public grant all on tables to %I, anon, authenticated, service_role', developer);
    execute pg_catalog.format('alter default privileges for role supabase_admin in schema public grant all on sequences to %I, anon, authenticated, service_role', developer);
    execute pg_catalog.format('alter default privileges for role supabase_admin in schema public grant all on functions to %I, anon, authenticated, service_role', developer);
  end if;

  if not exists (select 1 from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$shim$;

-- ---------------------------------------------------------------------------
-- auth: GoTrue's schema. auth.users with the column set GoTrue's migrations
-- leave, owned by supabase_auth_admin, RLS enabled; no privilege for anon,
-- authenticated or service_role.
-- ---------------------------------------------------------------------------
create schema auth authorization supabase_admin;
grant usage on schema auth to anon, authenticated, service_role;
grant all on schema auth to supabase_auth_admin, dashboard_user;

create type auth.aal_level as enum ('aal1', 'aal2', 'aal3');

create table auth.users (
  instance_id uuid,
  id uuid not null,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255),
  confirmation_sent_at timestamptz,
  recovery_token varchar(255),
  recovery_sent_at timestamptz,
  email_change_token_new varchar(255),
  email_change varchar(255),
  email_change_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  phone text default null,
  phone_confirmed_at timestamptz,
  phone_change text default '',
  phone_change_token varchar(255) default '',
  phone_change_sent_at timestamptz,
  confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  email_change_token_current varchar(255) default '',
  email_change_confirm_status smallint default 0 check (email_change_confirm_status >= 0 and email_change_confirm_status <= 2),
  banned_until timestamptz,
  reauthentication_token varchar(255) default '',
  reauthentication_sent_at timestamptz,
  is_sso_user boolean not null default false,
  deleted_at timestamptz,
  is_anonymous boolean not null default false,
  constraint users_pkey primary key (id),
  constraint users_phone_key unique (phone)
);
create unique index users_email_partial_key on auth.users (email) where (is_sso_user = false);
create index users_instance_id_idx on auth.users (instance_id);
create index users_is_anonymous_idx on auth.users (is_anonymous);
comment on table auth.users is 'Auth: Stores user login data within a secure schema.';
comment on column auth.users.is_sso_user is 'Auth: Set this column to true when the account comes from SSO. These accounts can have duplicate emails.';

create table auth.identities (
  provider_id text not null,
  user_id uuid not null references auth.users (id) on delete cascade,
  identity_data jsonb not null,
  provider text not null,
  last_sign_in_at timestamptz,
  created_at timestamptz,
  updated_at timestamptz,
  email text generated always as (lower(identity_data ->> 'email')) stored,
  id uuid not null default gen_random_uuid() primary key,
  constraint identities_provider_id_provider_unique unique (provider_id, provider)
);
create index identities_user_id_idx on auth.identities (user_id);
comment on table auth.identities is 'Auth: Stores identities associated to a user.';

create table auth.sessions (
  id uuid not null primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz,
  updated_at timestamptz,
  factor_id uuid,
  aal auth.aal_level,
  not_after timestamptz,
  refreshed_at timestamp,
  user_agent text,
  ip inet,
  tag text
);
create index sessions_user_id_idx on auth.sessions (user_id);
comment on table auth.sessions is 'Auth: Stores session data associated to a user.';

alter table auth.users enable row level security;
alter table auth.identities enable row level security;
alter table auth.sessions enable row level security;
alter table auth.users owner to supabase_auth_admin;
alter table auth.identities owner to supabase_auth_admin;
alter table auth.sessions owner to supabase_auth_admin;
alter type auth.aal_level owner to supabase_auth_admin;
grant all on auth.users, auth.identities, auth.sessions to dashboard_user;

-- The claim readers, as GoTrue defines them today: request.jwt.claims (JSON,
-- what PostgREST sets) with the legacy per-claim settings first.
create function auth.uid() returns uuid
  language sql stable
  set search_path to ''
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create function auth.role() returns text
  language sql stable
  set search_path to ''
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create function auth.email() returns text
  language sql stable
  set search_path to ''
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

create function auth.jwt() returns jsonb
  language sql stable
  set search_path to ''
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

comment on function auth.uid() is 'Deprecated. Use auth.jwt() -> ''sub'' instead.';
comment on function auth.role() is 'Deprecated. Use auth.jwt() -> ''role'' instead.';
comment on function auth.email() is 'Deprecated. Use auth.jwt() -> ''email'' instead.';
alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;
grant all on function auth.uid(), auth.role(), auth.email(), auth.jwt() to dashboard_user;

do $shim$
begin
  execute pg_catalog.format('grant usage on schema auth to %I', current_user);
  execute pg_catalog.format('grant all on auth.users, auth.identities, auth.sessions to %I', current_user);
end
$shim$;

-- ---------------------------------------------------------------------------
-- storage: Storage's schema. buckets and objects owned by
-- supabase_storage_admin, RLS enabled on both, all privileges for the API
-- roles (Storage's default privileges): policies decide.
-- ---------------------------------------------------------------------------
create schema storage authorization supabase_admin;
grant all on schema storage to supabase_storage_admin with grant option;
grant all on schema storage to dashboard_user;

create table storage.buckets (
  id text not null primary key,
  name text not null,
  owner uuid,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  public boolean default false,
  avif_autodetection boolean default false,
  file_size_limit bigint,
  allowed_mime_types text[],
  owner_id text
);
create unique index bname on storage.buckets (name);
comment on column storage.buckets.owner is 'Field is deprecated, use owner_id instead';

create table storage.objects (
  id uuid not null default gen_random_uuid() primary key,
  bucket_id text references storage.buckets (id),
  name text,
  owner uuid,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  last_accessed_at timestamptz default now(),
  metadata jsonb,
  path_tokens text[] generated always as (string_to_array(name, '/')) stored,
  version text,
  owner_id text,
  user_metadata jsonb
);
create unique index bucketid_objname on storage.objects (bucket_id, name);
create index name_prefix_search on storage.objects (name text_pattern_ops);
comment on column storage.objects.owner is 'Field is deprecated, use owner_id instead';

alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;

-- Path helpers: 'user-id/avatars/me.png' -> {user-id,avatars}, 'me.png', 'png'.
create function storage.foldername(name text) returns text[]
  language plpgsql immutable
as $$
declare
  parts text[] := string_to_array(name, '/');
begin
  return parts[1:array_length(parts, 1) - 1];
end
$$;

create function storage.filename(name text) returns text
  language plpgsql immutable
as $$
declare
  parts text[] := string_to_array(name, '/');
begin
  return parts[array_length(parts, 1)];
end
$$;

create function storage.extension(name text) returns text
  language plpgsql immutable
as $$
declare
  parts text[] := string_to_array(name, '/');
  file text := parts[array_length(parts, 1)];
begin
  return reverse(split_part(reverse(file), '.', 1));
end
$$;

alter table storage.buckets owner to supabase_storage_admin;
alter table storage.objects owner to supabase_storage_admin;
alter function storage.foldername(text) owner to supabase_storage_admin;
alter function storage.filename(text) owner to supabase_storage_admin;
alter function storage.extension(text) owner to supabase_storage_admin;
grant all on storage.buckets, storage.objects to anon, authenticated, service_role, dashboard_user;
grant all on function storage.foldername(text), storage.filename(text), storage.extension(text) to anon, authenticated, service_role;

do $shim$
declare
  developer text := current_user;
begin
  execute pg_catalog.format('grant usage on schema storage to %I, anon, authenticated, service_role', developer);
  execute pg_catalog.format('grant all on storage.buckets, storage.objects to %I', developer);
  if pg_catalog.pg_has_role(current_user, 'supabase_storage_admin', 'USAGE') then
    execute pg_catalog.format('alter default privileges for role supabase_storage_admin in schema storage grant all on tables to %I, anon, authenticated, service_role', developer);
    execute pg_catalog.format('alter default privileges for role supabase_storage_admin in schema storage grant all on functions to %I, anon, authenticated, service_role', developer);
    execute pg_catalog.format('alter default privileges for role supabase_storage_admin in schema storage grant all on sequences to %I, anon, authenticated, service_role', developer);
  end if;
end
$shim$;

-- ---------------------------------------------------------------------------
-- auth: the rest of GoTrue's tables and types, as GoTrue's migrations leave
-- them, so that a migration pulled from an older project (`supabase db pull`
-- re-creating auth.flow_state, indexing auth.refresh_tokens) meets what it
-- would meet on the platform today.
-- ---------------------------------------------------------------------------
create type auth.factor_type as enum ('totp', 'webauthn', 'phone');
create type auth.factor_status as enum ('unverified', 'verified');
create type auth.code_challenge_method as enum ('s256', 'plain');
create type auth.one_time_token_type as enum ('confirmation_token', 'reauthentication_token', 'recovery_token', 'email_change_token_new', 'email_change_token_current', 'phone_change_token');

create table auth.schema_migrations (version varchar(255) not null primary key);
create table auth.instances (id uuid not null primary key, uuid uuid, raw_base_config text, created_at timestamptz, updated_at timestamptz);
create table auth.audit_log_entries (instance_id uuid, id uuid not null primary key, payload json, created_at timestamptz, ip_address varchar(64) not null default '');
create index audit_logs_instance_id_idx on auth.audit_log_entries (instance_id);
create table auth.refresh_tokens (
  instance_id uuid,
  id bigserial primary key,
  token varchar(255) unique,
  user_id varchar(255),
  revoked boolean,
  created_at timestamptz,
  updated_at timestamptz,
  parent varchar(255),
  session_id uuid references auth.sessions (id) on delete cascade
);
create index refresh_tokens_instance_id_idx on auth.refresh_tokens (instance_id);
create index refresh_tokens_instance_id_user_id_idx on auth.refresh_tokens (instance_id, user_id);
create index refresh_tokens_parent_idx on auth.refresh_tokens (parent);
create index refresh_tokens_session_id_revoked_idx on auth.refresh_tokens (session_id, revoked);
create index refresh_token_session_id on auth.refresh_tokens (session_id);
create table auth.flow_state (
  id uuid not null primary key,
  user_id uuid,
  auth_code text not null,
  code_challenge_method auth.code_challenge_method not null,
  code_challenge text not null,
  provider_type text not null,
  provider_access_token text,
  provider_refresh_token text,
  created_at timestamptz,
  updated_at timestamptz,
  authentication_method text not null,
  auth_code_issued_at timestamptz
);
create index idx_auth_code on auth.flow_state (auth_code);
create table auth.mfa_factors (
  id uuid not null primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  friendly_name text,
  factor_type auth.factor_type not null,
  status auth.factor_status not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  secret text,
  phone text,
  last_challenged_at timestamptz unique,
  web_authn_credential jsonb,
  web_authn_aaguid uuid
);
create table auth.mfa_challenges (
  id uuid not null primary key,
  factor_id uuid not null references auth.mfa_factors (id) on delete cascade,
  created_at timestamptz not null,
  verified_at timestamptz,
  ip_address inet not null,
  otp_code text,
  web_authn_session_data jsonb
);
create table auth.mfa_amr_claims (
  session_id uuid not null references auth.sessions (id) on delete cascade,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  authentication_method text not null,
  id uuid not null primary key,
  constraint mfa_amr_claims_session_id_authentication_method_pkey unique (session_id, authentication_method)
);
create table auth.sso_providers (id uuid not null primary key, resource_id text, created_at timestamptz, updated_at timestamptz, disabled boolean);
create table auth.sso_domains (
  id uuid not null primary key,
  sso_provider_id uuid not null references auth.sso_providers (id) on delete cascade,
  domain text not null,
  created_at timestamptz,
  updated_at timestamptz
);
create table auth.saml_providers (
  id uuid not null primary key,
  sso_provider_id uuid not null references auth.sso_providers (id) on delete cascade,
  entity_id text not null unique,
  metadata_xml text not null,
  metadata_url text,
  attribute_mapping jsonb,
  created_at timestamptz,
  updated_at timestamptz,
  name_id_format text
);
create table auth.saml_relay_states (
  id uuid not null primary key,
  sso_provider_id uuid not null references auth.sso_providers (id) on delete cascade,
  request_id text not null,
  for_email text,
  redirect_to text,
  created_at timestamptz,
  updated_at timestamptz,
  flow_state_id uuid references auth.flow_state (id) on delete cascade
);
create table auth.one_time_tokens (
  id uuid not null primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  token_type auth.one_time_token_type not null,
  token_hash text not null check (char_length(token_hash) > 0),
  relates_to text not null,
  created_at timestamp not null default now(),
  updated_at timestamp not null default now()
);

do $shim$
declare
  tbl text;
begin
  foreach tbl in array array['schema_migrations', 'instances', 'audit_log_entries', 'refresh_tokens', 'flow_state', 'mfa_factors', 'mfa_challenges', 'mfa_amr_claims', 'sso_providers', 'sso_domains', 'saml_providers', 'saml_relay_states', 'one_time_tokens'] loop
    execute pg_catalog.format('alter table auth.%I enable row level security', tbl);
    execute pg_catalog.format('alter table auth.%I owner to supabase_auth_admin', tbl);
    execute pg_catalog.format('grant all on auth.%I to dashboard_user, %I', tbl, current_user);
  end loop;
end
$shim$;
alter sequence auth.refresh_tokens_id_seq owner to supabase_auth_admin;
alter type auth.factor_type owner to supabase_auth_admin;
alter type auth.factor_status owner to supabase_auth_admin;
alter type auth.code_challenge_method owner to supabase_auth_admin;
alter type auth.one_time_token_type owner to supabase_auth_admin;
grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt() to supabase_realtime_admin;
grant usage on schema auth to supabase_realtime_admin;

-- ---------------------------------------------------------------------------
-- The other schemas of a fresh platform database: graphql, graphql_public,
-- realtime, vault, pgbouncer, supabase_functions, and the extensions the
-- platform has installed (pg_stat_statements, pg_graphql, supabase_vault,
-- pg_net). The stand-ins for pg_graphql, supabase_vault and pg_net come from
-- schemaproof's installation tree (src/postgres/extensions); where a server
-- lacks them (--database-url), those three are left out.
-- ---------------------------------------------------------------------------
create schema if not exists graphql authorization supabase_admin;
create schema if not exists graphql_public authorization supabase_admin;
create schema if not exists vault authorization supabase_admin;
create schema if not exists realtime authorization supabase_admin;
create schema if not exists pgbouncer authorization pgbouncer;
create schema if not exists supabase_functions authorization supabase_admin;
grant usage on schema graphql, graphql_public, realtime, supabase_functions to anon, authenticated, service_role;
grant all on schema realtime to supabase_realtime_admin with grant option;

do $shim$
declare
  developer text := current_user;
begin
  execute pg_catalog.format('grant usage on schema graphql, graphql_public, realtime, supabase_functions to %I', developer);
  execute pg_catalog.format('grant usage on schema vault to %I with grant option', developer);
  -- Only a superuser may create it; on a server schemaproof did not start, a
  -- non-superuser role leaves it to that server's administrator.
  begin
    create extension if not exists pg_stat_statements with schema extensions;
  exception when insufficient_privilege then
    raise notice 'pg_stat_statements not created: % (a superuser can create it, as the platform does)', sqlerrm;
  end;
  if exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_graphql' and comment like '(schemaproof%') then
    create extension if not exists pg_graphql with schema graphql;
    grant execute on all functions in schema graphql to anon, authenticated, service_role;
  end if;
  if exists (select 1 from pg_catalog.pg_available_extensions where name = 'supabase_vault' and comment like '(schemaproof%') then
    create extension if not exists supabase_vault with schema vault;
    execute pg_catalog.format('grant select, delete on vault.secrets, vault.decrypted_secrets to %I with grant option', developer);
    execute pg_catalog.format('grant execute on function vault.create_secret(text, text, text, uuid), vault.update_secret(uuid, text, text, text, uuid) to %I', developer);
  end if;
  if exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_net' and comment like '(schemaproof%') then
    create extension if not exists pg_net with schema extensions;
  end if;
end
$shim$;

-- graphql_public.graphql(): the platform's placeholder while pg_graphql's
-- resolver is not reachable; it answers with an error object.
create function graphql_public.graphql("operationName" text default null, query text default null, variables jsonb default null, extensions jsonb default null)
  returns jsonb
  language sql
as $$
  select jsonb_build_object('errors', jsonb_build_array(jsonb_build_object('message', 'pg_graphql extension is not enabled.')))
$$;
grant execute on function graphql_public.graphql(text, text, jsonb, jsonb) to anon, authenticated, service_role;

-- pgbouncer.get_auth: what the connection pooler reads to authenticate.
create function pgbouncer.get_auth(p_usename text)
  returns table (username text, password text)
  language plpgsql
  security definer
  set search_path = ''
as $$
begin
  return query
    select rolname::text, case when rolvaliduntil < now() then null else rolpassword::text end
      from pg_catalog.pg_authid where rolname = p_usename and rolcanlogin;
end
$$;
alter function pgbouncer.get_auth(text) owner to supabase_admin;
revoke all on function pgbouncer.get_auth(text) from public;
grant execute on function pgbouncer.get_auth(text) to pgbouncer;

-- realtime: the table Realtime Authorization policies are written on
-- (realtime.messages, RLS on) and realtime.topic(), the topic being joined.
-- Realtime itself (channels, broadcast delivery) is not mirrored.
create table realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp not null default now(),
  inserted_at timestamp not null default now(),
  id uuid not null default gen_random_uuid(),
  primary key (id, inserted_at)
);
alter table realtime.messages enable row level security;
alter table realtime.messages owner to supabase_realtime_admin;
grant select, insert, update on realtime.messages to anon, authenticated, service_role;
create table realtime.schema_migrations (version bigint not null primary key, inserted_at timestamp(0));
alter table realtime.schema_migrations owner to supabase_realtime_admin;

create function realtime.topic() returns text
  language sql stable
as $$ select nullif(current_setting('realtime.topic', true), '')::text $$;
alter function realtime.topic() owner to supabase_realtime_admin;

create function realtime.send(payload jsonb, event text, topic text, private boolean default true) returns void
  language sql
as $$
  insert into realtime.messages (payload, event, topic, private, extension) values (payload, event, topic, private, 'broadcast')
$$;
alter function realtime.send(jsonb, text, text, boolean) owner to supabase_realtime_admin;
grant execute on function realtime.topic(), realtime.send(jsonb, text, text, boolean) to anon, authenticated, service_role;

-- supabase_functions: Database Webhooks. A trigger calling
-- supabase_functions.http_request(url, method, headers, params, timeout_ms)
-- queues the request through pg_net (never sent here) and records the hook.
create table supabase_functions.migrations (version text primary key, inserted_at timestamptz not null default now());
insert into supabase_functions.migrations (version) values ('initial'), ('20210809183423_update_grants');
create table supabase_functions.hooks (
  id bigserial primary key,
  hook_table_id integer not null,
  hook_name text not null,
  created_at timestamptz not null default now(),
  request_id bigint
);
create index supabase_functions_hooks_request_id_idx on supabase_functions.hooks (request_id);
create index supabase_functions_hooks_h_table_id_h_name_idx on supabase_functions.hooks (hook_table_id, hook_name);

create function supabase_functions.http_request() returns trigger
  language plpgsql
  security definer
  set search_path = supabase_functions
as $$
declare
  target text := TG_ARGV[0];
  verb text := TG_ARGV[1];
  headers jsonb := coalesce(nullif(TG_ARGV[2], 'null')::jsonb, '{"Content-Type": "application/json"}'::jsonb);
  params jsonb := coalesce(nullif(TG_ARGV[3], 'null')::jsonb, '{}'::jsonb);
  timeout_ms integer := coalesce(nullif(TG_ARGV[4], 'null')::integer, 1000);
  request bigint;
begin
  if target is null or target = 'null' then
    raise exception 'url argument is missing';
  end if;
  if verb is null or verb = 'null' then
    raise exception 'method argument is missing';
  end if;
  if verb = 'GET' then
    request := net.http_get(target, params, headers, timeout_ms);
  elsif verb = 'POST' then
    request := net.http_post(
      target,
      jsonb_build_object('old_record', OLD, 'record', NEW, 'type', TG_OP, 'table', TG_TABLE_NAME, 'schema', TG_TABLE_SCHEMA),
      params, headers, timeout_ms);
  else
    raise exception 'method argument % is invalid', verb;
  end if;
  insert into supabase_functions.hooks (hook_table_id, hook_name, request_id) values (TG_RELID, TG_NAME, request);
  return NEW;
end
$$;
-- Before the owner changes: a non-superuser may only hand an object to a role with CREATE on its schema.
grant all on schema supabase_functions to supabase_functions_admin;
alter table supabase_functions.migrations owner to supabase_functions_admin;
alter table supabase_functions.hooks owner to supabase_functions_admin;
alter function supabase_functions.http_request() owner to supabase_functions_admin;
revoke all on function supabase_functions.http_request() from public;
grant execute on function supabase_functions.http_request() to anon, authenticated, service_role;
do $shim$
begin
  execute pg_catalog.format('grant all on supabase_functions.hooks, supabase_functions.migrations, supabase_functions.hooks_id_seq to %I, anon, authenticated, service_role', current_user);
  execute pg_catalog.format('grant execute on function supabase_functions.http_request() to %I', current_user);
end
$shim$;
