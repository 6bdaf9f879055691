/**
 * `verify` end to end on a copy of the project whose policies were broken on
 * purpose: it must fail (exit 1), write all four reports, and name the table,
 * actor and operation, and the property that caught it. The heavy gates
 * (plans, mutation, restore) are left out to keep the suite fast; they have
 * their own tests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';
import { loadSettings } from '../../src/config/index.ts';
import { verify, type VerifyResult } from '../../src/verify/index.ts';

const root = resolve(import.meta.dirname, '../..');

describe('verify on a schema with a broken policy', () => {
  let project: string;
  let result: VerifyResult;
  const events: string[] = [];

  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), 'sp-verify-broken-'));
    for (const dir of ['sql', 'policies', 'tests/pgtap', 'tests/access']) cpSync(join(root, dir), join(project, dir), { recursive: true });
    cpSync(join(root, '.squawk.toml'), join(project, '.squawk.toml'));
    // The mistake: an extra permissive policy letting every signed-in user read every event.
    appendFileSync(join(project, 'policies/analytics.sql'), '\ncreate policy analytics_events_select_everyone on public.analytics_events for select to authenticated using (true);\n');
    writeFileSync(join(project, 'schemaproof.config.json'), JSON.stringify({ rls: { runs: 3, seed: 11, mutation: false }, bench: { enabled: false }, restoreDrill: false }));
    const { maintenance } = inject('pg');
    const settings = await loadSettings({ cwd: project });
    result = await verify({
      settings,
      databaseUrl: `postgres://${maintenance.user}@localhost/${maintenance.database}?host=${encodeURIComponent(maintenance.host)}`,
      skip: ['plans', 'mutation', 'restore'],
      onProgress: (line) => events.push(line),
    });
  }, 300_000);

  afterAll(() => {
    rmSync(project, { recursive: true, force: true });
  });

  it('fails with exit code 1 and writes all four reports', () => {
    expect(result.report.verdict).toBe('fail');
    expect(result.exitCode).toBe(1);
    for (const file of ['verification.html', 'verification.md', 'verification.json', 'junit.xml']) expect(existsSync(join(project, 'reports', file)), file).toBe(true);
  });

  it('names the table, actor and operation, and the property that caught it, with a replay command', () => {
    const rls = result.report.gates.find((gate) => gate.id === 'rls');
    expect(rls?.status).toBe('fail');
    const visibility = rls?.failures.find((failure) => failure.what.startsWith('property visibility'));
    expect(visibility?.where).toMatch(/^analytics_events · (user|admin) · select$/);
    expect(visibility?.replay).toMatch(/schemaproof rls --property visibility --seed \d+ --path /);
    const cell = result.report.accessMatrix.find((entry) => entry.table === 'analytics_events' && entry.actor === 'user' && entry.operation === 'select');
    expect(cell?.status).toBe('fail');
    const markdown = readFileSync(join(project, 'reports/verification.md'), 'utf8');
    expect(markdown).toContain('analytics_events · ');
    expect(markdown).toContain('schemaproof rls --property visibility');
  });

  it('runs the RLS gates beside the others, and reports the gates in their fixed order whatever order they finished in', () => {
    const started = (id: string) => events.indexOf(`${id}: running`);
    const firstVerdict = events.findIndex((line) => /^(pgtap|rls|lint): (pass|fail|error)/.test(line));
    expect(started('rls')).toBeGreaterThanOrEqual(0);
    expect(started('pgtap')).toBeGreaterThanOrEqual(0);
    // Both lanes start before any gate after the migrations ends.
    expect(Math.max(started('rls'), started('pgtap'))).toBeLessThan(firstVerdict);
    expect(result.report.gates.map((gate) => gate.id)).toEqual(['migrations', 'pgtap', 'rls', 'mutation', 'plans', 'lint', 'restore']);
  });

  it('the lint gate sees the same mistake as a second permissive policy', () => {
    const findings = result.report.lint?.findings ?? [];
    expect(findings.some((finding) => finding.lint === 'multiple_permissive_policies' && finding.object.includes('analytics_events'))).toBe(true);
  });
});
