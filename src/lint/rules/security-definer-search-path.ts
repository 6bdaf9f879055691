import type { SchemaLint } from '../types.ts';
import { apiRoles, notFromExtension, projectSchema } from '../scope.ts';

export const securityDefinerSearchPath: SchemaLint = {
  name: 'security_definer_search_path',
  title: 'SECURITY DEFINER function without a safe search_path',
  level: 'error',
  categories: ['security'],
  description: 'A SECURITY DEFINER function with no `search_path` in its settings (proconfig), or whose fixed search_path lists a schema in which an API role may create objects.',
  rationale:
    "A SECURITY DEFINER function runs with its owner's rights but resolves unqualified names through the caller's search_path. A caller who can put a function or table earlier on that path (or in a schema it lists that they can write to) runs their own code as the owner.",
  remediation: "Pin it and qualify names: `alter function public.f(uuid) set search_path = '';` (or `= pg_catalog, pg_temp`), and write every table and function schema-qualified in the body.",
  scope: 'Functions and procedures in every project schema (not those belonging to extensions).',
  source: 'catalog',
  query: `
with definer as (
  select p.oid, n.nspname, p.proname, p.proconfig,
         (select substr(cfg, 13) from unnest(p.proconfig) cfg where cfg like 'search\\_path=%') as search_path
  from pg_proc p
  join pg_namespace n on n.oid = p.pronamespace
  where p.prosecdef
    and ${projectSchema('n')}
    and ${notFromExtension('pg_proc', 'p.oid')}
)
select format('%I.%I(%s)', d.nspname, d.proname, pg_get_function_identity_arguments(d.oid)) as object,
       case when d.search_path is null
            then 'SECURITY DEFINER without a fixed search_path: it resolves names through the caller''s search_path'
            else 'SECURITY DEFINER with search_path ' || d.search_path || ', which lists ' || writable.list || ' where ' || writable.roles || ' may create objects' end as detail,
       format('alter function %I.%I(%s) set search_path = '''';', d.nspname, d.proname, pg_get_function_identity_arguments(d.oid)) as remediation
from definer d
left join lateral (
  select string_agg(distinct quote_ident(s.nspname), ', ') as list, string_agg(distinct r.rolname, ', ') as roles
  from unnest(string_to_array(replace(coalesce(d.search_path, ''), '"', ''), ',')) entry
  join pg_namespace s on s.nspname = btrim(entry)
  cross join ${apiRoles} r
  where has_schema_privilege(r.oid, s.oid, 'CREATE')
) writable on true
where d.search_path is null or writable.list is not null
order by 1`,
};
