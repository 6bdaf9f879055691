import type { SchemaLint } from '../types.ts';
import { exposedSchema } from '../scope.ts';

export const extensionInPublic: SchemaLint = {
  name: 'extension_in_public',
  title: 'Extension installed in an exposed schema',
  level: 'warn',
  categories: ['security'],
  description: 'An extension whose objects live in an exposed schema (public).',
  rationale:
    "Its functions, types and tables then show up in the API next to the product's own objects, are callable by API roles, and shadow or collide with project names. Supabase keeps them in `extensions`.",
  remediation: '`alter extension pg_trgm set schema extensions;` (or `create extension ... with schema extensions` in a new project).',
  scope: 'Installed extensions (pg_extension) whose schema is exposed.',
  source: 'catalog',
  query: `
select quote_ident(e.extname) as object,
       format('extension %I is installed in schema %I', e.extname, n.nspname) as detail,
       format('alter extension %I set schema extensions;', e.extname) as remediation
from pg_extension e
join pg_namespace n on n.oid = e.extnamespace
where ${exposedSchema('n')}
  and e.extname <> 'plpgsql'
order by 1`,
};
