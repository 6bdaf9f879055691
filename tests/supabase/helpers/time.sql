begin;
create extension "basejump-supabase_test_helpers" version '0.0.1';
select plan(6);

create function public.fixed_path_now() returns timestamptz language sql set search_path = public, pg_catalog as $$ select now() $$;

select tests.freeze_time('2020-01-01 00:00:00+00');
select ok(current_setting('search_path') like 'test_overrides,%', 'test_overrides leads the search_path');
select is(now(), '2020-01-01 00:00:00+00'::timestamptz, 'now() is frozen');
select tests.freeze_time('2021-06-01'::date);
select is(now(), '2021-06-01'::date::timestamptz, 'freeze_time takes a date too');
select isnt(public.fixed_path_now(), '2021-06-01'::date::timestamptz, 'a function with its own search_path keeps the real time');
select tests.unfreeze_time();
select isnt(now(), '2021-06-01'::date::timestamptz, 'unfreeze_time restores now()');
select ok(current_setting('search_path') not like 'test_overrides%', 'and the search_path');

select * from finish();
rollback;
