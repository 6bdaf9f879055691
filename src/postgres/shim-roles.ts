/**
 * The Supabase platform's roles, as data: attributes, memberships and role
 * settings as the platform's init scripts and migrations leave them
 * (supabase/postgres migrations/db; see docs/supabase.md for each source).
 *
 * Roles are cluster-wide. On a throwaway cluster schemaproof started, the
 * missing ones are created (`create`). On a server it did not start they are
 * required (`require`): a missing one is an error naming them and
 * `--install-shim`, which creates them (`install`) and reports each object.
 */
import { sql, type Queryable } from '@databases/pg';
import { SchemaproofError } from '../errors/index.ts';

/**
 * - `create`: our own throwaway cluster; create what is missing, and give the
 *   connecting role the platform's `search_path` (`"$user", public, extensions`,
 *   as post-setup.sql gives `postgres`).
 * - `install`: a server we did not start, with --install-shim: create the missing
 *   roles only; existing roles are left as they are.
 * - `require`: a server we did not start: create nothing; fail if a role is missing.
 */
export type ShimRoles = 'create' | 'install' | 'require';

export interface RoleSpec {
  readonly name: string;
  /** CREATE ROLE options (constant keywords). */
  readonly attributes: readonly string[];
  /** Roles this one is granted membership of. */
  readonly memberOf: readonly string[];
  /** ALTER ROLE ... SET name = value. */
  readonly settings: Readonly<Record<string, string>>;
  /** Where the platform defines it. */
  readonly source: string;
}

const initSchema = 'supabase/postgres migrations/db/init-scripts/00000000000000-initial-schema.sql';

export const platformRoles: readonly RoleSpec[] = [
  {
    name: 'anon',
    attributes: ['NOLOGIN', 'INHERIT'],
    memberOf: [],
    settings: { statement_timeout: '3s' },
    source: `${initSchema}; INHERIT: migrations/20230529180330_alter_api_roles_for_inherit.sql`,
  },
  {
    name: 'authenticated',
    attributes: ['NOLOGIN', 'INHERIT'],
    memberOf: [],
    settings: { statement_timeout: '8s' },
    source: `${initSchema}; INHERIT: migrations/20230529180330_alter_api_roles_for_inherit.sql`,
  },
  { name: 'service_role', attributes: ['NOLOGIN', 'INHERIT', 'BYPASSRLS'], memberOf: [], settings: {}, source: `${initSchema}; INHERIT: migrations/20230529180330_alter_api_roles_for_inherit.sql` },
  { name: 'supabase_admin', attributes: ['LOGIN', 'SUPERUSER', 'CREATEDB', 'CREATEROLE', 'REPLICATION', 'BYPASSRLS'], memberOf: [], settings: {}, source: initSchema },
  {
    name: 'authenticator',
    attributes: ['LOGIN', 'NOINHERIT'],
    memberOf: ['anon', 'authenticated', 'service_role', 'supabase_admin'],
    settings: { statement_timeout: '8s', lock_timeout: '8s' },
    source: `${initSchema}; timeouts: migrations/20221028101028_set_authenticator_timeout.sql, 20231130133139_set_lock_timeout_to_authenticator_role.sql`,
  },
  {
    name: 'supabase_auth_admin',
    attributes: ['LOGIN', 'NOINHERIT', 'NOCREATEROLE', 'NOREPLICATION'],
    memberOf: [],
    settings: { search_path: 'auth' },
    source: 'init-scripts/00000000000001-auth-schema.sql; NOCREATEROLE: migrations/20260821154147_revoke_createrole_from_auth_admin.sql',
  },
  {
    name: 'supabase_storage_admin',
    attributes: ['LOGIN', 'NOINHERIT', 'CREATEROLE', 'NOREPLICATION'],
    memberOf: ['anon', 'authenticated', 'service_role'],
    settings: { search_path: 'storage' },
    source: 'init-scripts/00000000000002-storage-schema.sql; memberships: supabase/storage issue #315',
  },
  { name: 'dashboard_user', attributes: ['NOLOGIN', 'NOSUPERUSER', 'CREATEDB', 'CREATEROLE', 'REPLICATION'], memberOf: [], settings: {}, source: 'init-scripts/00000000000003-post-setup.sql' },
  { name: 'supabase_replication_admin', attributes: ['LOGIN', 'REPLICATION'], memberOf: [], settings: {}, source: initSchema },
  { name: 'supabase_etl_admin', attributes: ['LOGIN', 'REPLICATION'], memberOf: [], settings: {}, source: initSchema },
  { name: 'supabase_read_only_user', attributes: ['LOGIN', 'BYPASSRLS'], memberOf: ['pg_read_all_data'], settings: {}, source: initSchema },
  {
    name: 'supabase_realtime_admin',
    attributes: ['LOGIN', 'NOINHERIT', 'CREATEROLE', 'REPLICATION'],
    memberOf: ['anon', 'authenticated', 'service_role'],
    settings: { search_path: 'public, extensions, realtime' },
    source: 'init-scripts/00000000000003-realtime-schema.sql',
  },
  {
    name: 'supabase_functions_admin',
    attributes: ['LOGIN', 'NOINHERIT', 'CREATEROLE', 'NOREPLICATION'],
    memberOf: [],
    settings: { search_path: 'supabase_functions' },
    source: 'migrations/20240822021428_enable_webhooks_by_default.sql',
  },
  { name: 'pgbouncer', attributes: ['LOGIN'], memberOf: [], settings: {}, source: 'migrations/schema-15.sql (schema pgbouncer, pgbouncer.get_auth)' },
];

export const platformRoleNames: readonly string[] = platformRoles.map((role) => role.name);

/**
 * The roles supabase-shim.sql makes owners of schemas (auth, storage,
 * realtime, pgbouncer, supabase_functions, ...) and their objects: Postgres
 * lets only their members do that, so a non-superuser on a server we did not
 * start must be a member of each (privileges.ts). A test reads the shim's
 * `owner to` / `authorization` clauses and fails when this list misses one.
 */
export const shimOwnerRoles: readonly string[] = ['supabase_admin', 'supabase_auth_admin', 'supabase_storage_admin', 'supabase_realtime_admin', 'supabase_functions_admin', 'pgbouncer'];

/**
 * Schemas a Supabase database holds that belong to the platform, not to the
 * project: GoTrue, Storage, Realtime, GraphQL, Vault, webhooks, pg_net,
 * pg_cron, the pooler, pg_tle and the extension home. The shim creates some
 * of them; a real Supabase project's migrations never own them.
 */
export const platformSchemas: readonly string[] = [
  'auth',
  'storage',
  'realtime',
  '_realtime',
  '_analytics',
  'graphql',
  'graphql_public',
  'vault',
  'pgsodium',
  'pgsodium_masks',
  'supabase_functions',
  'supabase_migrations',
  'net',
  'cron',
  'pgbouncer',
  'pgtle',
  'extensions',
];

/** The platform's search_path for the developer's role (post-setup.sql: `ALTER ROLE postgres SET search_path`). */
export const developerSearchPath = '"$user", public, extensions';

async function existingRoles(db: Queryable): Promise<Set<string>> {
  const rows = await db.query(sql`select rolname from pg_catalog.pg_roles where rolname = any (${platformRoleNames})`);
  return new Set(rows.map((row) => row.rolname as string));
}

/** A statement built server-side with format() (%I identifiers, %L literals): nothing is interpolated here. */
async function formatted(db: Queryable, template: string, ...args: string[]): Promise<string> {
  const rows = await db.query(sql`select pg_catalog.format(${template}, variadic ${args}::text[]) as statement`);
  return rows[0]?.statement as string;
}

/**
 * --install-shim on a server we did not start needs a superuser: some of the
 * platform's roles carry SUPERUSER, BYPASSRLS or REPLICATION, which only a
 * superuser can grant, and the tests SET ROLE to roles a CREATEROLE creator
 * would not be a member of. Checked before anything is created.
 */
async function requireSuperuserToInstall(db: Queryable, missing: readonly string[], server: string): Promise<void> {
  const rows = await db.query(sql`select current_user as role, rolsuper from pg_catalog.pg_roles where rolname = current_user`);
  if (rows[0]?.rolsuper === true) return;
  const role = String(rows[0]?.role ?? 'current_user');
  throw new SchemaproofError({
    code: 'database_privilege_missing',
    target: server,
    role,
    missing: `SUPERUSER, which --install-shim needs to create ${missing.join(', ')}`,
    hint: 'rerun --install-shim with a superuser in the URL, or have a superuser create those roles and grant anon, authenticated and service_role to this role',
  });
}

/**
 * Make sure the platform roles exist as `mode` says. Returns one line per
 * object created (roles, memberships, role settings), for printing.
 */
export async function ensurePlatformRoles(db: Queryable, mode: ShimRoles, server = 'the server'): Promise<string[]> {
  const present = await existingRoles(db);
  const missing = platformRoleNames.filter((name) => !present.has(name));
  if (mode === 'require') {
    if (missing.length > 0) throw new SchemaproofError({ code: 'shim_roles_missing', roles: missing, server });
    return [];
  }
  if (mode === 'install' && missing.length > 0) await requireSuperuserToInstall(db, missing, server);
  const created: string[] = [];
  const createdNow = new Set<string>();
  for (const role of platformRoles) {
    if (present.has(role.name)) continue;
    await db.query(sql`create role ${sql.ident(role.name)} ${sql.__dangerous__rawValue(role.attributes.join(' '))}`);
    createdNow.add(role.name);
    created.push(`role ${role.name} (${role.attributes.join(' ')})`);
  }
  for (const role of platformRoles) {
    if (!createdNow.has(role.name)) continue;
    for (const parent of role.memberOf) {
      await db.query(sql`grant ${sql.ident(parent)} to ${sql.ident(role.name)}`);
      created.push(`membership: ${role.name} is a member of ${parent}`);
    }
    for (const [name, value] of Object.entries(role.settings)) {
      await db.query(sql.__dangerous__rawValue(await formatted(db, 'alter role %I set %I = %L', role.name, name, value)));
      created.push(`setting: ${role.name} ${name} = ${value}`);
    }
  }
  if (mode === 'create') {
    // Only when it differs: concurrent ALTER ROLE on one role fails ("tuple concurrently updated").
    const current = await db.query(sql`
      select exists (
        select 1 from pg_catalog.pg_db_role_setting s
        where s.setrole = (select oid from pg_catalog.pg_roles where rolname = current_user) and s.setdatabase = 0
          and ${`search_path=${developerSearchPath}`} = any (s.setconfig)) as set`);
    if (current[0]?.set !== true) await db.query(sql.__dangerous__rawValue(`alter role current_user set search_path = ${developerSearchPath}`));
    // The role setting reaches new sessions; inside a transaction (migrate's), the rest of it gets the same path now.
    await db.query(sql`select pg_catalog.set_config('search_path', ${developerSearchPath}, true)`);
  }
  return created;
}
