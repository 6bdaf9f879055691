import type { SchemaLint } from '../types.ts';
import { notFromExtension, projectSchema } from '../scope.ts';

export const timestampWithoutTimeZone: SchemaLint = {
  name: 'timestamp_without_time_zone',
  title: 'Column of type timestamp (without time zone)',
  level: 'warn',
  categories: ['safety'],
  description: 'A table column whose type is `timestamp`, an array of it, or a domain over it.',
  rationale:
    'A `timestamp` stores wall-clock digits with no zone: the same instant written from two sessions with different TimeZone settings stores two values, and comparisons across zones silently go wrong. `timestamptz` stores the instant.',
  remediation: "`alter table public.t alter column happened_at type timestamptz using happened_at at time zone 'UTC';` (a table rewrite: plan it for a live table).",
  scope:
    'Columns of ordinary, partitioned and foreign tables in every project schema (the rule is "never timestamp", not only in exposed schemas); partitions are skipped (they repeat the parent\'s columns).',
  source: 'catalog',
  query: `
select format('%I.%I.%I', n.nspname, c.relname, a.attname) as object,
       format('column %I is %s', a.attname, format_type(a.atttypid, a.atttypmod)) as detail,
       case when ty.typcategory = 'A'
            -- arrays: no AT TIME ZONE for arrays; the cast reads the values in the session's TimeZone
            then format('set timezone = ''UTC''; alter table %I.%I alter column %I type timestamptz[] using %I::timestamptz[];', n.nspname, c.relname, a.attname, a.attname)
            else format('alter table %I.%I alter column %I type timestamptz using %I at time zone ''UTC'';', n.nspname, c.relname, a.attname, a.attname) end as remediation
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_type ty on ty.oid = a.atttypid
where a.attnum > 0
  and not a.attisdropped
  and c.relkind in ('r', 'p', 'f')
  and not c.relispartition
  and ('timestamp'::regtype in (ty.oid, ty.typbasetype, ty.typelem)
       or exists (select 1 from pg_type b where b.oid = ty.typbasetype and b.typelem = 'timestamp'::regtype))
  and ${projectSchema('n')}
  and ${notFromExtension('pg_class', 'c.oid')}
order by 1`,
};
