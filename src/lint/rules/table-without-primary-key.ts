import type { SchemaLint } from '../types.ts';
import { notFromExtension, projectSchema } from '../scope.ts';

export const tableWithoutPrimaryKey: SchemaLint = {
  name: 'table_without_primary_key',
  title: 'Table without a primary key',
  level: 'warn',
  categories: ['performance', 'safety'],
  description: 'An ordinary or partitioned table with no PRIMARY KEY constraint.',
  rationale:
    'Without a key, rows cannot be addressed one at a time (API updates and deletes, logical replication of UPDATE/DELETE, dedup after a retried insert). The schema rule is a uuid primary key with a default on every table.',
  remediation: '`alter table public.t add column id uuid not null default gen_random_uuid(); alter table public.t add primary key (id);`',
  scope: "Ordinary and partitioned tables (not partitions, which inherit the parent's key) in every project schema.",
  source: 'catalog',
  query: `
select format('%I.%I', n.nspname, c.relname) as object,
       'no primary key' as detail,
       format('alter table %I.%I add primary key (...);', n.nspname, c.relname) as remediation
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p')
  and not c.relispartition
  and not exists (select 1 from pg_constraint con where con.conrelid = c.oid and con.contype = 'p')
  and ${projectSchema('n')}
  and ${notFromExtension('pg_class', 'c.oid')}
order by 1`,
};
