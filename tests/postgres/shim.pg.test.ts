import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@databases/pg';
import { asActor, installSupabaseShim } from '../../src/postgres/index.ts';
import { emptyDatabase, testServer, type FreshDatabase } from '../helpers/pg.ts';

const userId = '6f1c2a52-0c1e-4a57-9d55-0a0e6c1e2b01';

describe('Supabase-compatible shim', () => {
  let fresh: FreshDatabase;
  beforeAll(async () => {
    fresh = await emptyDatabase('shim');
  });
  afterAll(async () => {
    await fresh.drop();
  });

  it('installs roles, auth.users and auth functions, and is a no-op the second time', async () => {
    const first = await installSupabaseShim(fresh.db);
    const second = await installSupabaseShim(fresh.db);
    // roles are cluster-wide, so a previous database may have created them; the auth functions are per database
    expect(second.alreadyPresent).toBe(true);
    expect(first).toBeDefined();
    const roles = await fresh.db.query(sql`select rolname, rolbypassrls, rolcanlogin from pg_roles where rolname in ('anon','authenticated','service_role') order by rolname`);
    expect(roles).toEqual([
      { rolname: 'anon', rolbypassrls: false, rolcanlogin: false },
      { rolname: 'authenticated', rolbypassrls: false, rolcanlogin: false },
      { rolname: 'service_role', rolbypassrls: true, rolcanlogin: false },
    ]);
  });

  it('reads the caller from request.jwt.claims, and claims set locally do not survive the transaction', async () => {
    await installSupabaseShim(fresh.db);
    // one connection, so the second transaction is on the same session as the first
    const single = testServer().connect(fresh.name, { poolSize: 1 });
    const seen = await asActor(single, { kind: 'admin', id: userId }, async (tx) =>
      tx.query(sql`select auth.uid() as uid, auth.role() as role, auth.jwt() -> 'app_metadata' ->> 'role' as app_role, current_user as current_role`),
    );
    expect(seen[0]).toEqual({ uid: userId, role: 'authenticated', app_role: 'admin', current_role: 'authenticated' });
    const after = await single.tx((tx) => tx.query(sql`select auth.uid() as uid, auth.jwt() as jwt, current_user as current_role`));
    expect(after[0]?.uid).toBeNull();
    expect(after[0]?.jwt).toBeNull();
    expect(after[0]?.current_role).not.toBe('authenticated');
    await single.dispose();
  });

  it('supports the legacy request.jwt.claim.sub setting', async () => {
    await installSupabaseShim(fresh.db);
    const rows = await fresh.db.tx(async (tx) => {
      await tx.query(sql`select set_config('request.jwt.claim.sub', ${userId}, true)`);
      return tx.query(sql`select auth.uid() as uid`);
    });
    expect(rows[0]?.uid).toBe(userId);
  });

  it('treats user_metadata as data, never as a role', async () => {
    await installSupabaseShim(fresh.db);
    const rows = await asActor(fresh.db, { kind: 'user', id: userId, claims: { user_metadata: { role: 'admin' } } }, (tx) =>
      tx.query(sql`select auth.jwt() -> 'app_metadata' ->> 'role' as app_role, current_user as current_role`),
    );
    expect(rows[0]).toEqual({ app_role: null, current_role: 'authenticated' });
  });
});
