/**
 * A world row takes its partition key from the partition it is meant for,
 * over whichever learned body it draws: every body of a partitioned table
 * must be accepted with every learned partition key, whatever the seed.
 * (With seed 42 a body whose created_at came from the value pool broke
 * analytics_events' occurred_at <= created_at + 1 day for one partition, no
 * world could be loaded, and every property of the run failed.)
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@databases/pg';
import { learnRows, loadAccessSpec } from '../../src/rls/index.ts';
import { buildRow, insertSql, newContext, peopleInsert } from '../../src/rls/rows/index.ts';
import { freshDatabase, type FreshDatabase } from '../helpers/pg.ts';

const spec = loadAccessSpec(resolve(import.meta.dirname, '../access/access-spec.json'));

describe('learned rows fit every partition', () => {
  let fresh: FreshDatabase;
  beforeAll(async () => {
    fresh = await freshDatabase({ purpose: 'rls_partition_bodies' });
  });
  afterAll(async () => {
    await fresh?.drop();
  });

  it.each([42, 7, 1000])(
    'every body of every partitioned table is accepted with every partition key (seed %i)',
    async (seed) => {
      const model = await learnRows(fresh.db, spec, { seed });
      const partitioned = [...model.recipes.values()].filter((recipe) => recipe.partitions.length > 0);
      expect(partitioned.length).toBeGreaterThan(0);
      const people = [randomUUID(), randomUUID()];
      const refused: string[] = [];
      let tried = 0;
      await fresh.db
        .tx(async (tx) => {
          for (const [index, id] of people.entries()) {
            await tx.query(peopleInsert(model.usersTable!, model.usersColumns, { id, email: `p${index}-${id.slice(0, 8)}@example.test`, isAnonymous: false, appMetadata: {}, userMetadata: {} }));
          }
          for (const recipe of partitioned) {
            for (const [situation, bodies] of recipe.bodies) {
              const owner = situation.startsWith('person|') ? people[0]! : null;
              const state = situation.split('|')[1] || null;
              for (const [bodyIndex, body] of bodies.entries()) {
                for (const partition of recipe.partitions) {
                  const context = newContext({ recipes: model.recipes, pools: model.pools, usersTable: model.usersTable, people, mode: 'probe' });
                  const row = buildRow(context, recipe, { owner, state, pick: 0, body, partitionValue: partition.value });
                  expect(row).not.toBeNull();
                  tried += 1;
                  await tx.query(sql`savepoint fit`);
                  try {
                    for (const parent of context.created) await tx.query(insertSql(parent, { skipConflicts: true }));
                    await tx.query(insertSql(row!));
                  } catch (error) {
                    refused.push(`${recipe.relation} ${situation} body ${bodyIndex} → ${partition.leaf}: ${(error as Error).message}`);
                  }
                  await tx.query(sql`rollback to savepoint fit`);
                }
              }
            }
          }
          throw new RolledBack();
        })
        .catch((error: unknown) => {
          if (!(error instanceof RolledBack)) throw error;
        });
      expect(tried).toBeGreaterThan(0);
      expect(refused).toEqual([]);
    },
    300_000,
  );
});

class RolledBack extends Error {}
