/**
 * `verify` reads the compliance map as the project's data: a check the map
 * names that this run does not have is invalid input (exit 6) after the run;
 * a file that does not exist is refused before anything runs; duties whose
 * checks were skipped are not proved. Only the pgTAP gate runs here.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSettings } from '../../src/config/index.ts';
import { verify, type VerifyResult } from '../../src/verify/index.ts';

const root = resolve(import.meta.dirname, '../..');

function databaseUrl(): string {
  const { maintenance } = inject('pg');
  return `postgres://${maintenance.user}@localhost/${maintenance.database}?host=${encodeURIComponent(maintenance.host)}`;
}

describe('verify with the project compliance map', () => {
  let project: string;
  let result: VerifyResult;

  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), 'sp-verify-map-'));
    for (const dir of ['sql', 'policies', 'tests/pgtap', 'tests/access', 'tests/plans']) cpSync(join(root, dir), join(project, dir), { recursive: true });
    writeFileSync(
      join(project, 'map.json'),
      JSON.stringify({
        version: 1,
        duties: [
          { id: 'structure', duty: 'Requests have types', mechanism: 'an enum', provedBy: [{ pgtap: 'tests/pgtap/privacy_structure.sql', test: 'privacy_request_type labels' }] },
          { id: 'renamed', duty: 'A test the map misnames', mechanism: 'a typo', provedBy: [{ pgtap: 'tests/pgtap/privacy_structure.sql', test: 'privacy_request_type label' }] },
          { id: 'isolation', duty: 'Users see their own rows', mechanism: 'RLS', provedBy: [{ property: 'visibility' }, { bench: 'q01' }] },
        ],
      }),
    );
    writeFileSync(join(project, 'schemaproof.config.json'), JSON.stringify({ complianceMap: 'map.json', rls: { mutation: false }, bench: { enabled: false }, restoreDrill: false }));
    const settings = await loadSettings({ cwd: project });
    result = await verify({ settings, databaseUrl: databaseUrl(), skip: ['rls', 'mutation', 'plans', 'lint', 'restore'] });
  }, 300_000);

  afterAll(() => {
    rmSync(project, { recursive: true, force: true });
  });

  it('exits 6 and names the test the map names but the run does not have', () => {
    expect(result.exitCode).toBe(6);
    expect(result.report.verdict).toBe('fail');
    expect(result.report.compliance.problems).toEqual(['duty renamed: pgTAP tests/pgtap/privacy_structure.sql has no test named "privacy_request_type label"']);
    expect(readFileSync(join(project, 'reports/verification.md'), 'utf8')).toContain('has no test named');
  });

  it('proves a duty by the checks that ran, and leaves one whose checks were skipped unproved', () => {
    const status = Object.fromEntries(result.report.compliance.duties.map((duty) => [duty.id, duty.status]));
    expect(status).toEqual({ structure: 'pass', renamed: 'error', isolation: 'warn' });
    expect(result.report.compliance.source).toBe('map.json');
  });

  it('refuses a map naming a file that does not exist before anything runs', async () => {
    writeFileSync(join(project, 'map.json'), JSON.stringify({ version: 1, duties: [{ id: 'd', duty: 'a duty', mechanism: 'a mechanism', provedBy: [{ pgtap: 'tests/pgtap/gone.sql' }] }] }));
    const settings = await loadSettings({ cwd: project });
    await expect(verify({ settings, databaseUrl: 'postgres://nobody@localhost:1/none', write: false })).rejects.toMatchObject({ detail: { code: 'compliance_map_invalid' } });
  });

  it('without a map the report says so in one sentence', async () => {
    writeFileSync(join(project, 'schemaproof.config.json'), JSON.stringify({ rls: { mutation: false }, bench: { enabled: false }, restoreDrill: false }));
    const settings = await loadSettings({ cwd: project });
    const bare = await verify({ settings, databaseUrl: databaseUrl(), skip: ['pgtap', 'rls', 'mutation', 'plans', 'lint', 'restore'], write: false });
    expect(bare.report.compliance).toEqual({ source: null, note: expect.stringContaining('This project has no compliance map'), duties: [], problems: [] });
    expect(bare.exitCode).toBe(0);
  });
});
