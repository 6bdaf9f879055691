import { resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { sql, type Queryable } from '@databases/pg';
import { loadAccessSpec, runRls } from '../../src/rls/index.ts';
import { openScratchClone } from '../../src/rls/scratch.ts';
import { createTemplate, templateHandle } from '../../src/postgres/index.ts';
import { testServer } from '../helpers/pg.ts';

const spec = loadAccessSpec(resolve(import.meta.dirname, '../access/access-spec.json'));

class Rollback extends Error {}

/** Run `fn` inside a transaction on the scratch clone, restarted as a judgement is, then rolled back. */
async function judgement<T>(scratch: Awaited<ReturnType<typeof openScratchClone>>, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  let result: T | undefined;
  try {
    await scratch.db.tx(async (tx) => {
      await scratch.restart(tx);
      result = await fn(tx);
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
  return result as T;
}

describe('scratch clone (mutants judged inside rolled-back transactions)', () => {
  it('a mutant applied inside a judgement is caught there and gone afterwards; the clone reports no drift', async () => {
    const server = testServer();
    const template = inject('pg').template;
    const scratch = await openScratchClone(server, template);
    try {
      const common = { server, template, spec, runs: 2, seed: 11, endOnFailure: true, maxRowsPerTable: 3, checkExercise: false, specChecked: false, scratch } as const;
      const mutated = await runRls({
        ...common,
        properties: ['visibility'],
        prepare: async (db) => {
          await db.query(sql`alter table public.ingestion_logs disable row level security`);
        },
      });
      expect(mutated.properties[0]).toMatchObject({ name: 'visibility', passed: false });
      // The same clone, next judgement, no mutant: the policy is back.
      const clean = await runRls({ ...common, properties: ['coverage', 'visibility'] });
      expect(clean.properties.map((property) => [property.name, property.passed])).toEqual([
        ['coverage', true],
        ['visibility', true],
      ]);
      expect(await scratch.drift()).toEqual([]);
    } finally {
      await scratch.close();
    }
  }, 300_000);

  it('refuses the leak property, which commits', async () => {
    const server = testServer();
    const scratch = await openScratchClone(server, inject('pg').template);
    try {
      await expect(runRls({ server, template: inject('pg').template, spec, runs: 1, properties: ['no_transaction_leak'], scratch })).rejects.toThrow(/cannot be judged inside the transaction/);
    } finally {
      await scratch.close();
    }
  });

  it('reports what outlived a rollback (drift) and notices a mutant that ends its transaction', async () => {
    const server = testServer();
    const scratch = await openScratchClone(server, inject('pg').template);
    try {
      expect(await scratch.drift()).toEqual([]);
      // Committed outside any judgement: a policy gone, RLS off, one row more.
      await scratch.db.query(sql`drop policy ingestion_logs_select_admin on public.ingestion_logs`);
      await scratch.db.query(sql`alter table public.ingestion_cursors disable row level security`);
      const drift = await scratch.drift();
      expect(drift).toEqual(
        expect.arrayContaining([expect.stringMatching(/^policy (public\.)?ingestion_logs ingestion_logs_select_admin: gone$/), expect.stringMatching(/^relation (public\.)?ingestion_cursors: /)]),
      );
      // A COMMIT inside the mutant's SQL: confirm() throws and the clone is marked tainted.
      expect(scratch.tainted).toBe(false);
      await expect(
        judgement(scratch, async (tx) => {
          await tx.query(sql`commit`);
          await scratch.confirm(tx);
        }),
      ).rejects.toThrow(/ended the transaction/);
      expect(scratch.tainted).toBe(true);
    } finally {
      await scratch.close();
    }
  });

  it('puts every sequence back where the template left it, so each judgement draws the same values', async () => {
    const server = testServer();
    const base = templateHandle(server, inject('pg').template);
    // A template with a used sequence (not at its start) and an unused one.
    const template = await createTemplate(
      server,
      'scratch_seq',
      async (db) => {
        await db.query(sql`create sequence public.sp_used start 5; select pg_catalog.nextval('public.sp_used'); create sequence public.sp_unused`);
      },
      { from: base },
    );
    const scratch = await openScratchClone(server, template.name);
    try {
      const draw = async (tx: Queryable): Promise<string[]> =>
        ((await tx.query(sql`select pg_catalog.nextval('public.sp_used')::text as a, pg_catalog.nextval('public.sp_unused')::text as b`)) as { a: string; b: string }[]).flatMap((row) => [
          row.a,
          row.b,
        ]);
      const first = await judgement(scratch, draw);
      expect(first).toEqual(['6', '1']);
      // nextval is not rolled back: without the restart the second judgement would draw 7 and 2.
      expect(await judgement(scratch, draw)).toEqual(['6', '1']);
      // Outside a judgement (no restart) the values move on.
      expect(await draw(scratch.db)).toEqual(['7', '2']);
    } finally {
      await scratch.close();
      await template.drop();
    }
  });

  it('counts the roles this database names as drift, not roles changed elsewhere on the cluster', async () => {
    const server = testServer();
    const suffix = Math.random().toString(36).slice(2, 8);
    const named = `sp_scratch_named_${suffix}`;
    const elsewhere = `sp_scratch_elsewhere_${suffix}`;
    const admin = server.admin();
    await admin.query(sql`create role ${sql.ident(named)} nologin`);
    const template = await createTemplate(
      server,
      'scratch_roles',
      async (db) => {
        await db.query(sql`grant select on public.ingestion_logs to ${sql.ident(named)}`);
      },
      { from: templateHandle(server, inject('pg').template) },
    );
    const scratch = await openScratchClone(server, template.name);
    try {
      // Another run (or test) creating a role and granting it an API role: shared by the cluster, not this database's.
      await admin.query(sql`create role ${sql.ident(elsewhere)} nologin`);
      await admin.query(sql`grant anon to ${sql.ident(elsewhere)}`);
      expect(await scratch.drift()).toEqual([]);
      // A role this database grants to, changed: drift.
      await admin.query(sql`alter role ${sql.ident(named)} bypassrls`);
      expect(await scratch.drift()).toEqual([expect.stringMatching(new RegExp(`^role ${named}: f \\| f \\| `))]);
    } finally {
      await scratch.close();
      await template.drop();
      await admin.query(sql`drop role if exists ${sql.ident(elsewhere)}`);
      await admin.query(sql`drop role if exists ${sql.ident(named)}`);
    }
  });
});
