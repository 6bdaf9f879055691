import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHtml, renderJunit, renderMarkdown, writeReport } from '../../src/report/index.ts';
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
    expect(json.schemaVersion).toBe(1);
    expect(json.verdict).toBe('fail');
    for (const file of [written.html, written.markdown, written.junit]) expect(readFileSync(file, 'utf8').length).toBeGreaterThan(100);
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
