import type { SchemaLint } from '../types.ts';
import { notFromExtension, projectSchema } from '../scope.ts';

export const rlsNotForced: SchemaLint = {
  name: 'rls_not_forced',
  title: 'RLS enabled but not forced',
  level: 'error',
  categories: ['security'],
  description: 'A table with row-level security enabled but not forced (relforcerowsecurity is false).',
  rationale:
    'Unforced RLS does not apply to the table owner. Everything that runs as the owner — a view without security_invoker, a SECURITY DEFINER function, a trigger function, a migration role used by a service — then sees and changes every row. The schema rule is "enabled and forced" for every table.',
  remediation: '`alter table public.t force row level security;`',
  scope: 'Ordinary and partitioned tables (not partitions: see partition_without_rls) in every project schema.',
  source: 'catalog',
  query: `
select format('%I.%I', n.nspname, c.relname) as object,
       'row-level security is enabled but not forced: the owner ' || quote_ident(pg_get_userbyid(c.relowner)) || ' bypasses every policy' as detail,
       format('alter table %I.%I force row level security;', n.nspname, c.relname) as remediation
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p')
  and not c.relispartition
  and c.relrowsecurity
  and not c.relforcerowsecurity
  and ${projectSchema('n')}
  and ${notFromExtension('pg_class', 'c.oid')}
order by 1`,
};
