/**
 * What a fresh platform database holds beyond auth and storage, and the
 * stand-ins for the extensions a plain PostgreSQL 15 lacks. Each case is a
 * pattern real projects use (pulled migrations, webhooks, scheduled jobs,
 * the dbdev bootstrap, Vault, pgjwt), written here as minimal SQL; the
 * expected behaviour is the platform's (docs/supabase.md, fidelity table).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Queryable } from '@databases/pg';
import { installSupabaseShim } from '../../src/postgres/index.ts';
import { emptyDatabase, type FreshDatabase } from '../helpers/pg.ts';

let fresh: FreshDatabase;

beforeAll(async () => {
  fresh = await emptyDatabase('platform_ext');
  await installSupabaseShim(fresh.db);
});
afterAll(async () => {
  await fresh.drop();
});

/** Run `body` in a transaction that is always rolled back; returns its value. */
async function rolledBack<T>(body: (tx: Queryable) => Promise<T>): Promise<T> {
  let value: T | undefined;
  await fresh.db
    .tx(async (tx) => {
      value = await body(tx);
      throw new Error('rollback');
    })
    .catch((error: Error) => {
      if (error.message !== 'rollback') throw error;
    });
  return value as T;
}

async function sqlState(statement: ReturnType<typeof sql>): Promise<string | null> {
  try {
    await rolledBack((tx) => tx.query(statement));
    return null;
  } catch (error) {
    return (error as { code?: string }).code ?? 'no code';
  }
}

describe('a fresh platform database', () => {
  it('has the platform schemas and roles a migration may name', async () => {
    const schemas = await fresh.db.query(
      sql`select nspname from pg_namespace where nspname = any (${['graphql', 'graphql_public', 'realtime', 'vault', 'pgbouncer', 'supabase_functions', 'net']}) order by 1`,
    );
    expect(schemas.map((row) => row.nspname)).toEqual(['graphql', 'graphql_public', 'net', 'pgbouncer', 'realtime', 'supabase_functions', 'vault']);
    const roles = await fresh.db.query(sql`
      select rolname, rolcanlogin, rolreplication, rolbypassrls from pg_roles
      where rolname = any (${['supabase_replication_admin', 'supabase_read_only_user', 'supabase_realtime_admin', 'supabase_functions_admin', 'pgbouncer']}) order by 1`);
    expect(roles).toEqual([
      { rolname: 'pgbouncer', rolcanlogin: true, rolreplication: false, rolbypassrls: false },
      { rolname: 'supabase_functions_admin', rolcanlogin: true, rolreplication: false, rolbypassrls: false },
      { rolname: 'supabase_read_only_user', rolcanlogin: true, rolreplication: false, rolbypassrls: true },
      { rolname: 'supabase_realtime_admin', rolcanlogin: true, rolreplication: true, rolbypassrls: false },
      { rolname: 'supabase_replication_admin', rolcanlogin: true, rolreplication: true, rolbypassrls: false },
    ]);
  });

  it('has pg_graphql, supabase_vault, pg_stat_statements and pg_net installed: "if not exists" is a no-op, a plain create fails', async () => {
    const installed = await fresh.db.query(
      sql`select extname, extnamespace::regnamespace::text as schema from pg_extension where extname = any (${['pg_graphql', 'supabase_vault', 'pg_stat_statements', 'pg_net']}) order by 1`,
    );
    expect(installed).toEqual([
      { extname: 'pg_graphql', schema: 'graphql' },
      { extname: 'pg_net', schema: 'extensions' },
      { extname: 'pg_stat_statements', schema: 'extensions' },
      { extname: 'supabase_vault', schema: 'vault' },
    ]);
    expect(await sqlState(sql`create extension if not exists pg_graphql with schema graphql`)).toBeNull();
    expect(await sqlState(sql`create extension pg_graphql with schema graphql`)).toBe('42710');
  });

  it("has GoTrue's other tables: a pulled migration re-creating auth.flow_state fails as on the platform, indexing auth.refresh_tokens works", async () => {
    expect(await sqlState(sql`create type auth.code_challenge_method as enum ('s256', 'plain')`)).toBe('42710');
    expect(await sqlState(sql`create index refresh_token_session_id on auth.refresh_tokens using btree (session_id)`)).toBe('42P07');
    expect(await sqlState(sql`create index on auth.refresh_tokens (session_id, created_at)`)).toBeNull();
    const rls = await fresh.db.query(sql`select count(*)::int as off from pg_class where relnamespace = 'auth'::regnamespace and relkind = 'r' and not relrowsecurity`);
    expect(rls[0]?.off).toBe(0);
  });

  it('pgsodium: a pulled "with schema pgsodium" fails as on today\'s platform (the schema is gone), a plain create works', async () => {
    expect(await sqlState(sql`create extension if not exists pgsodium with schema pgsodium`)).toBe('3F000');
    expect(await sqlState(sql`create extension pgsodium`)).toBeNull();
  });
});

describe('database webhooks (supabase_functions.http_request through pg_net)', () => {
  it('queue the request with the row and record the hook; nothing is sent', async () => {
    const queued = await rolledBack(async (tx) => {
      await tx.query(sql`create table public.orders (id int primary key, total int)`);
      await tx.query(sql`
        create trigger orders_webhook after insert on public.orders for each row
        execute function supabase_functions.http_request('https://hooks.example.test/orders', 'POST', '{"Content-Type":"application/json"}', '{}', '1000')`);
      await tx.query(sql`insert into public.orders values (7, 120)`);
      const requests = await tx.query(sql`select method, url, convert_from(body, 'UTF8')::jsonb as body from net.http_request_queue`);
      const hooks = await tx.query(sql`select hook_name from supabase_functions.hooks`);
      const responses = await tx.query(sql`select count(*)::int as n from net._http_response`);
      return { requests, hooks, responses };
    });
    expect(queued.requests).toHaveLength(1);
    expect(queued.requests[0]).toMatchObject({ method: 'POST', url: 'https://hooks.example.test/orders' });
    expect(queued.requests[0]?.body).toMatchObject({ type: 'INSERT', table: 'orders', schema: 'public', record: { id: 7, total: 120 }, old_record: null });
    expect(queued.hooks).toEqual([{ hook_name: 'orders_webhook' }]);
    expect(queued.responses[0]?.n).toBe(0);
  });

  it('refuse a missing method as the platform does', async () => {
    const state = await sqlState(sql`
      do $$ begin
        create table public.pings (id int);
        create trigger pings_webhook after insert on public.pings for each row execute function supabase_functions.http_request('https://hooks.example.test/p', 'null');
        insert into public.pings values (1);
      end $$`);
    expect(state).toBe('P0001');
  });
});

describe('pg_cron', () => {
  it('records and removes jobs, refuses a malformed schedule, runs nothing', async () => {
    const jobs = await rolledBack(async (tx) => {
      await tx.query(sql`create extension pg_cron`);
      await tx.query(sql`select cron.schedule('nightly-cleanup', '0 3 * * *', 'delete from public.sessions')`);
      await tx.query(sql`select cron.schedule('nightly-cleanup', '30 3 * * *', 'delete from public.sessions')`);
      const before = await tx.query(sql`select jobname, schedule from cron.job`);
      await tx.query(sql`select cron.unschedule('nightly-cleanup')`);
      const after = await tx.query(sql`select count(*)::int as n from cron.job`);
      const runs = await tx.query(sql`select count(*)::int as n from cron.job_run_details`);
      return { before, after: after[0]?.n, runs: runs[0]?.n };
    });
    expect(jobs).toEqual({ before: [{ jobname: 'nightly-cleanup', schedule: '30 3 * * *' }], after: 0, runs: 0 });
    expect(await sqlState(sql`do $$ begin create extension pg_cron; perform cron.schedule('every now and then', 'select 1'); end $$`)).toBe('P0001');
  });
});

describe('the dbdev bootstrap, offline', () => {
  it('installs supabase-dbdev from the shipped tree, and dbdev.install is harmless for shipped packages only', async () => {
    const outcome = await rolledBack(async (tx) => {
      await tx.query(sql`create extension if not exists http with schema extensions`);
      await tx.query(sql`create extension if not exists pg_tle`);
      await tx.query(sql`
        select pgtle.install_extension('supabase-dbdev', resp.contents ->> 'version', 'package manager', resp.contents ->> 'sql')
        from extensions.http(('GET', 'https://api.database.dev/rest/v1/package_versions?select=sql,version&package_name=eq.supabase-dbdev&limit=1',
                              array[('apiKey', 'k')::extensions.http_header], null, null)) x,
             lateral (select ((row_to_json(x) -> 'content') #>> '{}')::json -> 0) resp(contents)`);
      await tx.query(sql`create extension "supabase-dbdev"`);
      const installed = await tx.query(sql`select dbdev.install('basejump-supabase_test_helpers') as ok`);
      await tx.query(sql`create extension if not exists pgtap with schema extensions`);
      await tx.query(sql`create extension "basejump-supabase_test_helpers" with schema extensions`);
      const helpers = await tx.query(sql`select count(*)::int as n from pg_proc where pronamespace = 'tests'::regnamespace and proname = 'authenticate_as'`);
      return { installed: installed[0]?.ok, helpers: helpers[0]?.n };
    });
    expect(outcome).toEqual({ installed: true, helpers: 1 });
    expect(await sqlState(sql`do $$ begin create extension "supabase-dbdev"; perform dbdev.install('someone-unknown_package'); end $$`)).toBe('22000');
    expect(await sqlState(sql`do $$ begin create extension pg_tle; perform pgtle.install_extension('my_tle', '1.0', 'x', 'select 1'); end $$`)).toBe('0A000');
    expect(await sqlState(sql`do $$ begin create extension http with schema extensions; perform extensions.http_get('https://example.test/'); end $$`)).toBe('08000');
  });
});

describe('Vault and pgjwt', () => {
  it('vault.create_secret is readable through decrypted_secrets by the developer, not by anon', async () => {
    const secret = await rolledBack(async (tx) => {
      const id = await tx.query(sql`select vault.create_secret('s3cr3t', 'stripe_key', 'the key') as id`);
      const read = await tx.query(sql`select name, decrypted_secret from vault.decrypted_secrets where id = ${id[0]?.id}`);
      return read[0];
    });
    expect(secret).toEqual({ name: 'stripe_key', decrypted_secret: 's3cr3t' });
    expect(await sqlState(sql`do $$ begin set local role anon; perform * from vault.decrypted_secrets; end $$`)).toBe('42501');
  });

  it('pgjwt signs and verifies HS256 tokens, and rejects a wrong secret', async () => {
    const checked = await rolledBack(async (tx) => {
      await tx.query(sql`create extension pgjwt with schema extensions`);
      const token = await tx.query(sql`select extensions.sign('{"sub":"42","role":"authenticated"}'::json, 'secret-one') as t`);
      const good = await tx.query(sql`select payload ->> 'sub' as sub, valid from extensions.verify(${token[0]?.t}, 'secret-one')`);
      const bad = await tx.query(sql`select valid from extensions.verify(${token[0]?.t}, 'secret-two')`);
      return { token: (token[0]?.t as string).split('.').length, good: good[0], bad: bad[0]?.valid };
    });
    expect(checked).toEqual({ token: 3, good: { sub: '42', valid: true }, bad: false });
  });
});
