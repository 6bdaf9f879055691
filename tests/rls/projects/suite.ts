/**
 * The checks every fixture project gets: its spec holds for its policies, an
 * added leaking policy on `leakTable` fails it, and every generated mutant of
 * its policies is caught — with no harness code that knows the project.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMutation, runRls } from '../../../src/rls/index.ts';
import { testServer } from '../../helpers/pg.ts';
import { fixtureProject, type FixtureProject } from './fixture.ts';

export function describeFixtureProject(name: string, leakTable: string): void {
  describe(`fixture project: ${name}`, () => {
    let project: FixtureProject;
    beforeAll(async () => {
      project = await fixtureProject(name);
    });
    afterAll(async () => {
      await project?.drop();
    });

    it('passes rls: every property, every relation, actor and operation exercised', async () => {
      const result = await runRls({ server: testServer(), template: project.template.name, spec: project.spec, runs: 6, seed: 11 });
      expect(result.properties.filter((property) => !property.passed).map((property) => property.counterexample?.rendered ?? property.error)).toEqual([]);
      expect(result.observedMatrix.every((cell) => cell.agrees)).toBe(true);
    });

    it('fails rls on an added leaking policy, naming the relation', async () => {
      const leaky = await project.withChange('fixture_', `create policy sp_leak on public.${leakTable} for select to authenticated using (true)`);
      const result = await runRls({ server: testServer(), template: leaky.name, spec: project.spec, runs: 6, seed: 11, properties: ['visibility'] });
      const failed = result.properties.find((property) => !property.passed);
      expect(failed?.counterexample?.violation).toMatchObject({ relation: leakTable, operation: 'select' });
      expect(failed?.counterexample?.violation?.problem).toMatch(/^leak:/);
      expect(failed?.replay).toMatch(/^schemaproof rls --property visibility --seed \d+ --path /);
    });

    it('catches every generated mutant of its policies (100%), none of them inapplicable', async () => {
      const result = await runMutation({ server: testServer(), template: project.template.name, spec: project.spec, runs: 2, seed: 5 });
      expect(result.baselineFailures).toEqual([]);
      expect(
        result.mutants.filter((mutant) => mutant.status !== 'caught' && mutant.status !== 'equivalent').map((mutant) => `${mutant.name}: ${mutant.status} ${mutant.error ?? mutant.applyError ?? ''}`),
      ).toEqual([]);
      expect(result.notApplicable).toBe(0);
      expect(result.total).toBeGreaterThan(15);
      expect(result.score).toBe(1);
    }, 900_000);
  });
}
