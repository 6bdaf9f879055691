import type { SchemaLint } from '../types.ts';
import { notFromExtension, projectSchema } from '../scope.ts';

export const rlsEnabledNoPolicy: SchemaLint = {
  name: 'rls_enabled_no_policy',
  title: 'RLS enabled without any policy',
  level: 'warn',
  categories: ['security'],
  description: 'A table with row-level security enabled and no policy at all.',
  rationale:
    'With no policy every role without BYPASSRLS sees no rows and can write none. Sometimes that is the intent (a table only SECURITY DEFINER functions touch); often it is a forgotten policy file. Either way it should be explicit.',
  remediation:
    'Write the policies in policies/ (`create policy t_select_own on public.t for select to authenticated using (owner_id = (select auth.uid()));`), or suppress this finding with the reason the table is deny-all by design.',
  scope: 'Ordinary and partitioned tables in every project schema. Partitions are skipped: deny-all on a partition queried directly is the desired state.',
  source: 'catalog',
  query: `
select format('%I.%I', n.nspname, c.relname) as object,
       'row-level security is enabled but no policy exists: every role without BYPASSRLS is denied every row' as detail,
       null::text as remediation
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p')
  and not c.relispartition
  and c.relrowsecurity
  and not exists (select 1 from pg_policy pol where pol.polrelid = c.oid)
  and ${projectSchema('n')}
  and ${notFromExtension('pg_class', 'c.oid')}
order by 1`,
};
