-- pg_graphql as a throwaway cluster offers it (schemaproof stub). The
-- platform has it installed in schema graphql; graphql.resolve() answers
-- GraphQL queries. Here resolve() raises feature_not_supported: SQL that asks
-- for a GraphQL answer fails, never passes by accident.
\echo Use "CREATE EXTENSION pg_graphql" to load this file. \quit

create function @extschema@.resolve(query text default null, variables jsonb default '{}', "operationName" text default null, extensions jsonb default null)
  returns jsonb
  language plpgsql
as $$
begin
  raise exception using errcode = 'feature_not_supported',
    message = 'pg_graphql is a stub on this server: GraphQL queries are not resolved',
    hint = 'run against a Supabase database with --database-url to test GraphQL';
end
$$;

create function @extschema@.comment_directive(comment_ text) returns jsonb
  language sql immutable
as $$ select null::jsonb $$;

create sequence @extschema@.seq_schema_version;
create function @extschema@.get_schema_version() returns integer
  language sql
as $$ select last_value::integer from @extschema@.seq_schema_version $$;
