-- pg_net as a throwaway cluster offers it (schemaproof stub). On the
-- platform net.http_get/http_post/http_delete queue a request in
-- net.http_request_queue and return its id at once; a background worker
-- sends it later and writes the answer to net._http_response. Here the
-- functions queue the request the same way and nothing is ever sent: a test
-- can see what a trigger or webhook queued, and a test waiting for a
-- response finds none.
\echo Use "CREATE EXTENSION pg_net" to load this file. \quit

create schema if not exists net;

create unlogged table net.http_request_queue (
  id bigserial not null,
  method text not null,
  url text not null,
  headers jsonb not null,
  body bytea,
  timeout_milliseconds integer not null
);

create unlogged table net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default now()
);
create index _http_response_created_idx on net._http_response (created);

create function net._encode_url_with_params(url text, params jsonb) returns text
  language sql immutable
  set search_path = pg_catalog
as $$
  select case when params is null or params = '{}'::jsonb then url
    else url || case when strpos(url, '?') > 0 then '&' else '?' end
      || (select string_agg(key || '=' || value, '&' order by key) from jsonb_each_text(params))
  end
$$;

create function net.http_get(url text, params jsonb default '{}'::jsonb, headers jsonb default '{}'::jsonb, timeout_milliseconds integer default 5000)
  returns bigint
  language sql
  security definer
  set search_path = net
as $$
  insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
  values ('GET', net._encode_url_with_params(url, params), coalesce(headers, '{}'::jsonb), timeout_milliseconds)
  returning id
$$;

create function net.http_post(url text, body jsonb default '{}'::jsonb, params jsonb default '{}'::jsonb, headers jsonb default '{"Content-Type": "application/json"}'::jsonb, timeout_milliseconds integer default 5000)
  returns bigint
  language sql
  security definer
  set search_path = net
as $$
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('POST', net._encode_url_with_params(url, params), coalesce(headers, '{}'::jsonb), convert_to(body::text, 'UTF8'), timeout_milliseconds)
  returning id
$$;

create function net.http_delete(url text, params jsonb default '{}'::jsonb, headers jsonb default '{}'::jsonb, timeout_milliseconds integer default 5000)
  returns bigint
  language sql
  security definer
  set search_path = net
as $$
  insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
  values ('DELETE', net._encode_url_with_params(url, params), coalesce(headers, '{}'::jsonb), timeout_milliseconds)
  returning id
$$;

-- The platform's issue_pg_net_access event trigger: the API roles may queue requests.
grant usage on schema net to public;
revoke all on function net.http_get(text, jsonb, jsonb, integer), net.http_post(text, jsonb, jsonb, jsonb, integer), net.http_delete(text, jsonb, jsonb, integer) from public;
do $grants$
declare
  grantee text;
begin
  for grantee in select rolname from pg_roles where rolname in ('postgres', 'anon', 'authenticated', 'service_role', 'supabase_functions_admin') loop
    execute format('grant execute on function net.http_get(text, jsonb, jsonb, integer), net.http_post(text, jsonb, jsonb, jsonb, integer), net.http_delete(text, jsonb, jsonb, integer) to %I', grantee);
  end loop;
end
$grants$;
