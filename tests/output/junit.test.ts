/**
 * The one JUnit writer: counts come from the cases, text is escaped for
 * XML 1.0 (see junit.pg.test.ts for a parser's verdict on hostile text).
 */
import { describe, expect, it } from 'vitest';
import { escapeXml, renderJunitXml } from '../../src/output/junit.ts';

describe('renderJunitXml', () => {
  it('derives tests, failures, errors and skipped from the cases', () => {
    const xml = renderJunitXml({
      name: 'run',
      timeMs: 1500,
      suites: [
        {
          name: 'suite',
          timeMs: 1000,
          cases: [
            { classname: 'c', name: 'passes', outcome: { kind: 'passed' } },
            { classname: 'c', name: 'fails', outcome: { kind: 'failure', message: 'boom', body: 'detail' } },
            { classname: 'c', name: 'errs', outcome: { kind: 'error', message: 'sql', type: 'sql_error' } },
            { classname: 'c', name: 'skips', outcome: { kind: 'skipped', message: 'SKIP later' } },
          ],
        },
      ],
    });
    expect(xml).toContain('<testsuites name="run" tests="4" failures="1" errors="1" time="1.500">');
    expect(xml).toContain('<testsuite name="suite" tests="4" failures="1" errors="1" skipped="1" time="1.000">');
    expect(xml).toContain('<failure message="boom">detail</failure>');
    expect(xml).toContain('<error message="sql" type="sql_error"/>');
  });
});

describe('escapeXml', () => {
  it('keeps paired surrogates and drops unpaired ones and non-characters', () => {
    expect(escapeXml('a\ud83d\ude00b')).toBe('a\ud83d\ude00b');
    expect(escapeXml('a\ud800b\udc00c\ufffed\uffffe')).toBe('abcde');
  });

  it('leaves ]]> as text (no CDATA): the > becomes an entity', () => {
    expect(escapeXml('x]]>y')).toBe('x]]&gt;y');
  });
});
