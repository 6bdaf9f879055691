import type { SchemaLint } from '../types.ts';
import { apiRoles, notFromExtension, projectSchema } from '../scope.ts';

export const securityDefinerView: SchemaLint = {
  name: 'security_definer_view',
  title: 'View runs as its owner (no security_invoker)',
  level: 'error',
  categories: ['security'],
  description: 'A view that anon or authenticated can read (SELECT privilege and USAGE on its schema) without `security_invoker = true` in its options.',
  rationale:
    "A plain view reads its tables with the view owner's privileges, and RLS on those tables is evaluated as the owner — usually a role that bypasses it. Every caller then sees every row: the classic RLS side door.",
  remediation: "`alter view public.v set (security_invoker = true);` (Postgres 15+), or revoke the API roles' access: `revoke all on public.v from anon, authenticated;`.",
  scope: 'Views in every project schema.',
  source: 'catalog',
  query: `
select format('%I.%I', n.nspname, c.relname) as object,
       'readable by ' || string_agg(r.rolname, ', ' order by r.rolname) || ' and runs with the privileges (and RLS bypass) of its owner ' || quote_ident(pg_get_userbyid(c.relowner)) as detail,
       format('alter view %I.%I set (security_invoker = true);', n.nspname, c.relname) as remediation
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
cross join ${apiRoles} r
where c.relkind = 'v'
  and ${projectSchema('n')}
  and ${notFromExtension('pg_class', 'c.oid')}
  and has_schema_privilege(r.oid, n.oid, 'USAGE')
  and (has_table_privilege(r.oid, c.oid, 'SELECT') or has_any_column_privilege(r.oid, c.oid, 'SELECT'))
  and not exists (
    select 1 from unnest(coalesce(c.reloptions, '{}')) opt
    where lower(opt) in ('security_invoker=true', 'security_invoker=on', 'security_invoker=1', 'security_invoker=yes', 'security_invoker=t'))
group by n.nspname, c.relname, c.relowner
order by 1`,
};
