import { resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { actorKinds, loadAccessSpec, operations, runRls } from '../../src/rls/index.ts';
import { testServer } from '../helpers/pg.ts';

const spec = loadAccessSpec(resolve(import.meta.dirname, '../access/access-spec.json'));

describe('RLS properties on the real policies', () => {
  it('hold for random worlds, and the observed access matrix covers every relation, actor and operation', async () => {
    const result = await runRls({ server: testServer(), template: inject('pg').template, spec, runs: 4, seed: 4242 });
    const failures = result.properties.filter((property) => !property.passed).map((property) => `${property.name}: ${property.counterexample?.rendered ?? property.error}`);
    expect(failures).toEqual([]);
    expect(result.properties.map((property) => property.name)).toEqual(['coverage', 'visibility', 'write_isolation', 'side_doors', 'audit_trail', 'no_transaction_leak']);
    expect(result.cases).toBeGreaterThan(1000);
    for (const relation of Object.keys(spec.relations)) {
      for (const actor of actorKinds) {
        for (const operation of operations) {
          const cell = result.observedMatrix.find((entry) => entry.relation === relation && entry.actor === actor && entry.operation === operation);
          if (spec.relations[relation]!.kind === 'view' && operation === 'insert') continue;
          expect(cell, `${relation} ${actor} ${operation}`).toBeDefined();
          expect(cell!.agrees).toBe(true);
        }
      }
    }
    // Direct partition access and the owner-without-BYPASSRLS probe were exercised.
    expect(result.observedMatrix.some((cell) => cell.relation.startsWith('analytics_events (partition'))).toBe(true);
    expect(result.observedMatrix.some((cell) => cell.actor === 'owner_probe')).toBe(true);
    expect(result.observedMatrix.some((cell) => cell.actor === 'owner' && cell.relation === 'privacy_audit_logs')).toBe(true);
  });
});
