/**
 * The privilege preflight for a server the harness did not start: before any
 * work, check that the role we connect as can do what the run will ask of
 * it, and fail with one line naming what is missing (exit 4) instead of a
 * permission error halfway through or one failure per test file.
 */
import { sql, type Queryable } from '@databases/pg';
import { SchemaproofError } from '../errors/index.ts';

export interface ServerRequirements {
  /** The run creates its own databases (templates, clones): CREATEDB. */
  readonly createDatabases?: boolean;
  /** Roles the run acts as with SET ROLE (pgTAP and RLS tests): each must exist and we must be a member. */
  readonly actorRoles?: readonly string[];
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
  const wanted = requirements.actorRoles ?? [];
  if (wanted.length > 0) {
    const rows = await db.query(sql`
      select wanted.name, r.oid is not null as exists, r.oid is not null and pg_has_role(current_user, r.oid, 'MEMBER') as member
      from unnest(${[...wanted]}::text[]) with ordinality as wanted(name, position)
      left join pg_roles r on r.rolname = wanted.name
      order by wanted.position`);
    const absent = rows.filter((row) => row.exists !== true).map((row) => String(row.name));
    const notMember = rows.filter((row) => row.exists === true && row.member !== true).map((row) => String(row.name));
    if (absent.length > 0) {
      missing.push({
        missing: `the role${absent.length > 1 ? 's' : ''} ${absent.join(', ')} (tests act as ${absent.length > 1 ? 'them' : 'it'} with SET ROLE; only a superuser run creates ${absent.length > 1 ? 'them' : 'it'})`,
        hint: `create ${absent.length > 1 ? 'them' : 'it'} and \`GRANT ${absent.join(', ')} TO ${role}\`, or connect as a superuser`,
      });
    }
    if (notMember.length > 0) {
      missing.push({
        missing: `membership in ${notMember.join(', ')} (tests act as ${notMember.length > 1 ? 'them' : 'it'} with SET ROLE)`,
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
