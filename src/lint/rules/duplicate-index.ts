import type { SchemaLint } from '../types.ts';
import { notFromExtension, projectSchema } from '../scope.ts';

export const duplicateIndex: SchemaLint = {
  name: 'duplicate_index',
  title: 'Duplicate index',
  level: 'warn',
  categories: ['performance'],
  description:
    'Two or more indexes on one table with the same access method, key and INCLUDE columns, expressions, predicate, operator classes, collations and options. The one kept is the primary key, else one backing a constraint, else a unique one, else the oldest; the others are reported.',
  rationale: 'A duplicate makes every write pay twice, doubles the space and the vacuum work, and gives the planner nothing new.',
  remediation: '`drop index public.t_owner_id_idx1;` (or `alter table public.t drop constraint ...;` when the duplicate backs a constraint).',
  scope: 'Indexes on tables and materialized views in every project schema (index partitions are skipped: the parent index is reported once).',
  source: 'catalog',
  query: `
with candidates as (
  select i.indexrelid, n.nspname, t.relname as table_name, ic.relname as index_name,
         con.conname,
         concat_ws(' | ', i.indrelid::text, ic.relam::text, i.indnkeyatts::text, i.indkey::text, i.indclass::text,
                   i.indcollation::text, i.indoption::text,
                   coalesce(pg_get_expr(i.indexprs, i.indrelid), ''), coalesce(pg_get_expr(i.indpred, i.indrelid), '')) as signature,
         row_number() over (
           partition by i.indrelid, ic.relam, i.indnkeyatts, i.indkey::text, i.indclass::text, i.indcollation::text, i.indoption::text,
                        coalesce(pg_get_expr(i.indexprs, i.indrelid), ''), coalesce(pg_get_expr(i.indpred, i.indrelid), '')
           order by i.indisprimary desc, (con.oid is not null) desc, i.indisunique desc, i.indexrelid) as rank
  from pg_index i
  join pg_class ic on ic.oid = i.indexrelid
  join pg_class t on t.oid = i.indrelid
  join pg_namespace n on n.oid = t.relnamespace
  left join pg_constraint con on con.conindid = i.indexrelid and con.conrelid = i.indrelid and con.contype in ('p', 'u', 'x')
  where not ic.relispartition
    and ${projectSchema('n')}
    and ${notFromExtension('pg_class', 't.oid')}
)
select format('%I.%I', d.nspname, d.index_name) as object,
       format('duplicates %I.%I on %I.%I (%s)', k.nspname, k.index_name, d.nspname, d.table_name, pg_get_indexdef(d.indexrelid)) as detail,
       case when d.conname is not null then format('alter table %I.%I drop constraint %I;', d.nspname, d.table_name, d.conname)
            else format('drop index %I.%I;', d.nspname, d.index_name) end as remediation
from candidates d
join candidates k on k.signature = d.signature and k.rank = 1
where d.rank > 1
order by 1`,
};
