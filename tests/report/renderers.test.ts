import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHtml, renderJunit, renderMarkdown, writeReport } from '../../src/report/index.ts';
import { escapeMarkdown } from '../../src/report/markdown.ts';
import { sampleReport } from './sample-report.ts';

describe('report renderers', () => {
  it('puts the verdict and the failures first in Markdown, with where and replay', () => {
    const markdown = renderMarkdown(sampleReport());
    expect(markdown.split('\n')[0]).toContain('FAIL');
    const failuresAt = markdown.indexOf('## Failures');
    expect(failuresAt).toBeGreaterThan(0);
    expect(failuresAt).toBeLessThan(markdown.indexOf('## Query plans'));
    expect(markdown).toContain('schemaproof rls --seed 42 --path 3:1');
    expect(markdown).toContain('analytics_events · user · select');
  });

  it('keeps Markdown under the pull-request limit, truncating with a pointer to the HTML', () => {
    const many = sampleReport({
      accessMatrix: Array.from({ length: 5000 }, (_, index) => ({ table: `table_${index}`, actor: 'user', operation: 'select', expected: 'own', observed: 'all', status: 'fail' as const })),
    });
    const markdown = renderMarkdown(many, { limit: 20_000, htmlPath: 'reports/verification.html' });
    expect(markdown.length).toBeLessThanOrEqual(20_000);
    expect(markdown).toContain('Truncated');
    expect(markdown).toContain('reports/verification.html');
    expect(markdown.indexOf('## Failures')).toBeGreaterThan(0);
  });

  it('writes one self-contained HTML file with no external assets', () => {
    const html = renderHtml(sampleReport());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=["']?https?:/i);
    expect(html).toContain('id="verdict"');
    expect(html).toContain('id="access-matrix"');
    expect(html).toContain('analytics_events_user_id_occurred_at_idx');
    // user-controlled text is escaped
    const hostile = renderHtml(sampleReport({ environment: { note: '<script>alert(1)</script>' } }));
    expect(hostile).not.toContain('<script>alert(1)</script>');
  });

  it('renders JUnit with one testcase per checked item and failures carrying the replay command', () => {
    const xml = renderJunit(sampleReport());
    expect(xml.startsWith('<?xml')).toBe(true);
    const cases = xml.match(/<testcase /g) ?? [];
    // migrations (1) + rls (1 property + 3 matrix cells) + plans (1 query)
    expect(cases.length).toBe(6);
    expect(xml).toContain('<failure message="user u1 saw event e2 of user u2"');
    expect(xml).toContain('replay: schemaproof rls --seed 42 --path 3:1');
    expect(xml).toContain('expected own, observed all');
  });

  it('writes the four files, JSON versioned', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-report-'));
    const written = writeReport(sampleReport(), dir);
    const json = JSON.parse(readFileSync(written.json, 'utf8'));
    expect(json.schemaVersion).toBe(2);
    expect(json.verdict).toBe('fail');
    for (const file of [written.html, written.markdown, written.junit]) expect(readFileSync(file, 'utf8').length).toBeGreaterThan(100);
  });
});

describe('sections follow the project', () => {
  it('says in one sentence that a project has no compliance map, instead of a table of duties', () => {
    const none = sampleReport({
      compliance: {
        source: null,
        note: 'This project has no compliance map (tests/compliance/compliance-map.json, config key complianceMap), so the report makes no compliance claim.',
        duties: [],
        problems: [],
      },
    });
    for (const text of [renderMarkdown(none), renderHtml(none)]) {
      expect(text).toContain('This project has no compliance map');
      expect(text).not.toContain('compliance-table');
      expect(text).not.toContain('Right to erasure');
    }
  });

  it('lists the checks that prove a duty, and the map ids that matched nothing', () => {
    const report = sampleReport({ compliance: { ...sampleReport().compliance, problems: ['duty erasure: pgTAP tests/pgtap/e.sql has no test named "gone"'] } });
    const markdown = renderMarkdown(report);
    // Markdown cells are escaped (every ASCII punctuation), as every value from the files is.
    expect(markdown).toContain(escapeMarkdown('pgTAP tests/pgtap/compliance_export_erase.sql: erase leaves nothing personal'));
    expect(markdown).toContain('has no test named');
    expect(renderHtml(report)).toContain('has no test named');
  });

  it('says a section has nothing to show rather than showing zeros', () => {
    const empty = sampleReport({ pgtap: { files: [], assertions: 0, failedAssertions: 0 }, mutation: { mutants: [], score: 0 }, accessMatrix: [], rls: { ...sampleReport().rls!, properties: [] } });
    const markdown = renderMarkdown(empty);
    expect(markdown).toContain('No pgTAP file ran.');
    expect(markdown).not.toContain('0 assertions');
    expect(markdown).toContain('No mutant was generated or run');
    expect(markdown).not.toContain('0% caught');
    expect(markdown).toContain('No property ran.');
    expect(markdown).toContain('No cell was checked');
    expect(renderHtml(empty)).toContain('No mutant was generated or run');
  });

  it('prints which gates decide the plans verdict, and the reason when wall times gate', () => {
    const base = sampleReport();
    const timed = sampleReport({
      plans: {
        ...base.plans!,
        gates: {
          ...base.plans!.gates,
          timings: { enabled: true, reason: 'the dashboard SLA is 10 ms on the CI runner', summary: 'Wall times gate this run because: the dashboard SLA is 10 ms on the CI runner' },
        },
      },
    });
    for (const text of [renderMarkdown(timed), renderHtml(timed)]) expect(text).toContain('the dashboard SLA is 10 ms on the CI runner');
    expect(renderMarkdown(base)).toContain('Wall times are reported, not gated.');
    expect(renderHtml(base)).toContain('Schemas exposed by the access spec: public.');
  });
});

describe('access matrix cells', () => {
  it('compacts outcomes per row class and keeps mixed ones visible', async () => {
    const { compactObserved } = await import('../../src/report/html.ts');
    expect(compactObserved('own: allowed/move_to_other: denied; other: zero rows; anonymous: denied')).toBe('own ± · other ✗ · anonymous ✗');
    expect(compactObserved('any: visible')).toBe('any ✓');
    expect(compactObserved('none')).toBe('none');
  });
});

describe('access matrix cell order', () => {
  it('lists row classes in a fixed order whatever order they were observed in', async () => {
    const { compactObserved } = await import('../../src/report/html.ts');
    expect(compactObserved('anonymous: denied; own: allowed; other: hidden')).toBe('own ✓ · other ✗ · anonymous ✗');
  });
});
