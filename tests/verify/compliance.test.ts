import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadCatalogue } from '../../src/plans/index.ts';
import { evaluateCompliance, loadComplianceMap, type ComplianceInputs, type ComplianceMap } from '../../src/verify/index.ts';
import type { PgtapFileReport } from '../../src/report/index.ts';

const root = resolve(import.meta.dirname, '../..');
const projectMap = resolve(root, 'tests/compliance/compliance-map.json');
const queryIds = loadCatalogue(resolve(root, 'tests/plans/catalogue.json')).queries.map((query) => query.id);

function mapFile(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sp-map-')), 'map.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function problemsOf(file: string): string[] {
  try {
    loadComplianceMap(file, { root, required: true, queryIds });
  } catch (error) {
    expect(error).toMatchObject({ detail: { code: 'compliance_map_invalid', file } });
    return (error as { detail: { problems: string[] } }).detail.problems;
  }
  return expect.unreachable('the map was accepted') as never;
}

const map: ComplianceMap = {
  version: 1,
  duties: [
    { id: 'erasure', duty: 'Right to erasure', regulation: 'GDPR Art. 17', mechanism: 'erase()', provedBy: [{ pgtap: 'tests/pgtap/e.sql', test: 'erase leaves nothing' }, { property: 'visibility' }] },
    { id: 'access', duty: 'Right of access', regulation: '', mechanism: 'export()', provedBy: [{ pgtap: 'tests/pgtap/e.sql', test: 'export holds everything' }, { bench: 'q11' }] },
    { id: 'security', duty: 'Security', regulation: '', mechanism: 'RLS', provedBy: [{ gate: 'mutation' }] },
  ],
};

function pgtapFile(status: PgtapFileReport['status'], assertions: { description: string; ok: boolean }[]): PgtapFileReport {
  return {
    file: 'tests/pgtap/e.sql',
    status,
    planned: assertions.length,
    passed: assertions.filter((a) => a.ok).length,
    failed: assertions.filter((a) => !a.ok).length,
    durationMs: 1,
    failures: [],
    assertions: assertions.map((a, index) => ({ number: index + 1, ...a })),
  };
}

function inputs(overrides: Partial<ComplianceInputs> = {}): ComplianceInputs {
  return {
    pgtap: {
      files: [
        pgtapFile('pass', [
          { description: 'erase leaves nothing', ok: true },
          { description: 'export holds everything', ok: true },
        ]),
      ],
      assertions: 2,
      failedAssertions: 0,
    },
    rls: { properties: [{ name: 'visibility', runs: 25, status: 'pass', seed: 1, counterexample: null, replay: null }], cases: 10, casesPerSecond: null, seed: 1 },
    plans: {
      scale: 'small',
      seed: 1,
      catalogue: 'c.json',
      gates: { deterministic: '', timings: { enabled: false, reason: null, summary: '' } },
      notes: [],
      queries: [
        {
          id: 'q11',
          title: 'consents',
          area: null,
          actor: 'user',
          planNode: 'Index Scan',
          indexes: [],
          seqScans: [],
          work: null,
          bypassWork: null,
          rlsWorkRatio: null,
          p50Ms: null,
          p95Ms: null,
          maxMs: null,
          rlsTimeRatio: null,
          status: 'pass',
          failures: [],
        },
      ],
    },
    gates: [{ id: 'mutation', status: 'pass' }],
    ...overrides,
  };
}

describe('compliance map as project data', () => {
  it("loads this project's twelve duties against its pgTAP files and catalogue", () => {
    const loaded = loadComplianceMap(projectMap, { root, required: true, queryIds });
    expect(loaded?.duties).toHaveLength(12);
  });

  it('is absent without a word when the project has none at the default path, and an error at a configured one', () => {
    expect(loadComplianceMap(join(tmpdir(), 'no-such-map.json'), { root, required: false })).toBeNull();
    expect(problemsOf(join(tmpdir(), 'no-such-map.json'))).toEqual(['file not found (config key complianceMap)']);
  });

  it('refuses a pgTAP file or a query id that does not exist, a duty proved by nothing, and bad JSON', () => {
    const problems = problemsOf(mapFile({ version: 1, duties: [{ id: 'd', duty: 'duty', mechanism: 'a mechanism', provedBy: [{ pgtap: 'tests/pgtap/nope.sql' }, { bench: 'q99' }] }] }));
    expect(problems.some((problem) => problem.includes('nope.sql'))).toBe(true);
    expect(problems.some((problem) => problem.includes('q99'))).toBe(true);
    expect(problemsOf(mapFile({ version: 1, duties: [{ id: 'd', duty: 'duty', mechanism: 'a mechanism', provedBy: [] }] })).some((problem) => problem.includes('at least one check'))).toBe(true);
    expect(problemsOf(mapFile('{ not json'))[0]).toMatch(/cannot be read as JSON/);
  });

  it('proves a duty only when every check it names ran in this run and passed', () => {
    const all = evaluateCompliance(map, inputs());
    expect(all.problems).toEqual([]);
    expect(all.duties.map((duty) => duty.status)).toEqual(['pass', 'pass', 'pass']);

    const failed = evaluateCompliance(
      map,
      inputs({
        pgtap: {
          files: [
            pgtapFile('fail', [
              { description: 'erase leaves nothing', ok: false },
              { description: 'export holds everything', ok: true },
            ]),
          ],
          assertions: 2,
          failedAssertions: 1,
        },
      }),
    );
    expect(failed.duties.map((duty) => duty.status)).toEqual(['fail', 'pass', 'pass']);

    const notRun = evaluateCompliance(map, inputs({ rls: null, gates: [{ id: 'mutation', status: 'skipped' }] }));
    expect(notRun.duties.map((duty) => duty.status)).toEqual(['warn', 'pass', 'warn']);
    expect(notRun.problems).toEqual([]);
  });

  it('calls a test name, property or query that matches nothing an error, but a file that died early a failure', () => {
    const renamed = evaluateCompliance(
      map,
      inputs({
        pgtap: {
          files: [
            pgtapFile('pass', [
              { description: 'erase leaves nothing behind', ok: true },
              { description: 'export holds everything', ok: true },
            ]),
          ],
          assertions: 2,
          failedAssertions: 0,
        },
      }),
    );
    expect(renamed.duties[0]?.status).toBe('error');
    expect(renamed.problems).toEqual(['duty erasure: pgTAP tests/pgtap/e.sql has no test named "erase leaves nothing"']);

    const died = evaluateCompliance(map, inputs({ pgtap: { files: [pgtapFile('error', [{ description: 'export holds everything', ok: true }])], assertions: 1, failedAssertions: 0 } }));
    expect(died.problems).toEqual([]);
    expect(died.duties[0]?.status).toBe('fail');

    const noProperty = evaluateCompliance(map, inputs({ rls: { ...inputs().rls!, properties: [] } }));
    expect(noProperty.problems[0]).toMatch(/RLS property visibility does not exist/);
    const noQuery = evaluateCompliance(map, inputs({ plans: { ...inputs().plans!, queries: [] } }));
    expect(noQuery.problems[0]).toMatch(/query q11/);
  });
});
