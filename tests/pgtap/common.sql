-- common.sql: the shared building blocks of sql/00002-common.sql.
-- private.uuid_v7 / uuid_v7_time, private.set_updated_at, private.is_admin.
begin;
set search_path = public, extensions;
select plan(37);

-- ---------------------------------------------------------------------------
-- Existence, attributes, privileges
-- ---------------------------------------------------------------------------
select has_function('private', 'uuid_v7', array['timestamp with time zone'], 'private.uuid_v7(timestamptz) exists');
select has_function('private', 'uuid_v7_time', array['uuid'], 'private.uuid_v7_time(uuid) exists');
select has_function('private', 'set_updated_at', '{}'::name[], 'private.set_updated_at() exists');
select has_function('private', 'is_admin', '{}'::name[], 'private.is_admin() exists');
select volatility_is('private', 'uuid_v7', array['timestamp with time zone'], 'volatile', 'uuid_v7 is volatile (random bits)');
select volatility_is('private', 'uuid_v7_time', array['uuid'], 'immutable', 'uuid_v7_time is immutable');
select is(
  (select count(*)::integer from pg_proc p
    where p.pronamespace = 'private'::regnamespace
      and p.proname in ('uuid_v7', 'uuid_v7_time', 'set_updated_at', 'is_admin')
      and 'search_path=pg_catalog' = any (p.proconfig)),
  4, 'all four common functions pin search_path = pg_catalog');
select function_privs_are('private', 'uuid_v7', array['timestamp with time zone'], 'anon', array['EXECUTE'],
  'anon may call uuid_v7 (column defaults of tables anon inserts into)');
select function_privs_are('private', 'is_admin', '{}'::name[], 'authenticated', array['EXECUTE'],
  'authenticated may call is_admin (policies)');
select function_privs_are('private', 'uuid_v7_time', array['uuid'], 'anon', '{}'::text[],
  'anon may not call uuid_v7_time');

-- ---------------------------------------------------------------------------
-- uuid_v7: layout
-- ---------------------------------------------------------------------------
create temporary table generated_ids on commit drop as
  select g as n, private.uuid_v7('2024-03-01 12:00:00+00'::timestamptz + g * interval '1 millisecond') as id
    from generate_series(1, 2000) g;

select is(
  (select count(*)::integer from generated_ids where substr(id::text, 15, 1) = '7'),
  2000, 'version nibble is 7 in every generated id');
select is(
  (select count(*)::integer from generated_ids where substr(id::text, 20, 1) in ('8', '9', 'a', 'b')),
  2000, 'variant bits are 10 (RFC 9562) in every generated id');
select is(
  (select count(distinct id)::integer from generated_ids), 2000, '2000 generated ids are distinct');
select is(
  (select count(*)::integer from (
     select id < lead(id) over (order by n) as ordered from generated_ids
   ) s where ordered is false),
  0, 'ids generated at increasing milliseconds sort in time order (monotonic over time)');
select ok(
  private.uuid_v7('2024-01-01 00:00:00.001+00') < private.uuid_v7('2024-01-01 00:00:00.002+00'),
  'an id of a later millisecond sorts after an id of an earlier one');
select ok(
  private.uuid_v7() <> private.uuid_v7(),
  'two ids of the same instant differ (random bits)');
select is(
  substr(private.uuid_v7('1970-01-01 00:00:00+00')::text, 1, 13), '00000000-0000',
  'Unix epoch encodes as a zero 48-bit timestamp');
select is(
  substr(private.uuid_v7('2024-05-06 07:08:09.123+00')::text, 1, 13),
  -- 1714979289123 ms = 0x018F4CBB3823
  '018f4cbb-3823', 'the first 48 bits are the big-endian Unix time in milliseconds');

-- ---------------------------------------------------------------------------
-- uuid_v7_time round trip
-- ---------------------------------------------------------------------------
select is(
  private.uuid_v7_time(private.uuid_v7('2024-05-06 07:08:09.123+00')),
  '2024-05-06 07:08:09.123+00'::timestamptz, 'uuid_v7_time recovers the embedded timestamp');
select is(
  private.uuid_v7_time(private.uuid_v7('2031-12-31 23:59:59.999+00')),
  '2031-12-31 23:59:59.999+00'::timestamptz, 'round trip at a future millisecond');
select is(
  private.uuid_v7_time(private.uuid_v7('2024-05-06 07:08:09.123789+00')),
  '2024-05-06 07:08:09.123+00'::timestamptz, 'sub-millisecond precision is truncated, not rounded');
select ok(
  abs(extract(epoch from private.uuid_v7_time(private.uuid_v7()) - clock_timestamp())) < 5,
  'the default timestamp is the current clock');

-- ---------------------------------------------------------------------------
-- set_updated_at
-- ---------------------------------------------------------------------------
create temporary table touched (
  id integer primary key,
  label text not null,
  updated_at timestamptz not null default now()
) on commit drop;
create trigger touched_set_updated_at before update on touched
  for each row execute function private.set_updated_at();
insert into touched values (1, 'a', '2000-01-01 00:00:00+00'), (2, 'b', '2000-01-01 00:00:00+00');

update touched set label = 'a2' where id = 1;
select is((select updated_at from touched where id = 1), now(), 'UPDATE sets updated_at to now()');
select is((select updated_at from touched where id = 2), '2000-01-01 00:00:00+00'::timestamptz,
  'rows not updated keep their updated_at');
update touched set updated_at = '1999-01-01 00:00:00+00' where id = 2;
select is((select updated_at from touched where id = 2), now(),
  'a forged updated_at in an UPDATE is overwritten (violation caught)');
select is((select label from touched where id = 1), 'a2', 'the trigger leaves the other columns alone');

-- ---------------------------------------------------------------------------
-- is_admin: app_metadata only
-- ---------------------------------------------------------------------------
set local role authenticated;

select set_config('request.jwt.claims',
  '{"sub":"00000000-0000-4000-8000-000000000001","role":"authenticated","app_metadata":{"role":"admin"}}', true);
select is(private.is_admin(), true, 'app_metadata.role = admin is an admin');

select set_config('request.jwt.claims',
  '{"sub":"00000000-0000-4000-8000-000000000002","role":"authenticated","app_metadata":{},"user_metadata":{"role":"admin"}}', true);
select is(private.is_admin(), false, 'user_metadata.role = admin is NOT an admin (violation caught)');

select set_config('request.jwt.claims',
  '{"sub":"00000000-0000-4000-8000-000000000003","role":"authenticated","app_metadata":{"role":"user"},"user_metadata":{"role":"admin"}}', true);
select is(private.is_admin(), false, 'app_metadata.role = user with user_metadata admin is not an admin');

select set_config('request.jwt.claims',
  '{"sub":"00000000-0000-4000-8000-000000000004","role":"admin"}', true);
select is(private.is_admin(), false, 'a top-level role claim of admin is not an admin');

select set_config('request.jwt.claims',
  '{"sub":"00000000-0000-4000-8000-000000000005","role":"authenticated","app_metadata":{"role":"Admin"}}', true);
select is(private.is_admin(), false, 'the admin check is exact (Admin is not admin)');

select set_config('request.jwt.claims',
  '{"sub":"00000000-0000-4000-8000-000000000006","role":"authenticated","app_metadata":"admin"}', true);
select is(private.is_admin(), false, 'app_metadata that is not an object is not an admin');

select set_config('request.jwt.claims', '', true);
select is(private.is_admin(), false, 'no claims at all: not an admin (false, never null)');

select set_config('request.jwt.claims',
  '{"sub":"00000000-0000-4000-8000-000000000007","role":"authenticated","is_anonymous":true,"app_metadata":{"provider":"anonymous"}}', true);
select is(private.is_admin(), false, 'an anonymous sign-in is not an admin');

select lives_ok(
  $$select private.uuid_v7_time(private.uuid_v7())$$,
  'authenticated may call uuid_v7_time (granted)');
reset role;

set local role anon;
select set_config('request.jwt.claims', '{"role":"anon"}', true);
select is(private.is_admin(), false, 'anon is not an admin');
select throws_ok(
  $$select private.uuid_v7_time('00000000-0000-7000-8000-000000000000')$$,
  '42501', null, 'anon calling uuid_v7_time is refused (violation caught)');
reset role;

select * from finish();
rollback;
