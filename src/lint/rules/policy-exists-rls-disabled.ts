import type { SchemaLint } from '../types.ts';
import { notFromExtension, projectSchema } from '../scope.ts';

export const policyExistsRlsDisabled: SchemaLint = {
  name: 'policy_exists_rls_disabled',
  title: 'Policies exist but RLS is disabled',
  level: 'error',
  categories: ['security'],
  description: 'A table that has row-level security policies while row-level security itself is disabled.',
  rationale: 'Policies do nothing until RLS is enabled: the table looks protected in review while every grant applies to every row.',
  remediation: '`alter table public.t enable row level security; alter table public.t force row level security;`',
  scope: 'Ordinary and partitioned tables (not partitions) in every project schema.',
  source: 'catalog',
  query: `
select format('%I.%I', n.nspname, c.relname) as object,
       'row-level security is disabled, so its policies (' || string_agg(quote_ident(pol.polname), ', ' order by pol.polname) || ') are not applied' as detail,
       format('alter table %I.%I enable row level security; alter table %I.%I force row level security;', n.nspname, c.relname, n.nspname, c.relname) as remediation
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
join pg_policy pol on pol.polrelid = c.oid
where c.relkind in ('r', 'p')
  and not c.relispartition
  and not c.relrowsecurity
  and ${projectSchema('n')}
  and ${notFromExtension('pg_class', 'c.oid')}
group by n.nspname, c.relname
order by 1`,
};
