/**
 * Which objects the schema lints look at, and the SQL fragments that say so.
 *
 * The lint queries are plain, static SQL text (printed in the report as the
 * lint's doc). Their parameters are transaction-local settings, set once per
 * run by `applyLintParameters`:
 *   schemaproof.lint_excluded_schemas  schemas that belong to the platform, not the project
 *   schemaproof.lint_exposed_schemas   schemas the API exposes (PostgREST's db-schemas): `public`
 *   schemaproof.lint_api_roles         roles API callers become: `anon`, `authenticated`
 *   schemaproof.lint_policy_functions  per-call functions that policies should wrap in `(select ...)`
 * The queries run with `search_path = pg_catalog`, so every deparsed
 * expression names its schema (auth.uid(), app.is_staff(), public.t).
 */
import { sql, type Queryable } from '@databases/pg';
import { platformSchemas } from '../postgres/shim-roles.ts';

/**
 * Never linted: the catalogs, the platform's schemas (Supabase's and our
 * shim's `auth`), extension homes and the harness's own bookkeeping. Every
 * other schema (here: public, private) is the project's. Names starting
 * with `pg_` (pg_toast, pg_temp_N) are always excluded as well.
 */
export const defaultExcludedSchemas: readonly string[] = ['pg_catalog', 'information_schema', 'pg_toast', 'schemaproof', ...platformSchemas];

/** Schemas served through the API (PostgREST's `db-schemas`). */
export const defaultExposedSchemas: readonly string[] = ['public'];

/** Roles an API caller becomes (Supabase). `service_role` bypasses RLS by design and is not one of them. */
export const defaultApiRoles: readonly string[] = ['anon', 'authenticated'];

/**
 * Functions a policy should call through `(select f())` so Postgres
 * evaluates them once per statement (an InitPlan) instead of once per row.
 * The project's own helpers (a zero-argument, non-immutable function a
 * policy calls, e.g. an is-admin check) are found in the catalog and added
 * (`policyHelperFunctions`).
 */
export const defaultPolicyFunctions: readonly string[] = ['auth.uid', 'auth.jwt', 'auth.role', 'auth.email', 'current_setting'];

export interface LintScope {
  readonly excludedSchemas: readonly string[];
  readonly exposedSchemas: readonly string[];
  readonly apiRoles: readonly string[];
  readonly policyFunctions: readonly string[];
}

export const defaultScope: LintScope = {
  excludedSchemas: defaultExcludedSchemas,
  exposedSchemas: defaultExposedSchemas,
  apiRoles: defaultApiRoles,
  policyFunctions: defaultPolicyFunctions,
};

/** Set the parameters the lint queries read, transaction-locally. */
export async function applyLintParameters(tx: Queryable, scope: LintScope): Promise<void> {
  await tx.query(sql`
    select pg_catalog.set_config('search_path', 'pg_catalog', true),
           pg_catalog.set_config('schemaproof.lint_excluded_schemas', ${scope.excludedSchemas.join(',')}, true),
           pg_catalog.set_config('schemaproof.lint_exposed_schemas', ${scope.exposedSchemas.join(',')}, true),
           pg_catalog.set_config('schemaproof.lint_api_roles', ${scope.apiRoles.join(',')}, true),
           pg_catalog.set_config('schemaproof.lint_policy_functions', ${scope.policyFunctions.join(',')}, true)
  `);
}

// ---------------------------------------------------------------------------
// SQL fragments shared by the lint queries (constant text, no user input).
// ---------------------------------------------------------------------------

/** True when namespace alias `n` is one of the project's schemas. */
export function projectSchema(alias: string): string {
  return `(${alias}.nspname <> all (string_to_array(current_setting('schemaproof.lint_excluded_schemas'), ',')) and ${alias}.nspname !~ '^pg_')`;
}

/** True when namespace alias `n` is exposed through the API. */
export function exposedSchema(alias: string): string {
  return `(${alias}.nspname = any (string_to_array(current_setting('schemaproof.lint_exposed_schemas'), ',')))`;
}

/** True when the object is not part of an extension. */
export function notFromExtension(catalog: 'pg_class' | 'pg_proc', oidExpression: string): string {
  return `not exists (select 1 from pg_depend ext where ext.classid = '${catalog}'::regclass and ext.objid = ${oidExpression} and ext.deptype = 'e')`;
}

/** A derived table of the API roles that exist: `(select oid, rolname ...)`. */
export const apiRoles = `(select r.oid, r.rolname from pg_roles r where r.rolname = any (string_to_array(current_setting('schemaproof.lint_api_roles'), ',')))`;

/**
 * The privileges role `role` (an oid expression) holds on relation `rel`
 * (an oid expression), as a comma-separated list, or null when none —
 * column-level grants included.
 */
export function privilegesOf(role: string, rel: string): string {
  return `(select nullif(concat_ws(',',
      case when has_table_privilege(${role}, ${rel}, 'SELECT') then 'SELECT'
           when has_any_column_privilege(${role}, ${rel}, 'SELECT') then 'SELECT(columns)' end,
      case when has_table_privilege(${role}, ${rel}, 'INSERT') then 'INSERT'
           when has_any_column_privilege(${role}, ${rel}, 'INSERT') then 'INSERT(columns)' end,
      case when has_table_privilege(${role}, ${rel}, 'UPDATE') then 'UPDATE'
           when has_any_column_privilege(${role}, ${rel}, 'UPDATE') then 'UPDATE(columns)' end,
      case when has_table_privilege(${role}, ${rel}, 'DELETE') then 'DELETE' end,
      case when has_table_privilege(${role}, ${rel}, 'TRUNCATE') then 'TRUNCATE' end), ''))`;
}

/** `schema.name` with identifiers quoted where needed. */
export function qualified(schema: string, name: string): string {
  return `format('%I.%I', ${schema}, ${name})`;
}

/**
 * The project's own per-call helpers: zero-argument functions that are not
 * IMMUTABLE (so Postgres calls them once per row unless wrapped), outside the
 * excluded schemas, that some policy calls. Run with search_path =
 * pg_catalog, so the deparsed policies name each function's schema.
 */
export async function policyHelperFunctions(tx: Queryable, scope: LintScope): Promise<string[]> {
  const rows = (await tx.query(sql`
    select distinct n.nspname || '.' || p.proname as name
      from pg_catalog.pg_proc p
      join pg_catalog.pg_namespace n on n.oid = p.pronamespace
     where p.pronargs = 0 and p.prokind = 'f' and p.provolatile <> 'i'
       and n.nspname <> all(${[...scope.excludedSchemas]}::text[]) and n.nspname !~ '^pg_'
       and exists (select 1 from pg_catalog.pg_policies pol
                    where position(n.nspname || '.' || p.proname || '(' in coalesce(pol.qual, '') || ' ' || coalesce(pol.with_check, '')) > 0)
     order by 1`)) as { name: string }[];
  return rows.map((row) => row.name);
}
