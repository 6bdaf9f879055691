-- http (pgsql-http) as a throwaway cluster offers it (schemaproof stub). A
-- throwaway cluster has no network, so a request fails with
-- connection_exception (08000), as pgsql-http fails when a host cannot be
-- reached. One exception, so that the documented dbdev bootstrap
-- (https://supabase.github.io/dbdev/) runs offline: a GET of database.dev's
-- package_versions for a package this installation tree ships answers 200
-- with that package's name and version (no SQL: the package is available
-- already, and pg_tle's stub accepts it).
\echo Use "CREATE EXTENSION http" to load this file. \quit

create domain @extschema@.http_method as text;
create type @extschema@.http_header as (field character varying, value character varying);
create type @extschema@.http_request as (method @extschema@.http_method, uri character varying, headers @extschema@.http_header[], content_type character varying, content character varying);
create type @extschema@.http_response as (status integer, content_type character varying, headers @extschema@.http_header[], content character varying);

create function @extschema@.http_header(field character varying, value character varying) returns @extschema@.http_header
  language sql immutable
as $$ select row(field, value)::@extschema@.http_header $$;

create function @extschema@.http(request @extschema@.http_request) returns @extschema@.http_response
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  package text;
  offered record;
begin
  if upper((request).method) = 'GET' and (request).uri like 'https://api.database.dev/rest/v1/package_versions?%' then
    package := substring((request).uri from '[?&]package_name=eq\.([^&]+)');
    select name, default_version, comment into offered
      from pg_available_extensions where name = package and comment like '%(schemaproof: database.dev package)%';
    if found then
      return row(200, 'application/json', array[]::@extschema@.http_header[], json_build_array(json_build_object(
        'package_name', offered.name, 'version', offered.default_version, 'sql', '',
        'control_description', offered.comment, 'control_requires', json_build_array()))::text)::@extschema@.http_response;
    end if;
  end if;
  raise exception using errcode = 'connection_exception',
    message = format('http: %s %s: no network from a throwaway cluster', (request).method, (request).uri),
    hint = 'schemaproof''s http extension is a stub; run against a server with network access with --database-url';
end
$$;

create function @extschema@.http_get(uri character varying) returns @extschema@.http_response
  language sql
as $$ select @extschema@.http(('GET', uri, null, null, null)::@extschema@.http_request) $$;

create function @extschema@.http_get(uri character varying, data jsonb) returns @extschema@.http_response
  language sql
as $$
  select @extschema@.http(('GET', uri || '?' || (select string_agg(key || '=' || value, '&') from jsonb_each_text(data)), null, null, null)::@extschema@.http_request)
$$;

create function @extschema@.http_post(uri character varying, content character varying, content_type character varying) returns @extschema@.http_response
  language sql
as $$ select @extschema@.http(('POST', uri, null, content_type, content)::@extschema@.http_request) $$;

create function @extschema@.http_post(uri character varying, data jsonb) returns @extschema@.http_response
  language sql
as $$ select @extschema@.http(('POST', uri, null, 'application/json', data::text)::@extschema@.http_request) $$;

create function @extschema@.http_put(uri character varying, content character varying, content_type character varying) returns @extschema@.http_response
  language sql
as $$ select @extschema@.http(('PUT', uri, null, content_type, content)::@extschema@.http_request) $$;

create function @extschema@.http_patch(uri character varying, content character varying, content_type character varying) returns @extschema@.http_response
  language sql
as $$ select @extschema@.http(('PATCH', uri, null, content_type, content)::@extschema@.http_request) $$;

create function @extschema@.http_delete(uri character varying) returns @extschema@.http_response
  language sql
as $$ select @extschema@.http(('DELETE', uri, null, null, null)::@extschema@.http_request) $$;

create function @extschema@.http_head(uri character varying) returns @extschema@.http_response
  language sql
as $$ select @extschema@.http(('HEAD', uri, null, null, null)::@extschema@.http_request) $$;

create function @extschema@.urlencode(string character varying) returns text
  language plpgsql immutable strict
as $$
declare
  result text := '';
  ch text;
begin
  foreach ch in array regexp_split_to_array(string, '') loop
    if ch ~ '[A-Za-z0-9_.~-]' then
      result := result || ch;
    else
      result := result || upper(regexp_replace(encode(convert_to(ch, 'UTF8'), 'hex'), '(..)', '%\1', 'g'));
    end if;
  end loop;
  return result;
end
$$;
