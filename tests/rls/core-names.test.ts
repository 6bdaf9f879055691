/**
 * The harness core names nothing of this project: no relation of the access
 * spec, no function, schema or type the project's SQL creates, and no column
 * of its tables appears in the core folders. What is project-specific lives
 * in data (the access spec, the catalogue) or SQL, or in a clearly
 * project-specific domain module (the FEC loader, src/fec).
 *
 * To hold another folder to the same rule, add it to `coreFolders`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
export const coreFolders = ['src/rls', 'src/postgres', 'src/lint', 'src/pgtap', 'src/workspace', 'src/migrate', 'src/cli', 'src/init'];

/**
 * Column names that are conventions, not this project's inventions: the
 * timestamps every Supabase table has, and the catalog's own vocabulary
 * (information_schema names a relation's name `table_name`).
 */
const platformConventions = new Set(['created_at', 'updated_at', 'table_name']);

/** Files that reproduce the Supabase platform's schemas object by object (see docs/supabase.md). */
const platformMirrors = new Set(['src/postgres/supabase-shim.sql']);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function projectSql(): string {
  const dirs = ['sql', 'policies'].map((dir) => resolve(root, dir));
  return dirs
    .flatMap((dir) => filesUnder(dir).filter((file) => file.endsWith('.sql')))
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n');
}

/** Names the project's SQL defines, and the columns of its tables (multi-word ones: single words like `name` are English). */
export function projectNames(sqlText: string, specRelations: readonly string[]): { names: Set<string>; qualified: Set<string> } {
  const names = new Set<string>(specRelations);
  const qualified = new Set<string>();
  for (const match of sqlText.matchAll(/create\s+(?:or\s+replace\s+)?(?:function|procedure|type|view|materialized\s+view|table)\s+(?:if\s+not\s+exists\s+)?([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)/gi)) {
    if (match[1]!.toLowerCase() !== 'public') qualified.add(`${match[1]!.toLowerCase()}.`);
    names.add(match[2]!.toLowerCase());
  }
  for (const match of sqlText.matchAll(/create\s+schema\s+(?:if\s+not\s+exists\s+)?([a-z_][a-z0-9_]*)/gi)) qualified.add(`${match[1]!.toLowerCase()}.`);
  for (const block of sqlText.matchAll(/create\s+table\s+[a-z0-9_.]+\s*\(([\s\S]*?)\n\)/gi)) {
    for (const line of block[1]!.split('\n')) {
      const column = /^\s+([a-z_][a-z0-9_]*)\s+[a-z]/.exec(line)?.[1];
      if (column && column.includes('_') && !['constraint', 'primary', 'unique', 'check', 'foreign', 'exclude'].includes(column) && !platformConventions.has(column)) names.add(column);
    }
  }
  // Schemas every Supabase database has are the platform's, not the project's.
  for (const platform of ['extensions.', 'auth.', 'public.']) qualified.delete(platform);
  return { names, qualified };
}

export function hits(text: string, names: { names: Set<string>; qualified: Set<string> }): string[] {
  const found: string[] = [];
  for (const name of names.names) if (new RegExp(`(?<![A-Za-z0-9_])${name}(?![A-Za-z0-9_])`).test(text)) found.push(name);
  for (const prefix of names.qualified) if (new RegExp(`(?<![A-Za-z0-9_])${prefix.replace('.', '\\.')}[a-z_]`).test(text)) found.push(prefix);
  return found;
}

describe('the harness core names nothing of this project', () => {
  const spec = JSON.parse(readFileSync(resolve(root, 'tests/access/access-spec.json'), 'utf8')) as { relations: Record<string, unknown> };
  const names = projectNames(projectSql(), Object.keys(spec.relations));

  it('knows what to look for (relations, functions, schemas, columns)', () => {
    for (const expected of ['privacy_audit_logs', 'analytics_events', 'log_privacy_event', 'is_admin', 'user_id', 'actor_id', 'request_status']) expect(names.names).toContain(expected);
    expect(names.qualified).toContain('private.');
    // The check itself can fail: a core file naming a project table is found.
    expect(hits('const table = "analytics_events";', names)).toEqual(['analytics_events']);
    expect(hits('select private.audit_chain_lock()', names)).toEqual(expect.arrayContaining(['audit_chain_lock', 'private.']));
    expect(hits('private data stays private', names)).toEqual([]);
  });

  it.each(coreFolders)('%s contains no table, column, function or schema name of the project', (folder) => {
    const offenders: string[] = [];
    for (const file of filesUnder(resolve(root, folder))) {
      // The platform shim reproduces Supabase's own objects (GoTrue's auth.sessions.user_id, ...): their names are the platform's, not this project's.
      if (platformMirrors.has(relative(root, file))) continue;
      const found = hits(readFileSync(file, 'utf8'), names);
      if (found.length > 0) offenders.push(`${relative(root, file)}: ${found.join(', ')}`);
    }
    expect(offenders).toEqual([]);
  });
});
