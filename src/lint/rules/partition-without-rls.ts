import type { SchemaLint } from '../types.ts';
import { apiRoles, notFromExtension, privilegesOf, projectSchema } from '../scope.ts';

export const partitionWithoutRls: SchemaLint = {
  name: 'partition_without_rls',
  title: 'Partition open to direct queries',
  level: 'error',
  categories: ['security'],
  description: 'A partition (relispartition) whose row-level security is not enabled, or not forced, or on which anon or authenticated hold a privilege.',
  rationale:
    "A partition is a table of its own. Queried directly (`select * from public.events_p202501`), Postgres applies the partition's own RLS and grants, not the parent's: a partition with grants and RLS off is a side door around every policy on the parent. Partitions created later by a function or by default privileges are the usual culprits.",
  remediation:
    '`alter table public.events_p202501 enable row level security; alter table public.events_p202501 force row level security; revoke all on public.events_p202501 from anon, authenticated;` — and make the function that creates partitions do the same.',
  scope: 'Every partition (tables and sub-partitioned tables) in every project schema.',
  source: 'catalog',
  query: `
select format('%I.%I', n.nspname, c.relname) as object,
       format('partition of %s: ', parent.inhparent::regclass) || concat_ws('; ',
         case when not c.relrowsecurity then 'row-level security is disabled' end,
         case when c.relrowsecurity and not c.relforcerowsecurity then 'row-level security is not forced' end,
         (select string_agg(r.rolname || ' holds ' || ${privilegesOf('r.oid', 'c.oid')}, '; ' order by r.rolname)
            from ${apiRoles} r where ${privilegesOf('r.oid', 'c.oid')} is not null)) as detail,
       format('alter table %I.%I enable row level security; alter table %I.%I force row level security; revoke all on %I.%I from %s;',
              n.nspname, c.relname, n.nspname, c.relname, n.nspname, c.relname,
              (select coalesce(string_agg(quote_ident(r.rolname), ', '), 'anon, authenticated') from ${apiRoles} r)) as remediation
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
left join pg_inherits parent on parent.inhrelid = c.oid
where c.relkind in ('r', 'p')
  and c.relispartition
  and ${projectSchema('n')}
  and ${notFromExtension('pg_class', 'c.oid')}
  and (not c.relrowsecurity
       or not c.relforcerowsecurity
       or exists (select 1 from ${apiRoles} r where ${privilegesOf('r.oid', 'c.oid')} is not null))
order by 1`,
};
