import type { SchemaLint } from '../types.ts';
import { projectSchema } from '../scope.ts';

export const userMetadataInPolicy: SchemaLint = {
  name: 'user_metadata_in_policy',
  title: 'Policy trusts user_metadata',
  level: 'error',
  categories: ['security'],
  description: 'A policy whose USING or WITH CHECK expression mentions user_metadata (or auth.users.raw_user_meta_data), directly or through a function the policy calls.',
  rationale:
    'Users can write their own user_metadata (supabase.auth.updateUser({ data })). A policy that grants anything on it — "role": "admin" — lets any user promote themselves. Only app_metadata, set by the server, may carry authorisation.',
  remediation: "Read app_metadata instead: `(select auth.jwt() -> 'app_metadata' ->> 'role') = 'admin'`, ideally inside one helper function that every policy calls.",
  scope: 'Policies on tables in every project schema, and the functions they call directly (recorded in pg_depend).',
  source: 'catalog',
  query: `
select format('%I.%I.%I', n.nspname, c.relname, pol.polname) as object,
       'policy ' || quote_ident(pol.polname) || ' reads user_metadata' ||
         coalesce(' through ' || (
           select string_agg(distinct format('%I.%I()', pn.nspname, p.proname), ', ')
           from pg_depend d
           join pg_proc p on p.oid = d.refobjid
           join pg_namespace pn on pn.oid = p.pronamespace
           where d.classid = 'pg_policy'::regclass and d.objid = pol.oid and d.refclassid = 'pg_proc'::regclass
             and p.prosrc ~* '(user_metadata|raw_user_meta_data)'), '') ||
         ', which users can edit themselves' as detail,
       null::text as remediation
from pg_policy pol
join pg_class c on c.oid = pol.polrelid
join pg_namespace n on n.oid = c.relnamespace
where ${projectSchema('n')}
  and (coalesce(pg_get_expr(pol.polqual, pol.polrelid), '') ~* '(user_metadata|raw_user_meta_data)'
    or coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '') ~* '(user_metadata|raw_user_meta_data)'
    or exists (
      select 1
      from pg_depend d
      join pg_proc p on p.oid = d.refobjid
      where d.classid = 'pg_policy'::regclass and d.objid = pol.oid and d.refclassid = 'pg_proc'::regclass
        and p.prosrc ~* '(user_metadata|raw_user_meta_data)'))
order by 1`,
};
