begin;
create extension supabase_test_helpers;
select plan(13);

select tests.create_supabase_user('alice', 'alice@example.test');
select throws_ok($$ select tests.authenticate_as('mallory') $$, 'P0001', 'User with identifier mallory not found', 'authenticate_as an unknown user fails');
select lives_ok($$ select tests.authenticate_as('alice') $$, 'authenticate_as a created user');
select is(current_user::text, 'authenticated', 'role authenticated');
select is(auth.uid(), tests.get_supabase_uid('alice'), 'auth.uid() is the user');
select is(auth.email(), 'alice@example.test', 'auth.email() from the claims');
select ok(current_setting('request.jwt.claims')::jsonb ?& array['sub', 'email', 'phone', 'user_metadata', 'app_metadata'], 'claims carry sub, email, phone, user_metadata, app_metadata');
select ok((current_setting('request.jwt.claims')::jsonb ->> 'exp')::numeric > extract(epoch from now()), 'claims carry a future exp');

select tests.authenticate_as_service_role();
select is(current_user::text, 'service_role', 'authenticate_as_service_role: role service_role');
select is(auth.uid(), null, 'and no user');

select tests.authenticate_as('alice');
select tests.clear_authentication();
select is(current_user::text, 'anon', 'clear_authentication: role anon');
select is(auth.uid(), null, 'and no user');
select is(current_setting('request.jwt.claims'), '', 'and empty claims');
reset role;
select isnt(current_user::text, 'anon', 'roles are transaction-local: reset role leaves anon');

select * from finish();
rollback;
