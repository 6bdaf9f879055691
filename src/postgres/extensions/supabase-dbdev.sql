-- supabase-dbdev as a throwaway cluster offers it (schemaproof stub).
-- dbdev.install(package) downloads a database.dev package and registers it
-- with pg_tle, after which CREATE EXTENSION can create it. A throwaway
-- cluster has no network: the packages it can "install" are the ones
-- schemaproof ships in its installation tree (basejump-supabase_test_helpers,
-- supabase-dbdev), already available, so install() returns true for them and
-- fails for any other package (SQLSTATE 22000, as dbdev fails on a missing
-- package).
\echo Use "CREATE EXTENSION \"supabase-dbdev\"" to load this file. \quit

create schema dbdev;
grant usage on schema dbdev to public;

create function dbdev.install(package_name text)
  returns boolean
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if exists (select 1 from pg_available_extensions where name = package_name and comment like '%(schemaproof: database.dev package)%') then
    return true;
  end if;
  raise exception using errcode = '22000',
    message = format('dbdev cannot install package "%s" here', package_name),
    hint = 'a throwaway cluster has no network: only the packages schemaproof ships (basejump-supabase_test_helpers, supabase-dbdev) install; run against a Supabase database with --database-url for others';
end
$$;
