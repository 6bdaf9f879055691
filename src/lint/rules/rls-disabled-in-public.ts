import type { SchemaLint } from '../types.ts';
import { apiRoles, exposedSchema, notFromExtension, privilegesOf } from '../scope.ts';

export const rlsDisabledInPublic: SchemaLint = {
  name: 'rls_disabled_in_public',
  title: 'RLS disabled on a table the API can reach',
  level: 'error',
  categories: ['security'],
  description: 'A table in an exposed schema (public) on which anon or authenticated hold a privilege, with row-level security disabled.',
  rationale: 'Without RLS a grant is the whole story: anyone holding the anon key can read or change every row the grant allows, through the API, with no per-user filter.',
  remediation:
    'Enable and force RLS, then write the policies in policies/: `alter table public.t enable row level security; alter table public.t force row level security;` — or revoke the grants if the API must not reach it: `revoke all on public.t from anon, authenticated;`.',
  scope: 'Ordinary and partitioned tables (not partitions: see partition_without_rls) in the exposed schemas, where an API role holds a table or column privilege and USAGE on the schema.',
  source: 'catalog',
  query: `
select format('%I.%I', n.nspname, c.relname) as object,
       'row-level security is disabled, and ' || string_agg(r.rolname || ' holds ' || p.privileges, '; ' order by r.rolname) as detail,
       format('alter table %I.%I enable row level security; alter table %I.%I force row level security;', n.nspname, c.relname, n.nspname, c.relname) as remediation
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
cross join ${apiRoles} r
cross join lateral (select ${privilegesOf('r.oid', 'c.oid')} as privileges) p
where c.relkind in ('r', 'p')
  and not c.relispartition
  and not c.relrowsecurity
  and ${exposedSchema('n')}
  and has_schema_privilege(r.oid, n.oid, 'USAGE')
  and p.privileges is not null
  and ${notFromExtension('pg_class', 'c.oid')}
group by n.nspname, c.relname
order by 1`,
};
