-- 00002 common building blocks shared by every area
--
-- Why: one place for what every table uses, so the rules in schema.md are
-- implemented once:
--   * private.uuid_v7(): time-ordered UUIDs (RFC 9562 version 7) generated in
--     SQL, because PostgreSQL 15 has no built-in. Append-heavy tables use it
--     as their primary-key default so new keys land at the right-hand edge of
--     the B-tree instead of at random pages.
--   * private.set_updated_at(): the one trigger function that keeps
--     updated_at current on UPDATE.
--   * private.is_admin(): the admin test used by policies. It reads
--     app_metadata only (set by the server), never user_metadata (editable by
--     the user).
-- The `private` schema is not exposed through the API; anon/authenticated get
-- USAGE only so column defaults and policies can call the few functions that
-- are granted explicitly below.
create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to anon, authenticated, service_role;
alter default privileges in schema private revoke execute on functions from public;
alter default privileges in schema public revoke execute on functions from public;
alter default privileges in schema public revoke all on tables from anon, authenticated, service_role;
alter default privileges in schema public revoke all on sequences from anon, authenticated, service_role;
alter default privileges in schema public revoke all on functions from anon, authenticated, service_role;

create function private.uuid_v7(at_time timestamptz default clock_timestamp())
returns uuid
language plpgsql
volatile
parallel safe
set search_path = pg_catalog
as $$
declare
  -- 48-bit big-endian Unix time in milliseconds, then 80 random bits.
  unix_ms bigint := floor(extract(epoch from at_time) * 1000)::bigint;
  bytes bytea := pg_catalog.uuid_send(pg_catalog.gen_random_uuid());
begin
  bytes := overlay(bytes placing substring(int8send(unix_ms) from 3 for 6) from 1 for 6);
  -- version nibble (high half of byte 6) := 0111
  bytes := pg_catalog.set_byte(bytes, 6, (pg_catalog.get_byte(bytes, 6) & 15) | 112);
  -- variant bits (top two of byte 8) := 10 (gen_random_uuid already sets them; kept explicit)
  bytes := pg_catalog.set_byte(bytes, 8, (pg_catalog.get_byte(bytes, 8) & 63) | 128);
  return pg_catalog.encode(bytes, 'hex')::uuid;
end;
$$;
comment on function private.uuid_v7(timestamptz) is
  'RFC 9562 UUID version 7: 48-bit Unix-millisecond timestamp, version 7, variant 10, random rest. Time-ordered, so B-tree inserts stay at the right edge.';

create function private.uuid_v7_time(id uuid)
returns timestamptz
language sql
immutable
parallel safe
set search_path = pg_catalog
as $$
  select pg_catalog.to_timestamp(
    ('x' || pg_catalog.substr(pg_catalog.replace(id::text, '-', ''), 1, 12))::bit(48)::bigint / 1000.0
  )
$$;
comment on function private.uuid_v7_time(uuid) is 'The timestamp embedded in a UUID v7 (millisecond precision).';

create function private.set_updated_at()
returns trigger
language plpgsql
set search_path = pg_catalog
as $$
begin
  new.updated_at := pg_catalog.now();
  return new;
end;
$$;
comment on function private.set_updated_at() is 'Shared BEFORE UPDATE trigger: keeps updated_at equal to the time of the last update.';

create function private.is_admin()
returns boolean
language sql
stable
set search_path = pg_catalog
as $$
  select coalesce((auth.jwt() -> 'app_metadata' ->> 'role') = 'admin', false)
$$;
comment on function private.is_admin() is
  'True when the caller''s JWT carries app_metadata.role = admin. app_metadata is writable only by the server; user_metadata is never consulted.';

revoke all on function private.uuid_v7(timestamptz), private.uuid_v7_time(uuid), private.set_updated_at(), private.is_admin() from public;
grant execute on function private.uuid_v7(timestamptz) to anon, authenticated, service_role;
grant execute on function private.uuid_v7_time(uuid) to authenticated, service_role;
grant execute on function private.is_admin() to anon, authenticated, service_role;
