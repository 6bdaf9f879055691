/**
 * verification.md is posted as a pull-request comment: values that come from
 * the database or the files must render as the text they are, never as HTML
 * or Markdown. Rendered here with a GFM parser that lets raw HTML through
 * (as GitHub's renderer does before its sanitiser).
 */
import { describe, expect, it } from 'vitest';
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { codeSpan, escapeMarkdown, renderMarkdown } from '../../src/report/markdown.ts';
import { sampleReport } from './sample-report.ts';

function render(markdown: string): string {
  return micromark(markdown, { allowDangerousHtml: true, extensions: [gfm()], htmlExtensions: [gfmHtml()] });
}

/** The text a reader sees: tags dropped, entities decoded. */
function visibleText(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

const hostile = [
  '<img src=x onerror=alert(1)>',
  '"<svg onload=alert(1)>"',
  'a `tick` and ``two`` and a trailing `',
  'pipe | in | a | cell',
  'line one\nline two\r\n# heading\n- item',
  '**bold** _em_ [link](javascript:alert(1)) ![img](http://x/y.png)',
  '&lt;script&gt; &amp; &#60;b&#62;',
  'back\\slash \\| \\` \\<b>',
  '@someone #123 ~~strike~~ http://example.com',
  '<!-- comment --> <details open>',
];

/** Tags the renderer produced that are not the Markdown's own structure. */
function injectedTags(html: string): string[] {
  return (html.match(/<\/?[a-z][^>]*>/gi) ?? []).filter((tag) => !/^<\/?(h[1-6]|p|ul|li|strong|em|code|table|thead|tbody|tr|th|td|hr|br)( align="[a-z]+")?( \/)?>$/i.test(tag));
}

describe('Markdown escaping', () => {
  for (const value of hostile) {
    it(`renders ${JSON.stringify(value)} as its own text, inline and in a code span`, () => {
      const expected = value.replace(/\r\n|[\r\n]/g, ' ');
      const inline = render(escapeMarkdown(value));
      expect(injectedTags(inline)).toEqual([]);
      expect(visibleText(inline).trim()).toBe(expected.trim());
      const code = render(codeSpan(value));
      expect(injectedTags(code)).toEqual([]);
      expect(visibleText(code).trim()).toBe(expected.trim());
    });
  }

  it('keeps every table row whole and every hostile value as text in the rendered report', () => {
    const base = sampleReport();
    const report = sampleReport({
      generatedAt: hostile[0],
      gates: base.gates.map((gate, index) => ({
        ...gate,
        summary: hostile[index % hostile.length] ?? '',
        failures: gate.failures.map((failure, at) => ({
          ...failure,
          what: hostile[(index + at) % hostile.length] ?? '',
          where: hostile[(index + at + 1) % hostile.length] ?? '',
          replay: hostile[(index + at + 2) % hostile.length] ?? null,
        })),
      })),
      accessMatrix: hostile.map((value) => ({ table: value, actor: value, operation: 'select', expected: value, observed: value, status: 'fail' as const })),
      pgtap: { assertions: 1, failedAssertions: 1, files: hostile.map((value) => ({ file: value, status: 'fail' as const, planned: 1, passed: 0, failed: 1, durationMs: 3, failures: [] })) },
      lint: {
        catalogue: [],
        findings: hostile.map((value, index) => ({ lint: value, level: 'error', object: value, detail: value, remediation: value, suppressed: index % 2 === 0, suppressionReason: value })),
      },
      environment: Object.fromEntries(hostile.map((value, index) => [`${value} ${index}`, value])),
      baseline: { file: hostile[1] ?? '', changes: hostile.map((value) => ({ kind: 'other' as const, what: value, before: value, after: value, regression: true })) },
    });
    const markdown = renderMarkdown(report);
    const html = render(markdown);
    expect(injectedTags(html)).toEqual([]);
    // Every table keeps its column count: no value opened or closed a cell.
    for (const table of html.split('<table>').slice(1)) {
      const header = (table.split('</thead>')[0]?.match(/<th[ >]/g) ?? []).length;
      for (const row of (table.split('<tbody>')[1] ?? '').split('</tr>').slice(0, -1)) expect((row.match(/<td[ >]/g) ?? []).length).toBe(header);
    }
    const text = visibleText(html);
    for (const value of hostile) expect(text).toContain(value.replace(/\r\n|[\r\n]/g, ' '));
  });

  it('still shows identifiers and replay commands literally', () => {
    const html = render(renderMarkdown(sampleReport()));
    expect(visibleText(html)).toContain('schemaproof rls --seed 42 --path 3:1');
    expect(visibleText(html)).toContain('analytics_events · user · select');
  });
});
