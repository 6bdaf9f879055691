import type { SchemaLint } from '../types.ts';
import { apiRoles, projectSchema } from '../scope.ts';

export const multiplePermissivePolicies: SchemaLint = {
  name: 'multiple_permissive_policies',
  title: 'Several permissive policies for one role and action',
  level: 'warn',
  categories: ['performance'],
  description: 'A table with more than one permissive policy for the same role and the same action (SELECT, INSERT, UPDATE or DELETE; FOR ALL counts for each; TO public counts for every API role).',
  rationale:
    'Permissive policies are OR-ed and every one is evaluated for every row the query touches, so each extra policy adds its cost to every scan. One policy per role and action with the conditions OR-ed explicitly is faster and easier to review.',
  remediation:
    'Merge them: `create policy t_select on public.t for select to authenticated using (owner_id = (select auth.uid()) or (select app.is_staff()));` and drop the others; or make the narrowing one `as restrictive`.',
  scope: 'Policies on tables in every project schema.',
  source: 'catalog',
  query: `
with expanded as (
  select pol.polrelid, pol.polname, role_name, action
  from pg_policy pol
  cross join lateral (
    select r.rolname as role_name from ${apiRoles} r where 0 = any (pol.polroles)
    union
    select rr.rolname from pg_roles rr where rr.oid = any (pol.polroles)
  ) roles
  cross join lateral unnest(case pol.polcmd
    when 'r' then array['SELECT'] when 'a' then array['INSERT'] when 'w' then array['UPDATE'] when 'd' then array['DELETE']
    else array['SELECT', 'INSERT', 'UPDATE', 'DELETE'] end) action
  where pol.polpermissive
)
select format('%I.%I', n.nspname, c.relname) as object,
       format('%s permissive policies for role %s on %s: %s', count(*), e.role_name, e.action,
              string_agg(quote_ident(e.polname), ', ' order by e.polname)) as detail,
       null::text as remediation
from expanded e
join pg_class c on c.oid = e.polrelid
join pg_namespace n on n.oid = c.relnamespace
where ${projectSchema('n')}
group by n.nspname, c.relname, e.role_name, e.action
having count(*) > 1
order by 1, 2`,
};
