-- pgsodium as a throwaway cluster offers it (schemaproof stub): the schema
-- only. Migrations pulled from Supabase with `supabase db pull` create the
-- extension (the platform had it installed); none of libsodium's functions
-- exist here, so SQL that calls one fails, never passes by accident.
\echo Use "CREATE EXTENSION pgsodium" to load this file. \quit

comment on schema pgsodium is 'pgsodium (schemaproof stub): no functions; encryption is not mirrored';
