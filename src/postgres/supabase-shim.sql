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
