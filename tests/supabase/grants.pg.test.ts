/**
 * Differential check: after our migrate, every table of each fixture holds
 * exactly the grants the platform's default privileges give it. Expected
 * values are written by hand from the platform's rules (docs/supabase.md,
 * "Default privileges"): a table the developer creates in public is granted
 * ALL to anon, authenticated and service_role (init-scripts
 * 00000000000000-initial-schema.sql), unless a migration changed that.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from '@databases/pg';
import { loadSettings } from '../../src/config/index.ts';
import { buildMigratedTemplate } from '../../src/workspace/index.ts';
import { withClone, type Template } from '../../src/postgres/index.ts';
import { testServer } from '../helpers/pg.ts';
import { join } from 'node:path';
import { projectsDir } from './cli.ts';

const all = ['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE'];
const none: string[] = [];
type Grants = Record<string, { anon: string[]; authenticated: string[]; service_role: string[] }>;

const expected: Record<string, Grants> = {
  'supabase-blog': {
    // 20240101093000: created under the platform defaults.
    profiles: { anon: all, authenticated: all, service_role: all },
    // 20240103120000: platform defaults, then `revoke all ... from authenticated, anon, public`.
    user_roles: { anon: none, authenticated: none, service_role: all },
    // 20240104150000: platform defaults (feature_flags is the one with RLS off).
    invites: { anon: all, authenticated: all, service_role: all },
    feature_flags: { anon: all, authenticated: all, service_role: all },
    messages: { anon: all, authenticated: all, service_role: all },
    // 20240105160000: after `alter default privileges ... revoke all on tables from anon, authenticated`, then `grant select ... to authenticated`.
    moderation_notes: { anon: none, authenticated: ['SELECT'], service_role: all },
  },
  'supabase-teams': {
    teams: { anon: all, authenticated: all, service_role: all },
    team_members: { anon: all, authenticated: all, service_role: all },
    team_invites: { anon: all, authenticated: all, service_role: all },
  },
};

const templates: Template[] = [];
afterAll(async () => {
  for (const template of templates) await template.drop();
});

async function grantsOf(project: string): Promise<Grants> {
  const settings = await loadSettings({ cwd: join(projectsDir, project) });
  const { template } = await buildMigratedTemplate(
    testServer(),
    { sqlDir: settings.sqlDir, policiesDir: settings.policiesDir, root: settings.root, naming: settings.migrationNaming },
    `grants_${project}`,
  );
  templates.push(template);
  return withClone(template, 'grants', async (db) => {
    const rows = await db.query(sql`
      select c.relname as table, r.rolname as role,
             coalesce(array_agg(a.privilege_type::text order by a.privilege_type) filter (where a.privilege_type is not null), '{}') as privileges
      from pg_class c
      cross join (select rolname, oid from pg_roles where rolname in ('anon', 'authenticated', 'service_role')) r
      left join lateral aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a on a.grantee = r.oid
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
      group by c.relname, r.rolname`);
    const grants: Grants = {};
    for (const row of rows) {
      grants[row.table] ??= { anon: [], authenticated: [], service_role: [] };
      (grants[row.table] as Record<string, string[]>)[row.role] = row.privileges;
    }
    return grants;
  });
}

describe('table grants after migrate equal the platform defaults', () => {
  for (const project of Object.keys(expected)) {
    it(project, async () => {
      expect(await grantsOf(project)).toEqual(expected[project]);
    });
  }
});
