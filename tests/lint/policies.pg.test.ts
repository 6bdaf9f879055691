import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FreshDatabase } from '../helpers/pg.ts';
import { exec, lint, lintDatabase, objects, scenario } from './helpers.ts';

const table = `
  create table public.docs (id uuid primary key, user_id uuid, team text);
  alter table public.docs enable row level security;
  alter table public.docs force row level security;
  grant select, insert, update on public.docs to authenticated;`;

describe('policy lints', () => {
  let fresh: FreshDatabase;
  beforeAll(async () => {
    fresh = await lintDatabase('lint_policies');
  });
  afterAll(async () => {
    await fresh.drop();
  });

  it('auth_function_not_wrapped: bare auth.uid() / private.is_admin() / calls inside a correlated subquery, until wrapped', () =>
    scenario(fresh.db, async (db) => {
      await exec(db, table);
      await exec(
        db,
        `
        create policy docs_select on public.docs for select to authenticated
          using (user_id = auth.uid() or private.is_admin());
        create policy docs_insert on public.docs for insert to authenticated
          with check (exists (select 1 from public.docs d where d.user_id = auth.uid()));
        create policy docs_update on public.docs for update to authenticated
          using (user_id = (select auth.uid())) with check ((select auth.jwt() -> 'app_metadata' ->> 'team') = team);`,
      );
      const findings = await lint(db, 'auth_function_not_wrapped');
      expect(findings.map((finding) => [finding.object, finding.detail])).toEqual([
        ['public.docs.docs_insert', 'WITH CHECK calls auth.uid() per row; wrap in (select ...)'],
        ['public.docs.docs_select', 'USING calls auth.uid(), private.is_admin() per row; wrap in (select ...)'],
      ]);
      await exec(
        db,
        `
        alter policy docs_select on public.docs using (user_id = (select auth.uid()) or (select private.is_admin()));
        alter policy docs_insert on public.docs with check (exists (select 1 from public.docs d where d.user_id = (select auth.uid())));`,
      );
      expect(await objects(db, 'auth_function_not_wrapped')).toEqual([]);
    }));

  it('multiple_permissive_policies: two permissive SELECT policies for authenticated (FOR ALL and TO public count), until merged', () =>
    scenario(fresh.db, async (db) => {
      await exec(db, table);
      await exec(
        db,
        `
        create policy docs_select_own on public.docs for select to authenticated using (user_id = (select auth.uid()));
        create policy docs_all_admin on public.docs for all using ((select private.is_admin()));
        create policy docs_insert_own on public.docs for insert to authenticated with check (user_id = (select auth.uid()));`,
      );
      const findings = await lint(db, 'multiple_permissive_policies');
      expect(findings.map((finding) => finding.detail)).toEqual([
        '2 permissive policies for role authenticated on INSERT: docs_all_admin, docs_insert_own',
        '2 permissive policies for role authenticated on SELECT: docs_all_admin, docs_select_own',
      ]);
      expect(new Set(findings.map((finding) => finding.object))).toEqual(new Set(['public.docs']));
      await exec(
        db,
        `
        drop policy docs_all_admin on public.docs;
        alter policy docs_select_own on public.docs using (user_id = (select auth.uid()) or (select private.is_admin()));`,
      );
      expect(await objects(db, 'multiple_permissive_policies')).toEqual([]);
    }));

  it('user_metadata_in_policy: in the expression and through a helper function, until app_metadata is used', () =>
    scenario(fresh.db, async (db) => {
      await exec(db, table);
      await exec(
        db,
        `
        create function private.is_team_lead() returns boolean language sql stable set search_path = pg_catalog
          as $$ select coalesce((auth.jwt() -> 'user_metadata' ->> 'lead')::boolean, false) $$;
        create policy docs_select_admin on public.docs for select to authenticated
          using ((select auth.jwt() -> 'user_metadata' ->> 'role') = 'admin');
        create policy docs_update_lead on public.docs for update to authenticated
          using ((select private.is_team_lead()));`,
      );
      const findings = await lint(db, 'user_metadata_in_policy');
      expect(findings.map((finding) => [finding.object, finding.level])).toEqual([
        ['public.docs.docs_select_admin', 'error'],
        ['public.docs.docs_update_lead', 'error'],
      ]);
      expect(findings[1]?.detail).toContain('through private.is_team_lead()');
      await exec(
        db,
        `
        alter policy docs_select_admin on public.docs using ((select private.is_admin()));
        create or replace function private.is_team_lead() returns boolean language sql stable set search_path = pg_catalog
          as $$ select coalesce((auth.jwt() -> 'app_metadata' ->> 'lead')::boolean, false) $$;`,
      );
      expect(await objects(db, 'user_metadata_in_policy')).toEqual([]);
    }));
});
