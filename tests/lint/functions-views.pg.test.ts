import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FreshDatabase } from '../helpers/pg.ts';
import { exec, lint, lintDatabase, objects, scenario } from './helpers.ts';

describe('function, view and grant lints', () => {
  let fresh: FreshDatabase;
  beforeAll(async () => {
    fresh = await lintDatabase('lint_functions');
  });
  afterAll(async () => {
    await fresh.drop();
  });

  it('security_definer_search_path: no search_path, or one listing a schema API roles can create in; fixed by pinning it', () =>
    scenario(fresh.db, async (db) => {
      await exec(
        db,
        `
        create schema scratch;
        grant usage, create on schema scratch to authenticated;
        create function public.promote(target uuid) returns void language sql security definer as $$ select $$;
        create function public.lookup() returns int language sql security definer set search_path = scratch, pg_catalog as $$ select 1 $$;
        create function public.safe() returns int language sql security definer set search_path = '' as $$ select 1 $$;`,
      );
      const findings = await lint(db, 'security_definer_search_path');
      expect(findings.map((finding) => finding.object)).toEqual(['public.lookup()', 'public.promote(target uuid)']);
      expect(findings[0]?.detail).toContain('lists scratch where authenticated may create objects');
      expect(findings[1]?.remediation).toBe("alter function public.promote(target uuid) set search_path = '';");
      await exec(
        db,
        `
        alter function public.promote(uuid) set search_path = '';
        alter function public.lookup() set search_path = pg_catalog;`,
      );
      expect(await objects(db, 'security_definer_search_path')).toEqual([]);
    }));

  it('function_search_path_mutable: an invoker function without search_path', () =>
    scenario(fresh.db, async (db) => {
      await exec(
        db,
        `
        create function private.touch() returns trigger language plpgsql as $$ begin new.updated_at := now(); return new; end $$;`,
      );
      expect(await objects(db, 'function_search_path_mutable')).toEqual(['private.touch()']);
      await exec(db, 'alter function private.touch() set search_path = pg_catalog;');
      expect(await objects(db, 'function_search_path_mutable')).toEqual([]);
    }));

  it('security_definer_executable_by_public: the default EXECUTE for PUBLIC on a definer function', () =>
    scenario(fresh.db, async (db) => {
      await exec(
        db,
        `
        create function public.wipe() returns void language sql security definer set search_path = '' as $$ select $$;`,
      );
      const findings = await lint(db, 'security_definer_executable_by_public');
      expect(findings.map((finding) => [finding.object, finding.remediation])).toEqual([['public.wipe()', 'revoke execute on function public.wipe() from public;']]);
      await exec(db, 'revoke execute on function public.wipe() from public; grant execute on function public.wipe() to service_role;');
      expect(await objects(db, 'security_definer_executable_by_public')).toEqual([]);
    }));

  it('security_definer_view: a view readable by anon without security_invoker, until set', () =>
    scenario(fresh.db, async (db) => {
      await exec(
        db,
        `
        create table public.docs (id uuid primary key, user_id uuid);
        alter table public.docs enable row level security;
        alter table public.docs force row level security;
        create view public.docs_summary as select count(*) as n from public.docs;
        grant select on public.docs_summary to anon;
        create view public.docs_internal as select id from public.docs;`,
      );
      const findings = await lint(db, 'security_definer_view');
      expect(findings.map((finding) => [finding.object, finding.level])).toEqual([['public.docs_summary', 'error']]);
      await exec(db, 'alter view public.docs_summary set (security_invoker = true);');
      expect(await objects(db, 'security_definer_view')).toEqual([]);
    }));

  it('materialized_view_in_api: a materialized view authenticated can read, until revoked', () =>
    scenario(fresh.db, async (db) => {
      await exec(
        db,
        `
        create table public.docs (id uuid primary key);
        create materialized view public.docs_count as select count(*) as n from public.docs;
        grant select on public.docs_count to authenticated;`,
      );
      expect(await objects(db, 'materialized_view_in_api')).toEqual(['public.docs_count']);
      await exec(db, 'revoke all on public.docs_count from authenticated;');
      expect(await objects(db, 'materialized_view_in_api')).toEqual([]);
    }));

  it('table_privileges_to_public: a grant to PUBLIC, until revoked', () =>
    scenario(fresh.db, async (db) => {
      await exec(
        db,
        `
        create table private.settings (id uuid primary key);
        grant select on private.settings to public;`,
      );
      const findings = await lint(db, 'table_privileges_to_public');
      expect(findings.map((finding) => [finding.object, finding.detail])).toEqual([['private.settings', 'PUBLIC holds SELECT']]);
      await exec(db, 'revoke all on private.settings from public;');
      expect(await objects(db, 'table_privileges_to_public')).toEqual([]);
    }));

  it('extension_in_public: an extension in the exposed schema, until moved', () =>
    scenario(fresh.db, async (db) => {
      await exec(
        db,
        `
        create schema if not exists extensions;
        create extension pg_trgm with schema public;`,
      );
      expect(await objects(db, 'extension_in_public')).toEqual(['pg_trgm']);
      await exec(db, 'alter extension pg_trgm set schema extensions;');
      expect(await objects(db, 'extension_in_public')).toEqual([]);
    }));
});
