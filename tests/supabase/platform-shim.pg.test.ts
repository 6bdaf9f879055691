/**
 * The throwaway database looks like a fresh Supabase database to a
 * migration. Expected values are the platform's (docs/supabase.md names the
 * source of each), written here as data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@databases/pg';
import { asActor, installSupabaseShim } from '../../src/postgres/index.ts';
import { emptyDatabase, testServer, type FreshDatabase } from '../helpers/pg.ts';

let fresh: FreshDatabase;

beforeAll(async () => {
  fresh = await emptyDatabase('platform_shim');
  await installSupabaseShim(fresh.db);
});
afterAll(async () => {
  await fresh.drop();
});

describe('platform roles', () => {
  it("exist with the platform's attributes and memberships", async () => {
    const rows = await fresh.db.query(sql`
      select rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls
      from pg_roles where rolname = any (${['anon', 'authenticated', 'service_role', 'authenticator', 'supabase_admin', 'supabase_auth_admin', 'supabase_storage_admin', 'dashboard_user']})
      order by rolname`);
    const flags = Object.fromEntries(
      rows.map((row) => [row.rolname, ['rolsuper', 'rolinherit', 'rolcreaterole', 'rolcreatedb', 'rolcanlogin', 'rolreplication', 'rolbypassrls'].filter((flag) => row[flag] === true)]),
    );
    expect(flags).toEqual({
      anon: ['rolinherit'],
      authenticated: ['rolinherit'],
      service_role: ['rolinherit', 'rolbypassrls'],
      authenticator: ['rolcanlogin'],
      supabase_admin: ['rolsuper', 'rolinherit', 'rolcreaterole', 'rolcreatedb', 'rolcanlogin', 'rolreplication', 'rolbypassrls'],
      supabase_auth_admin: ['rolcanlogin'],
      supabase_storage_admin: ['rolcreaterole', 'rolcanlogin'],
      dashboard_user: ['rolinherit', 'rolcreaterole', 'rolcreatedb', 'rolreplication'],
    });
    const members = await fresh.db.query(sql`
      select r.rolname as role from pg_auth_members m join pg_roles r on r.oid = m.roleid join pg_roles u on u.oid = m.member
      where u.rolname = 'authenticator' order by 1`);
    expect(members.map((row) => row.role)).toEqual(['anon', 'authenticated', 'service_role', 'supabase_admin']);
  });
});

describe('auth', () => {
  it('auth.users has the column set triggers and policies read, RLS on, owned by supabase_auth_admin', async () => {
    const columns = await fresh.db.query(sql`select column_name from information_schema.columns where table_schema = 'auth' and table_name = 'users'`);
    const names = columns.map((row) => row.column_name as string);
    for (const column of [
      'id',
      'aud',
      'role',
      'email',
      'phone',
      'raw_user_meta_data',
      'raw_app_meta_data',
      'email_confirmed_at',
      'phone_confirmed_at',
      'confirmed_at',
      'last_sign_in_at',
      'banned_until',
      'is_sso_user',
      'is_anonymous',
      'deleted_at',
      'created_at',
      'updated_at',
      'encrypted_password',
    ]) {
      expect(names).toContain(column);
    }
    const table = await fresh.db.query(sql`select relrowsecurity, pg_get_userbyid(relowner) as owner from pg_class where oid = 'auth.users'::regclass`);
    expect(table[0]).toEqual({ relrowsecurity: true, owner: 'supabase_auth_admin' });
  });

  it('confirmed_at follows email_confirmed_at (a generated column, as in GoTrue)', async () => {
    const rows = await fresh.db.tx(async (tx) => {
      await tx.query(sql`insert into auth.users (id, email, email_confirmed_at) values ('6f1c2a52-0c1e-4a57-9d55-0a0e6c1e2b07', 'c@example.test', '2024-01-02T03:04:05Z')`);
      return tx.query(sql`select confirmed_at = email_confirmed_at as same, is_anonymous from auth.users where email = 'c@example.test'`);
    });
    expect(rows[0]).toEqual({ same: true, is_anonymous: false });
  });

  it('anon and authenticated cannot read auth.users', async () => {
    await expect(asActor(fresh.db, { kind: 'anon' }, (tx) => tx.query(sql`select 1 from auth.users`))).rejects.toMatchObject({ code: '42501' });
    await expect(asActor(fresh.db, { kind: 'user', id: '6f1c2a52-0c1e-4a57-9d55-0a0e6c1e2b01' }, (tx) => tx.query(sql`select 1 from auth.users`))).rejects.toMatchObject({ code: '42501' });
  });

  it('auth.uid(), role(), email(), jwt() read request.jwt.claims', async () => {
    const rows = await fresh.db.tx(async (tx) => {
      await tx.query(sql`select set_config('request.jwt.claims', ${JSON.stringify({ sub: '6f1c2a52-0c1e-4a57-9d55-0a0e6c1e2b02', role: 'authenticated', email: 'e@example.test' })}, true)`);
      return tx.query(sql`select auth.uid()::text as uid, auth.role() as role, auth.email() as email, auth.jwt() ->> 'email' as jwt_email`);
    });
    expect(rows[0]).toEqual({ uid: '6f1c2a52-0c1e-4a57-9d55-0a0e6c1e2b02', role: 'authenticated', email: 'e@example.test', jwt_email: 'e@example.test' });
  });
});

describe('extensions, storage, realtime', () => {
  it('pgcrypto and uuid-ossp live in schema extensions, and a new session resolves gen_random_bytes() unqualified', async () => {
    const rows = await fresh.db.query(sql`select extname, extnamespace::regnamespace::text as schema from pg_extension where extname in ('pgcrypto', 'uuid-ossp') order by 1`);
    expect(rows).toEqual([
      { extname: 'pgcrypto', schema: 'extensions' },
      { extname: 'uuid-ossp', schema: 'extensions' },
    ]);
    const session = testServer().connect(fresh.name, { poolSize: 1 });
    try {
      const bytes = await session.query(sql`select length(gen_random_bytes(8)) as n, uuid_generate_v4() is not null as uuid`);
      expect(bytes[0]).toEqual({ n: 8, uuid: true });
    } finally {
      await session.dispose();
    }
  });

  it('storage.buckets and storage.objects have RLS on and every privilege for the API roles; path helpers work', async () => {
    const tables = await fresh.db.query(sql`
      select relname, relrowsecurity, pg_get_userbyid(relowner) as owner,
             has_table_privilege('anon', oid, 'SELECT,INSERT,UPDATE,DELETE') as anon_all
      from pg_class where relnamespace = 'storage'::regnamespace and relkind = 'r' order by relname`);
    expect(tables).toEqual([
      { relname: 'buckets', relrowsecurity: true, owner: 'supabase_storage_admin', anon_all: true },
      { relname: 'objects', relrowsecurity: true, owner: 'supabase_storage_admin', anon_all: true },
    ]);
    const parts = await fresh.db.query(sql`select storage.foldername('u1/a/b.png') as folders, storage.filename('u1/a/b.png') as file, storage.extension('u1/a/b.tar.gz') as ext`);
    expect(parts[0]).toEqual({ folders: ['u1', 'a'], file: 'b.png', ext: 'gz' });
  });

  it('without policies, anon sees no object and cannot upload', async () => {
    await fresh.db.tx(async (tx) => {
      await tx.query(sql`insert into storage.buckets (id, name, public) values ('shim-test', 'shim-test', true)`);
      await tx.query(sql`insert into storage.objects (bucket_id, name) values ('shim-test', 'x.png')`);
    });
    const seen = await asActor(fresh.db, { kind: 'anon' }, (tx) => tx.query(sql`select count(*)::int as n from storage.objects`));
    expect(seen[0]?.n).toBe(0);
    await expect(asActor(fresh.db, { kind: 'anon' }, (tx) => tx.query(sql`insert into storage.objects (bucket_id, name) values ('shim-test', 'y.png')`))).rejects.toMatchObject({ code: '42501' });
  });

  it('has the supabase_realtime publication', async () => {
    const rows = await fresh.db.query(sql`select count(*)::int as n from pg_publication where pubname = 'supabase_realtime'`);
    expect(rows[0]?.n).toBe(1);
  });

  it("a table the developer creates in public is open to anon until RLS is on (the platform's default privileges)", async () => {
    await fresh.db.query(sql`create table public.shim_open (id int)`);
    const privileges = await fresh.db.query(sql`
      select r as role, has_table_privilege(r, 'public.shim_open', 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE') as all_privileges
      from unnest(array['anon', 'authenticated', 'service_role']) r`);
    expect(privileges.every((row) => row.all_privileges === true)).toBe(true);
    await asActor(fresh.db, { kind: 'anon' }, (tx) => tx.query(sql`insert into public.shim_open values (1)`));
    const read = await asActor(fresh.db, { kind: 'anon' }, (tx) => tx.query(sql`select count(*)::int as n from public.shim_open`));
    expect(read[0]?.n).toBe(1);
  });

  it('runs its per-database part once: a second install does not undo a revoke', async () => {
    await fresh.db.query(sql`alter default privileges in schema public revoke all on tables from anon`);
    const again = await installSupabaseShim(fresh.db);
    expect(again.alreadyPresent).toBe(true);
    await fresh.db.query(sql`create table public.shim_closed (id int)`);
    const rows = await fresh.db.query(sql`select has_table_privilege('anon', 'public.shim_closed', 'SELECT') as anon`);
    expect(rows[0]?.anon).toBe(false);
  });
});
