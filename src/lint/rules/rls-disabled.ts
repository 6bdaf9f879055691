import type { SchemaLint } from '../types.ts';
import { apiRoles, exposedSchema, notFromExtension, privilegesOf, projectSchema } from '../scope.ts';

export const rlsDisabled: SchemaLint = {
  name: 'rls_disabled',
  title: 'RLS disabled',
  level: 'warn',
  categories: ['security'],
  description:
    'A table in a project schema with row-level security disabled that rls_disabled_in_public does not already report (a table in a non-exposed schema such as private, or an exposed table no API role can reach today).',
  rationale: 'The rule for this schema is that every table has RLS enabled and forced. A table without RLS is one careless grant (or one default privilege) away from being readable by every caller.',
  remediation:
    '`alter table internal.t enable row level security; alter table internal.t force row level security;` and add the policies it needs in policies/ (none means deny-all for roles without BYPASSRLS).',
  scope: 'Ordinary and partitioned tables (not partitions) in every project schema.',
  source: 'catalog',
  query: `
select format('%I.%I', n.nspname, c.relname) as object,
       case when ${exposedSchema('n')} then 'row-level security is disabled (no API role holds a privilege on it today)'
            else 'row-level security is disabled' end as detail,
       format('alter table %I.%I enable row level security; alter table %I.%I force row level security;', n.nspname, c.relname, n.nspname, c.relname) as remediation
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p')
  and not c.relispartition
  and not c.relrowsecurity
  and ${projectSchema('n')}
  and ${notFromExtension('pg_class', 'c.oid')}
  and not (${exposedSchema('n')} and exists (
    select 1 from ${apiRoles} r
    where has_schema_privilege(r.oid, n.oid, 'USAGE') and ${privilegesOf('r.oid', 'c.oid')} is not null))
order by 1`,
};
