import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FreshDatabase } from '../helpers/pg.ts';
import { exec, lint, lintDatabase, objects, scenario } from './helpers.ts';

describe('RLS lints', () => {
  let fresh: FreshDatabase;
  beforeAll(async () => {
    fresh = await lintDatabase('lint_rls');
  });
  afterAll(async () => {
    await fresh.drop();
  });

  it('rls_disabled_in_public: a granted public table without RLS, until RLS is on', () =>
    scenario(fresh.db, async (db) => {
      await exec(
        db,
        `
        create table public.notes (id uuid primary key, body text);
        grant select, insert on public.notes to anon;
        create table public.ungranted (id uuid primary key);`,
      );
      const findings = await lint(db, 'rls_disabled_in_public');
      expect(findings.map((finding) => [finding.object, finding.level])).toEqual([['public.notes', 'error']]);
      expect(findings[0]?.detail).toContain('anon holds SELECT,INSERT');
      expect(findings[0]?.remediation).toBe('alter table public.notes enable row level security; alter table public.notes force row level security;');
      await exec(db, 'alter table public.notes enable row level security;');
      expect(await objects(db, 'rls_disabled_in_public')).toEqual([]);
    }));

  it('rls_disabled: a private table without RLS (and an ungranted public one), until RLS is on', () =>
    scenario(fresh.db, async (db) => {
      await exec(
        db,
        `
        create table private.secrets (id uuid primary key);
        create table public.ungranted (id uuid primary key);
        create table public.granted (id uuid primary key);
        grant select on public.granted to authenticated;`,
      );
      expect(await objects(db, 'rls_disabled')).toEqual(['private.secrets', 'public.ungranted']);
      await exec(db, 'alter table private.secrets enable row level security; alter table public.ungranted enable row level security;');
      expect(await objects(db, 'rls_disabled')).toEqual([]);
    }));

  it('policy_exists_rls_disabled: policies on a table with RLS off', () =>
    scenario(fresh.db, async (db) => {
      await exec(
        db,
        `
        create table public.docs (id uuid primary key, user_id uuid);
        create policy docs_select_own on public.docs for select to authenticated using (user_id = (select auth.uid()));`,
      );
      const findings = await lint(db, 'policy_exists_rls_disabled');
      expect(findings.map((finding) => finding.object)).toEqual(['public.docs']);
      expect(findings[0]?.detail).toContain('docs_select_own');
      await exec(db, 'alter table public.docs enable row level security;');
      expect(await objects(db, 'policy_exists_rls_disabled')).toEqual([]);
    }));

  it('rls_enabled_no_policy: RLS on, no policy', () =>
    scenario(fresh.db, async (db) => {
      await exec(
        db,
        `
        create table public.docs (id uuid primary key, user_id uuid);
        alter table public.docs enable row level security;`,
      );
      expect(await objects(db, 'rls_enabled_no_policy')).toEqual(['public.docs']);
      await exec(db, 'create policy docs_select_own on public.docs for select to authenticated using (user_id = (select auth.uid()));');
      expect(await objects(db, 'rls_enabled_no_policy')).toEqual([]);
    }));

  it('rls_not_forced: RLS enabled but not forced', () =>
    scenario(fresh.db, async (db) => {
      await exec(
        db,
        `
        create table public.docs (id uuid primary key);
        alter table public.docs enable row level security;
        create table public.forced (id uuid primary key);
        alter table public.forced enable row level security;
        alter table public.forced force row level security;`,
      );
      const findings = await lint(db, 'rls_not_forced');
      expect(findings.map((finding) => [finding.object, finding.remediation])).toEqual([['public.docs', 'alter table public.docs force row level security;']]);
      await exec(db, 'alter table public.docs force row level security;');
      expect(await objects(db, 'rls_not_forced')).toEqual([]);
    }));

  it('partition_without_rls: a partition without forced RLS or with grants, until hardened; the parent is not reported', () =>
    scenario(fresh.db, async (db) => {
      await exec(
        db,
        `
        create table public.events (id uuid not null, at timestamptz not null, primary key (id, at)) partition by range (at);
        alter table public.events enable row level security;
        alter table public.events force row level security;
        create table public.events_p2025 partition of public.events for values from ('2025-01-01') to ('2026-01-01');
        create table public.events_p2026 partition of public.events for values from ('2026-01-01') to ('2027-01-01');
        alter table public.events_p2026 enable row level security;
        alter table public.events_p2026 force row level security;
        grant select on public.events_p2026 to anon;`,
      );
      const findings = await lint(db, 'partition_without_rls');
      expect(findings.map((finding) => finding.object)).toEqual(['public.events_p2025', 'public.events_p2026']);
      expect(findings[0]?.detail).toContain('row-level security is disabled');
      expect(findings[1]?.detail).toContain('anon holds SELECT');
      await exec(
        db,
        `
        alter table public.events_p2025 enable row level security;
        alter table public.events_p2025 force row level security;
        revoke all on public.events_p2026 from anon;`,
      );
      expect(await objects(db, 'partition_without_rls')).toEqual([]);
    }));

  it('severity override and suppression apply to schema lints', () =>
    scenario(fresh.db, async (db) => {
      await exec(
        db,
        `
        create table public.docs (id uuid primary key);
        alter table public.docs enable row level security;
        create table public.more (id uuid primary key);
        alter table public.more enable row level security;`,
      );
      const downgraded = await lint(db, 'rls_not_forced', { severities: { rls_not_forced: 'warn' } });
      expect(downgraded.map((finding) => finding.level)).toEqual(['warn', 'warn']);
      const suppressed = await lint(db, 'rls_not_forced', {
        suppressions: [{ lint: 'rls_not_forced', object: 'public.more', reason: 'owner-only table, forced later in the rollout' }],
      });
      expect(suppressed.map((finding) => [finding.object, finding.suppressed, finding.suppressionReason ?? null])).toEqual([
        ['public.docs', false, null],
        ['public.more', true, 'owner-only table, forced later in the rollout'],
      ]);
    }));
});
