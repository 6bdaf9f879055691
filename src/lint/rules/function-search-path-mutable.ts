import type { SchemaLint } from '../types.ts';
import { notFromExtension, projectSchema } from '../scope.ts';

export const functionSearchPathMutable: SchemaLint = {
  name: 'function_search_path_mutable',
  title: 'Function without a fixed search_path',
  level: 'warn',
  categories: ['security'],
  description: 'A SECURITY INVOKER function or procedure (SQL or PL/pgSQL) with no `search_path` in its settings.',
  rationale:
    "Its meaning depends on whoever calls it: a trigger function or a policy helper that resolves `users` or `now()` through the caller's search_path can be redirected to another object. Pinning it makes every call mean the same thing.",
  remediation: "`alter function public.f() set search_path = '';` and schema-qualify the names in its body (or `set search_path = pg_catalog`).",
  scope: "Functions and procedures in every project schema, except C/internal ones and those belonging to extensions; SECURITY DEFINER ones are security_definer_search_path's.",
  source: 'catalog',
  query: `
select format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as object,
       'no fixed search_path: names in its body resolve through the caller''s search_path' as detail,
       format('alter function %I.%I(%s) set search_path = '''';', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as remediation
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_language l on l.oid = p.prolang
where not p.prosecdef
  and l.lanname not in ('c', 'internal')
  and p.prokind in ('f', 'p')
  and not exists (select 1 from unnest(p.proconfig) cfg where cfg like 'search\\_path=%')
  and ${projectSchema('n')}
  and ${notFromExtension('pg_proc', 'p.oid')}
order by 1`,
};
