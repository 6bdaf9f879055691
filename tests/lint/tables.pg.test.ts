import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FreshDatabase } from '../helpers/pg.ts';
import { exec, lint, lintDatabase, objects, scenario } from './helpers.ts';

describe('table and index lints', () => {
  let fresh: FreshDatabase;
  beforeAll(async () => {
    fresh = await lintDatabase('lint_tables');
  });
  afterAll(async () => {
    await fresh.drop();
  });

  it('unindexed_foreign_keys: no index leading with the FK columns (a partial or trailing one does not count), until created', () =>
    scenario(fresh.db, async (db) => {
      await exec(
        db,
        `
        create table public.sessions (id uuid primary key, user_id uuid references auth.users (id));
        create table public.events (
          id uuid primary key,
          session_id uuid references public.sessions (id),
          user_id uuid references auth.users (id),
          kind text);
        create index events_kind_session_id_idx on public.events (kind, session_id);
        create index events_user_id_partial_idx on public.events (user_id) where kind = 'x';
        create index sessions_user_id_idx on public.sessions (user_id);`,
      );
      const findings = await lint(db, 'unindexed_foreign_keys');
      expect(findings.map((finding) => finding.object)).toEqual(['public.events.events_session_id_fkey', 'public.events.events_user_id_fkey']);
      expect(findings[0]?.remediation).toBe('create index events_session_id_idx on public.events (session_id);');
      await exec(
        db,
        `
        create index events_session_id_idx on public.events (session_id);
        create index events_user_id_kind_idx on public.events (user_id, kind);`,
      );
      expect(await objects(db, 'unindexed_foreign_keys')).toEqual([]);
    }));

  it('unindexed_foreign_keys: a composite key is covered by an index on the same columns in another order', () =>
    scenario(fresh.db, async (db) => {
      await exec(
        db,
        `
        create table public.sessions (id uuid, owner uuid, primary key (id, owner));
        create table public.views (id uuid primary key, session_id uuid, owner uuid,
          foreign key (session_id, owner) references public.sessions (id, owner));`,
      );
      expect(await objects(db, 'unindexed_foreign_keys')).toEqual(['public.views.views_session_id_owner_fkey']);
      await exec(db, 'create index views_owner_session_id_idx on public.views (owner, session_id);');
      expect(await objects(db, 'unindexed_foreign_keys')).toEqual([]);
    }));

  it('duplicate_index: a plain index duplicating a unique one is reported, the constraint kept; different predicates are not duplicates', () =>
    scenario(fresh.db, async (db) => {
      await exec(
        db,
        `
        create table public.candidates (id uuid primary key, fec_id text unique, state text);
        create index candidates_fec_id_idx on public.candidates (fec_id);
        create index candidates_state_idx on public.candidates (state);
        create index candidates_state_tx_idx on public.candidates (state) where state = 'TX';`,
      );
      const findings = await lint(db, 'duplicate_index');
      expect(findings.map((finding) => [finding.object, finding.remediation])).toEqual([['public.candidates_fec_id_idx', 'drop index public.candidates_fec_id_idx;']]);
      expect(findings[0]?.detail).toContain('duplicates public.candidates_fec_id_key');
      await exec(db, 'drop index public.candidates_fec_id_idx;');
      expect(await objects(db, 'duplicate_index')).toEqual([]);
    }));

  it('timestamp_without_time_zone: timestamp and timestamp[] columns, until timestamptz', () =>
    scenario(fresh.db, async (db) => {
      await exec(
        db,
        `
        create table public.logs (id uuid primary key, happened_at timestamp, seen timestamp[], ok timestamptz);`,
      );
      const findings = await lint(db, 'timestamp_without_time_zone');
      expect(findings.map((finding) => finding.object)).toEqual(['public.logs.happened_at', 'public.logs.seen']);
      await exec(db, findings.map((finding) => finding.remediation).join('\n'));
      expect(await objects(db, 'timestamp_without_time_zone')).toEqual([]);
    }));

  it('table_without_primary_key: until a primary key exists', () =>
    scenario(fresh.db, async (db) => {
      await exec(
        db,
        `
        create table private.imports (id uuid not null, body text);`,
      );
      expect(await objects(db, 'table_without_primary_key')).toEqual(['private.imports']);
      await exec(db, 'alter table private.imports add primary key (id);');
      expect(await objects(db, 'table_without_primary_key')).toEqual([]);
    }));
});
