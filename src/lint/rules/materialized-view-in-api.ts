import type { SchemaLint } from '../types.ts';
import { apiRoles, notFromExtension, projectSchema } from '../scope.ts';

export const materializedViewInApi: SchemaLint = {
  name: 'materialized_view_in_api',
  title: 'Materialized view readable by API roles',
  level: 'error',
  categories: ['security'],
  description: 'A materialized view that anon or authenticated can read.',
  rationale: 'A materialized view is a stored copy taken with the privileges of whoever refreshed it; it cannot have RLS, so every reader sees every row of the snapshot.',
  remediation: '`revoke all on public.mv from anon, authenticated;` and serve it through a security_invoker view or a function that filters by caller.',
  scope: 'Materialized views in every project schema.',
  source: 'catalog',
  query: `
select format('%I.%I', n.nspname, c.relname) as object,
       'materialized view (no RLS possible) readable by ' || string_agg(r.rolname, ', ' order by r.rolname) as detail,
       format('revoke all on %I.%I from %s;', n.nspname, c.relname, string_agg(quote_ident(r.rolname), ', ' order by r.rolname)) as remediation
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
cross join ${apiRoles} r
where c.relkind = 'm'
  and ${projectSchema('n')}
  and ${notFromExtension('pg_class', 'c.oid')}
  and has_schema_privilege(r.oid, n.oid, 'USAGE')
  and (has_table_privilege(r.oid, c.oid, 'SELECT') or has_any_column_privilege(r.oid, c.oid, 'SELECT'))
group by n.nspname, c.relname
order by 1`,
};
