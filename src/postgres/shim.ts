import { sql, type Queryable } from '@databases/pg';
import { fileURLToPath } from 'node:url';

export const shimFile = fileURLToPath(new URL('./supabase-shim.sql', import.meta.url));

export interface ShimResult {
  /** True when the database already had Supabase's auth schema and roles. */
  readonly alreadyPresent: boolean;
}

/**
 * Install the Supabase-compatible shim where the real thing is absent. The
 * SQL itself only creates what is missing, so running it on Supabase is a
 * no-op; we still report whether anything was there before.
 */
export async function installSupabaseShim(db: Queryable): Promise<ShimResult> {
  const rows = await db.query(sql`
    select to_regprocedure('auth.uid()') is not null
       and to_regprocedure('auth.jwt()') is not null
       and (select count(*) from pg_roles where rolname in ('anon', 'authenticated', 'service_role')) = 3 as present
  `);
  const alreadyPresent = rows[0]?.present === true;
  await db.query(sql.file(shimFile));
  return { alreadyPresent };
}
