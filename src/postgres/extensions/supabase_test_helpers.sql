-- schemaproof's own implementation of the public API of supabase-test-helpers
-- (usebasejump/supabase-test-helpers, installed on Supabase through
-- database.dev as "basejump-supabase_test_helpers"), written to its
-- documented behaviour. Installed as the extensions
-- "basejump-supabase_test_helpers" and "supabase_test_helpers", every 0.0.x
-- version, into throwaway clusters only (src/postgres/installation.ts).
\echo Use "CREATE EXTENSION supabase_test_helpers" to load this file. \quit

create schema if not exists tests;
create schema if not exists test_overrides;
grant usage on schema tests, test_overrides to anon, authenticated, service_role;

-- A user in auth.users, found again by its identifier (kept in
-- raw_user_meta_data.test_identifier). Email defaults to <id>@test.com;
-- metadata is merged into raw_user_meta_data; raw_app_meta_data is {}.
-- SECURITY DEFINER: callable from any role a test has switched to.
create function tests.create_supabase_user(identifier text, email text default null, phone text default null, metadata jsonb default null)
  returns uuid
  language plpgsql security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  new_id uuid := gen_random_uuid();
begin
  insert into auth.users (id, email, phone, raw_user_meta_data, raw_app_meta_data, created_at, updated_at)
  values (
    new_id,
    coalesce(email, new_id::text || '@test.com'),
    phone,
    jsonb_build_object('test_identifier', identifier) || coalesce(metadata, '{}'::jsonb),
    '{}'::jsonb,
    now(),
    now()
  );
  return new_id;
end
$$;

-- {id, email, phone, raw_user_meta_data, raw_app_meta_data} of the user
-- created with that identifier; an error naming it when there is none.
create function tests.get_supabase_user(identifier text)
  returns json
  language plpgsql security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  found json;
begin
  select json_build_object('id', u.id, 'email', u.email, 'phone', u.phone, 'raw_user_meta_data', u.raw_user_meta_data, 'raw_app_meta_data', u.raw_app_meta_data)
    into found
    from auth.users u
   where u.raw_user_meta_data ->> 'test_identifier' = identifier
   limit 1;
  if found is null then
    raise exception 'User with identifier % not found', identifier;
  end if;
  return found;
end
$$;

-- The id of the user created with that identifier.
create function tests.get_supabase_uid(identifier text)
  returns uuid
  language plpgsql security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  found uuid;
begin
  select u.id into found from auth.users u where u.raw_user_meta_data ->> 'test_identifier' = identifier limit 1;
  if found is null then
    raise exception 'User with identifier % not found', identifier;
  end if;
  return found;
end
$$;

-- Become that user until the transaction ends: role authenticated, and the
-- JWT claims PostgREST would set (sub, email, phone, user_metadata,
-- app_metadata, exp) in request.jwt.claims.
create function tests.authenticate_as(identifier text)
  returns void
  language plpgsql
as $$
declare
  person json := tests.get_supabase_user(identifier);
begin
  perform set_config('role', 'authenticated', true);
  perform set_config('request.jwt.claims', json_build_object(
    'sub', person ->> 'id',
    'email', person ->> 'email',
    'phone', person ->> 'phone',
    'user_metadata', person -> 'raw_user_meta_data',
    'app_metadata', person -> 'raw_app_meta_data',
    'exp', extract(epoch from (current_timestamp + interval '1 hour'))
  )::text, true);
end
$$;

-- Role service_role, no claims, until the transaction ends.
create function tests.authenticate_as_service_role()
  returns void
  language plpgsql
as $$
begin
  perform set_config('role', 'service_role', true);
  perform set_config('request.jwt.claims', null, true);
end
$$;

-- Role anon, no claims, until the transaction ends.
create function tests.clear_authentication()
  returns void
  language plpgsql
as $$
begin
  perform set_config('role', 'anon', true);
  perform set_config('request.jwt.claims', null, true);
end
$$;

-- pgTAP: every table (ordinary or partitioned) in the schema has RLS enabled.
create function tests.rls_enabled(testing_schema text)
  returns text
  language sql
as $$
  select is(
    (select count(*)::integer
       from pg_catalog.pg_class c
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = testing_schema
        and c.relkind in ('r', 'p')
        and not c.relrowsecurity),
    0,
    'All tables in the ' || testing_schema || ' schema should have row level security enabled'
  )
$$;

-- pgTAP: that table has RLS enabled.
create function tests.rls_enabled(testing_schema text, testing_table text)
  returns text
  language sql
as $$
  select is(
    (select count(*)::integer
       from pg_catalog.pg_class c
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = testing_schema
        and c.relname = testing_table
        and c.relkind in ('r', 'p')
        and c.relrowsecurity),
    1,
    testing_table || ' table in the ' || testing_schema || ' schema should have row level security enabled'
  )
$$;

-- now() while time is frozen: test_overrides comes before pg_catalog in the
-- search_path (freeze_time puts it there), so unqualified now() lands here.
create function test_overrides.now()
  returns timestamptz
  language plpgsql stable
as $$
begin
  if nullif(current_setting('tests.frozen_time', true), '') is not null then
    return current_setting('tests.frozen_time', true)::timestamptz;
  end if;
  return pg_catalog.now();
end
$$;

-- Freeze now() (until unfreeze_time or the end of the transaction). A
-- function with its own search_path keeps the real time unless that path
-- names test_overrides before pg_catalog.
create function tests.freeze_time(frozen_time timestamptz)
  returns void
  language plpgsql
as $$
begin
  if current_setting('search_path') not like 'test_overrides,%' then
    perform set_config('tests.original_search_path', current_setting('search_path'), true);
    perform set_config('search_path', 'test_overrides,' || current_setting('search_path') || ',pg_catalog', true);
  end if;
  perform set_config('tests.frozen_time', frozen_time::text, true);
end
$$;

-- Back to the real now() and the search_path from before freeze_time.
create function tests.unfreeze_time()
  returns void
  language plpgsql
as $$
begin
  perform set_config('tests.frozen_time', null, true);
  if current_setting('tests.original_search_path', true) is not null then
    perform set_config('search_path', current_setting('tests.original_search_path', true), true);
  end if;
end
$$;

revoke all on all functions in schema tests from public;
revoke all on all functions in schema test_overrides from public;
grant execute on all functions in schema tests to anon, authenticated, service_role;
grant execute on all functions in schema test_overrides to anon, authenticated, service_role;
