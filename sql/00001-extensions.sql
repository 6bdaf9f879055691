-- 00001 extensions
--
-- Why: pgcrypto provides digest() for the audit hash chain and for hashing
-- device fingerprints; pg_trgm provides trigram operator classes for the
-- case-insensitive partial-name searches of the FEC catalogue (queries 19, 21).
-- Both are trusted extensions, so a non-superuser database owner (Supabase's
-- `postgres`) can install them. They live in the `extensions` schema, as on
-- Supabase, so that `public` holds only the product's own objects.
create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;

create extension if not exists pgcrypto with schema extensions;
create extension if not exists pg_trgm with schema extensions;
