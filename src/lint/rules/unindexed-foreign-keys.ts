import type { SchemaLint } from '../types.ts';
import { notFromExtension, projectSchema } from '../scope.ts';

export const unindexedForeignKeys: SchemaLint = {
  name: 'unindexed_foreign_keys',
  title: 'Foreign key without a covering index',
  level: 'warn',
  categories: ['performance'],
  description: 'A foreign key with no index whose leading key columns are exactly the foreign-key columns (in any order); partial indexes do not count.',
  rationale:
    'Every DELETE or key UPDATE on the referenced table looks up referencing rows; without an index that is a sequential scan per row, under a lock. Joins and the RLS predicates that filter on the same column (owner_id = auth.uid()) need the index too.',
  remediation: '`create index t_owner_id_idx on public.t (owner_id);` (on a large live table, build it with `create index concurrently` outside the migration transaction first).',
  scope: "Foreign keys declared on ordinary and partitioned tables in every project schema (the per-partition clones of a partitioned table's key are skipped: the parent's index covers them).",
  source: 'catalog',
  query: `
select format('%I.%I.%I', n.nspname, c.relname, con.conname) as object,
       format('foreign key %I (%s) referencing %s has no index whose leading columns are (%s)', con.conname, cols.list, con.confrelid::regclass, cols.list) as detail,
       format('create index %I on %I.%I (%s);', left(c.relname || '_' || cols.names || '_idx', 63), n.nspname, c.relname, cols.list) as remediation
from pg_constraint con
join pg_class c on c.oid = con.conrelid
join pg_namespace n on n.oid = c.relnamespace
cross join lateral (
  select string_agg(quote_ident(a.attname), ', ' order by k.ord) as list,
         string_agg(a.attname, '_' order by k.ord) as names
  from unnest(con.conkey) with ordinality k(attnum, ord)
  join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum
) cols
where con.contype = 'f'
  and con.conparentid = 0
  and not c.relispartition
  and ${projectSchema('n')}
  and ${notFromExtension('pg_class', 'c.oid')}
  and not exists (
    select 1
    from pg_index i
    where i.indrelid = con.conrelid
      and i.indpred is null
      and i.indnkeyatts >= cardinality(con.conkey)
      and (select array_agg(x order by x) from unnest((i.indkey::int2[])[0:cardinality(con.conkey) - 1]) x)
        = (select array_agg(x order by x) from unnest(con.conkey) x))
order by 1`,
};
