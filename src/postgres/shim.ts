import { sql, type Queryable } from '@databases/pg';
import { fileURLToPath } from 'node:url';
import { checkServerPrivileges } from './privileges.ts';
import { ensurePlatformRoles, shimOwnerRoles, type ShimRoles } from './shim-roles.ts';

export { platformRoles, platformRoleNames, platformSchemas, shimOwnerRoles, developerSearchPath, ensurePlatformRoles, type RoleSpec, type ShimRoles } from './shim-roles.ts';

export const shimFile = fileURLToPath(new URL('./supabase-shim.sql', import.meta.url));

export interface ShimResult {
  /** True when the database already had Supabase's auth schema and roles (nothing per-database was installed). */
  readonly alreadyPresent: boolean;
  /** One line per cluster-wide object created (roles, memberships, role settings). */
  readonly created: readonly string[];
}

export interface ShimOptions {
  /** What to do about the platform roles (default `create`: a cluster schemaproof started). */
  readonly roles?: ShimRoles;
  /** Named in the error when roles are missing. */
  readonly server?: string;
}

/**
 * Make the database look like a fresh Supabase database: the platform roles
 * (as `roles` says), then, on a database without schema `auth`, the
 * per-database part (supabase-shim.sql). On Supabase itself, or a database
 * where the shim already ran, it changes nothing.
 */
export async function installSupabaseShim(db: Queryable, options: ShimOptions = {}): Promise<ShimResult> {
  const created = await ensurePlatformRoles(db, options.roles ?? 'create', options.server);
  const rows = await db.query(sql`select to_regnamespace('auth') is not null as present`);
  const alreadyPresent = rows[0]?.present === true;
  if (!alreadyPresent) {
    // On a server we did not start, one line naming the memberships the file needs instead of its first permission error.
    if ((options.roles ?? 'create') !== 'create') await checkServerPrivileges(db, options.server ?? 'the server', { ownerRoles: shimOwnerRoles });
    await db.query(sql.file(shimFile));
  }
  return { alreadyPresent, created };
}
