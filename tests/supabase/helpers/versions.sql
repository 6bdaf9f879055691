begin;
select plan(4);
select ok((select count(*) from pg_available_extension_versions where name = 'basejump-supabase_test_helpers' and version like '0.0.%') >= 10, 'basejump-supabase_test_helpers offers the 0.0.x versions');
select is((select default_version from pg_available_extensions where name = 'supabase_test_helpers'), '0.0.6', 'supabase_test_helpers defaults to 0.0.6');
create extension "basejump-supabase_test_helpers" version '0.0.9';
select is((select extversion from pg_extension where extname = 'basejump-supabase_test_helpers'), '0.0.9', 'any 0.0.x version can be created');
select has_function('tests', 'authenticate_as', array['text'], 'and brings the API');
select * from finish();
rollback;
