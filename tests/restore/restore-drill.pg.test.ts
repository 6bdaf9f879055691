import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { sql } from '@databases/pg';
import { restoreDrill } from '../../src/restore/index.ts';
import { diffInventories, readInventory } from '../../src/inventory/index.ts';
import { templateHandle } from '../../src/postgres/index.ts';
import { testServer } from '../helpers/pg.ts';

describe('restore drill', () => {
  it('restores the project schema with every policy, grant, FORCE flag, partition and trigger intact, and notices what a lossy restore drops', async () => {
    const server = testServer();
    const template = templateHandle(server, inject('pg').template);
    const drill = await restoreDrill(server, template);
    try {
      expect(drill.relationsCompared).toBeGreaterThan(12);
      expect(drill.differences).toEqual([]);
      expect(drill.passed).toBe(true);

      // Now damage the restored copy the way a careless restore would
      // (--no-acl, a lost policy, RLS no longer forced) and check the
      // comparison sees each loss.
      const original = await template.clone('restore_original');
      const left = original.connect();
      const right = server.connect(drill.restored.name);
      try {
        const tables = await right.query(sql`
          select c.relname, (select polname from pg_policy where polrelid = c.oid order by polname limit 1) as policy
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relforcerowsecurity and not c.relispartition
            and exists (select 1 from pg_policy where polrelid = c.oid)
          order by c.relname limit 1`);
        const table = String(tables[0]?.relname);
        const policy = String(tables[0]?.policy);
        await right.query(sql`drop policy ${sql.ident(policy)} on ${sql.ident('public', table)}`);
        await right.query(sql`alter table ${sql.ident('public', table)} no force row level security`);
        await right.query(sql`revoke all on table ${sql.ident('public', table)} from authenticated`);
        const differences = diffInventories(await readInventory(left), await readInventory(right));
        const aspects = differences.filter((difference) => difference.object === `public.${table}`).map((difference) => difference.aspect);
        expect(aspects).toContain('policy');
        expect(aspects).toContain('rls forced');
        expect(aspects).toContain('grants to authenticated');
        expect(differences.find((difference) => difference.aspect === 'policy')?.before).toContain(policy);
      } finally {
        await left.dispose();
        await right.dispose();
        await original.drop();
      }
    } finally {
      await drill.restored.drop();
    }
  });
});
