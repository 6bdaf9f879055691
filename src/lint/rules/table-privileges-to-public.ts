import type { SchemaLint } from '../types.ts';
import { notFromExtension, projectSchema } from '../scope.ts';

export const tablePrivilegesToPublic: SchemaLint = {
  name: 'table_privileges_to_public',
  title: 'Privileges granted to PUBLIC',
  level: 'error',
  categories: ['security'],
  description: 'A table, view, materialized view, foreign table or sequence on which the pseudo-role PUBLIC holds a privilege.',
  rationale: 'PUBLIC means every role, present and future — anon included. The schema rule is explicit grants per role, nothing inherited from PUBLIC or from default privileges.',
  remediation: '`revoke all on public.t from public;` then grant what each role needs explicitly in policies/.',
  scope: 'Relations (tables, partitions, views, materialized views, foreign tables, sequences) in every project schema.',
  source: 'catalog',
  query: `
select format('%I.%I', n.nspname, c.relname) as object,
       'PUBLIC holds ' || string_agg(distinct acl.privilege_type, ', ') as detail,
       format('revoke all on %I.%I from public;', n.nspname, c.relname) as remediation
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
cross join lateral aclexplode(c.relacl) acl
where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
  and acl.grantee = 0
  and ${projectSchema('n')}
  and ${notFromExtension('pg_class', 'c.oid')}
group by n.nspname, c.relname
order by 1`,
};
