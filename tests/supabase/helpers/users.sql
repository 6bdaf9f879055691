begin;
create extension "basejump-supabase_test_helpers" version '0.0.6';
select plan(12);

select isa_ok(tests.create_supabase_user('plain'), 'uuid', 'create_supabase_user returns the new id');
select tests.create_supabase_user('mailed', 'mailed@example.test', '+15550001111', '{"full_name": "Mai Led"}'::jsonb);

select is((select email::text from auth.users where id = tests.get_supabase_uid('plain')), tests.get_supabase_uid('plain')::text || '@test.com', 'email defaults to <id>@test.com');
select is(tests.get_supabase_user('mailed') ->> 'email', 'mailed@example.test', 'get_supabase_user: email');
select is(tests.get_supabase_user('mailed') ->> 'phone', '+15550001111', 'get_supabase_user: phone');
select is(tests.get_supabase_user('mailed') -> 'raw_user_meta_data' ->> 'full_name', 'Mai Led', 'metadata is merged into raw_user_meta_data');
select is(tests.get_supabase_user('mailed') -> 'raw_user_meta_data' ->> 'test_identifier', 'mailed', 'the identifier is kept in raw_user_meta_data');
select is((tests.get_supabase_user('mailed') -> 'raw_app_meta_data')::jsonb, '{}'::jsonb, 'raw_app_meta_data is {}');
select is((tests.get_supabase_user('mailed') ->> 'id')::uuid, tests.get_supabase_uid('mailed'), 'get_supabase_user and get_supabase_uid agree');
select throws_ok($$ select tests.get_supabase_uid('nobody') $$, 'P0001', 'User with identifier nobody not found', 'an unknown identifier is an error naming it');

set local role anon;
select lives_ok($$ select tests.create_supabase_user('by_anon') $$, 'any role may create a test user (security definer)');
select throws_ok($$ select 1 from auth.users $$, '42501', null, 'while auth.users itself stays closed to anon');
select is(current_user::text, 'anon', 'the caller''s role is left as it was');

select * from finish();
rollback;
