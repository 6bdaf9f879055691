import type { SchemaLint } from '../types.ts';
import { notFromExtension, projectSchema } from '../scope.ts';

export const securityDefinerExecutableByPublic: SchemaLint = {
  name: 'security_definer_executable_by_public',
  title: 'SECURITY DEFINER function executable by PUBLIC',
  level: 'warn',
  categories: ['security'],
  description: "A SECURITY DEFINER function or procedure that PUBLIC may execute — which is Postgres's default unless revoked.",
  rationale:
    "A SECURITY DEFINER function acts with its owner's rights. Left executable by PUBLIC (the default for every new function), anon can call it, usually through the API's /rpc endpoint. Grant EXECUTE to the roles that need it and nobody else.",
  remediation: '`revoke execute on function public.f(uuid) from public; grant execute on function public.f(uuid) to authenticated;`',
  scope: 'Functions and procedures in every project schema (not those belonging to extensions).',
  source: 'catalog',
  query: `
select format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as object,
       'SECURITY DEFINER and executable by PUBLIC (every role, anon included)' ||
         case when p.proacl is null then ' through the default privileges' else '' end as detail,
       format('revoke execute on %s %I.%I(%s) from public;', case when p.prokind = 'p' then 'procedure' else 'function' end,
              n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as remediation
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
where p.prosecdef
  and exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) acl
              where acl.grantee = 0 and acl.privilege_type = 'EXECUTE')
  and ${projectSchema('n')}
  and ${notFromExtension('pg_proc', 'p.oid')}
order by 1`,
};
