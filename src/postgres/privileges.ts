/**
 * The privilege preflight for a server the harness did not start: before any
 * work, check that the role we connect as can do what the run will ask of
 * it, and fail with one line naming what is missing (exit 4) instead of a
 * permission error halfway through or one failure per test file.
 *
 * Order on a server we did not start: this check first (the connecting
 * role's attributes and memberships), then the shim's check of the platform
 * roles themselves (`shim_roles_missing`, exit 7, or created with
 * `--install-shim`, which needs a superuser). Each missing thing is named by
 * exactly one of them.
 */
import { sql, type Queryable } from '@databases/pg';
import { SchemaproofError } from '../errors/index.ts';

export interface ServerRequirements {
  /** The run creates its own databases (templates, clones): CREATEDB. */
  readonly createDatabases?: boolean;
  /**
   * Roles the run acts as with SET ROLE (pgTAP and RLS tests): we must be a
   * member of each that exists. One that does not exist is not a privilege:
   * the shim's role check names it (`shim_roles_missing`, or `--install-shim`).
   */
  readonly actorRoles?: readonly string[];
  /**
   * Roles the run makes owners of what it creates (the Supabase shim hands
   * schemas auth and storage to the platform's admin roles, which Postgres
   * allows members only): we must be a member of each that exists.
   */
  readonly ownerRoles?: readonly string[];
  /** The run creates throwaway roles (the RLS owner probe): CREATEROLE. */
  readonly createRoles?: boolean;
}

/** The roles a Supabase-style project's tests act as (see actor.ts). */
export const supabaseActorRoles = ['anon', 'authenticated', 'service_role'] as const;

export interface MissingPrivilege {
  /** What is missing, as a DBA would grant it. */
  readonly missing: string;
  /** How to grant it. */
  readonly hint: string;
}

/** Those of `roles` that exist and that the connected role is not a member of, in order. */
async function nonMemberships(db: Queryable, roles: readonly string[]): Promise<string[]> {
  if (roles.length === 0) return [];
  const rows = await db.query(sql`
    select wanted.name
    from unnest(${[...roles]}::text[]) with ordinality as wanted(name, position)
    join pg_catalog.pg_roles r on r.rolname = wanted.name
    where not pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')
    order by wanted.position`);
  return rows.map((row) => String(row.name));
}

/** Everything the role connected on `db` lacks for `requirements` (empty when a superuser). */
export async function missingPrivileges(db: Queryable, requirements: ServerRequirements): Promise<{ readonly role: string; readonly missing: readonly MissingPrivilege[] }> {
  const [self] = await db.query(sql`select current_user as role, rolsuper, rolcreatedb, rolcreaterole from pg_roles where rolname = current_user`);
  const role = String(self?.role ?? 'current_user');
  if (self?.rolsuper === true) return { role, missing: [] };
  const missing: MissingPrivilege[] = [];
  if (requirements.createDatabases && self?.rolcreatedb !== true) {
    missing.push({ missing: 'CREATEDB', hint: `run \`ALTER ROLE ${role} CREATEDB\` as a superuser, or connect as a superuser` });
  }
  if (requirements.createRoles && self?.rolcreaterole !== true) {
    missing.push({ missing: 'CREATEROLE', hint: `run \`ALTER ROLE ${role} CREATEROLE\` as a superuser, or connect as a superuser` });
  }
  for (const [roles, why] of [
    [requirements.actorRoles ?? [], 'tests act as $ with SET ROLE'],
    [requirements.ownerRoles ?? [], 'the Supabase shim makes $ owner of schemas auth and storage'],
  ] as const) {
    const notMember = await nonMemberships(db, roles);
    if (notMember.length > 0) {
      missing.push({
        missing: `membership in ${notMember.join(', ')} (${why.replace('$', notMember.length > 1 ? 'them' : 'it')})`,
        hint: `run \`GRANT ${notMember.join(', ')} TO ${role}\` as a superuser, or connect as a superuser`,
      });
    }
  }
  return { role, missing };
}

/** Throw `database_privilege_missing` (exit 4) naming every missing privilege in one line, or return. */
export async function checkServerPrivileges(db: Queryable, target: string, requirements: ServerRequirements): Promise<void> {
  const { role, missing } = await missingPrivileges(db, requirements);
  if (missing.length === 0) return;
  throw new SchemaproofError({
    code: 'database_privilege_missing',
    target,
    role,
    missing: missing.map((entry) => entry.missing).join(' and '),
    hint: missing.map((entry) => entry.hint).join('; '),
  });
}
