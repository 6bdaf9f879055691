-- pg_tle as a throwaway cluster offers it (schemaproof stub). On Supabase,
-- pg_tle registers "trusted language extensions" from SQL text
-- (pgtle.install_extension), which is how database.dev packages install.
-- That needs pg_tle's C hooks; here the extensions a project installs that
-- way are the ones schemaproof ships in its installation tree
-- (supabase-dbdev, basejump-supabase_test_helpers, supabase_test_helpers):
-- installing one of those succeeds and changes nothing (it is available
-- already); installing anything else fails with feature_not_supported.
\echo Use "CREATE EXTENSION pg_tle" to load this file. \quit


grant usage on schema pgtle to public;

-- The extensions this installation tree ships (their control comment says so).
create function pgtle.schemaproof_offers(extname text) returns boolean
  language sql stable
  set search_path = pg_catalog
as $$
  select exists (select 1 from pg_available_extensions where name = extname and comment like '%(schemaproof: database.dev package)%')
$$;

create function pgtle.install_extension(name text, version text, description text, ext text, requires text[] default null)
  returns boolean
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if pgtle.schemaproof_offers(name) then
    return true;
  end if;
  raise exception using errcode = 'feature_not_supported',
    message = format('pg_tle cannot register extension "%s" on this server', name),
    hint = 'schemaproof''s pg_tle is a stub: only the extensions its installation tree ships (supabase-dbdev, basejump-supabase_test_helpers) install this way; run against a Supabase database with --database-url for others';
end
$$;

create function pgtle.install_extension_version_sql(name text, version text, ext text)
  returns boolean
  language sql
  set search_path = pg_catalog
as $$ select pgtle.install_extension(name, version, null, ext) $$;

create function pgtle.install_update_path(name text, fromvers text, tovers text, ext text)
  returns boolean
  language sql
  set search_path = pg_catalog
as $$ select pgtle.install_extension(name, tovers, null, ext) $$;

-- Nothing was ever registered through this stub.
create function pgtle.uninstall_extension_if_exists(extname text)
  returns boolean
  language sql
as $$ select false $$;

create function pgtle.available_extensions()
  returns table (name name, default_version text, comment text)
  language sql stable
  set search_path = pg_catalog
as $$
  select e.name, e.default_version, e.comment from pg_available_extensions e where e.comment like '%(schemaproof: database.dev package)%'
$$;

create function pgtle.available_extension_versions()
  returns table (name name, version text, superuser boolean, trusted boolean, relocatable boolean, schema name, requires name[], comment text)
  language sql stable
  set search_path = pg_catalog
as $$
  select v.name, v.version, v.superuser, v.trusted, v.relocatable, v.schema, v.requires, v.comment
    from pg_available_extension_versions v where v.comment like '%(schemaproof: database.dev package)%'
$$;

create function pgtle.extension_update_paths(name name)
  returns table (source text, target text, path text)
  language sql stable
  set search_path = pg_catalog
as $$ select p.source, p.target, p.path from pg_extension_update_paths(name) p $$;

grant execute on all functions in schema pgtle to public;
