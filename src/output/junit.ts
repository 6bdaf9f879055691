/**
 * JUnit XML, written in one place: the pgTAP runner's reporter and the
 * verification report both describe their results as suites of cases and
 * render them here, so there is one escaper and one way to count.
 *
 * Counts (tests, failures, errors, skipped) are derived from the cases, so a
 * suite cannot claim a number its cases do not show. Text is escaped for
 * XML 1.0: characters XML cannot carry (control characters other than tab,
 * newline and carriage return, U+FFFE, U+FFFF, unpaired surrogates) are
 * dropped, markup characters become entities; no CDATA, so `]]>` in a
 * message is plain text.
 */

export type JunitOutcome =
  | { readonly kind: 'passed' }
  | { readonly kind: 'failure' | 'error'; readonly message: string; readonly type?: string; readonly body?: string }
  | { readonly kind: 'skipped'; readonly message?: string };

export interface JunitCase {
  readonly classname: string;
  readonly name: string;
  readonly file?: string;
  readonly line?: number;
  readonly timeMs?: number;
  readonly outcome: JunitOutcome;
}

export interface JunitSuite {
  readonly name: string;
  readonly timeMs: number;
  readonly file?: string;
  readonly properties?: readonly { readonly name: string; readonly value: string }[];
  readonly cases: readonly JunitCase[];
  readonly systemErr?: string;
}

export interface JunitDocument {
  readonly name: string;
  readonly timeMs: number;
  readonly timestamp?: string;
  readonly suites: readonly JunitSuite[];
}

// XML 1.0 allows tab, newline, carriage return, U+0020–U+D7FF, U+E000–U+FFFD
// and paired surrogates; everything else is dropped.
// eslint-disable-next-line no-control-regex
const invalidXml = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function escapeXml(text: string): string {
  return text.replace(invalidXml, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function attributes(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ` ${key}="${escapeXml(String(value))}"`)
    .join('');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

interface Counts {
  readonly tests: number;
  readonly failures: number;
  readonly errors: number;
  readonly skipped: number;
}

function count(cases: readonly JunitCase[]): Counts {
  const of = (kind: JunitOutcome['kind']) => cases.filter((entry) => entry.outcome.kind === kind).length;
  return { tests: cases.length, failures: of('failure'), errors: of('error'), skipped: of('skipped') };
}

function renderCase(entry: JunitCase): string[] {
  const open = `    <testcase${attributes({ classname: entry.classname, name: entry.name, file: entry.file, line: entry.line, time: entry.timeMs === undefined ? undefined : seconds(entry.timeMs) })}`;
  const { outcome } = entry;
  switch (outcome.kind) {
    case 'passed':
      return [`${open}/>`];
    case 'skipped':
      return [`${open}><skipped${attributes({ message: outcome.message })}/></testcase>`];
    case 'failure':
    case 'error': {
      const element = `<${outcome.kind}${attributes({ message: outcome.message, type: outcome.type })}`;
      const body = outcome.body === undefined || outcome.body === '' ? `${element}/>` : `${element}>${escapeXml(outcome.body)}</${outcome.kind}>`;
      return [`${open}>`, `      ${body}`, '    </testcase>'];
    }
  }
}

function renderSuite(suite: JunitSuite): string[] {
  const counts = count(suite.cases);
  const lines = [`  <testsuite${attributes({ name: suite.name, ...counts, time: seconds(suite.timeMs), file: suite.file })}>`];
  if (suite.properties !== undefined && suite.properties.length > 0) {
    lines.push(`    <properties>${suite.properties.map((property) => `<property${attributes({ name: property.name, value: property.value })}/>`).join('')}</properties>`);
  }
  for (const entry of suite.cases) lines.push(...renderCase(entry));
  if (suite.systemErr !== undefined && suite.systemErr.trim() !== '') lines.push(`    <system-err>${escapeXml(suite.systemErr)}</system-err>`);
  lines.push('  </testsuite>');
  return lines;
}

/** The whole document, XML declaration first, ending with a newline. */
export function renderJunitXml(document: JunitDocument): string {
  const all = count(document.suites.flatMap((suite) => suite.cases));
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes({ name: document.name, tests: all.tests, failures: all.failures, errors: all.errors, time: seconds(document.timeMs), timestamp: document.timestamp })}>`,
    ...document.suites.flatMap(renderSuite),
    '</testsuites>',
  ];
  return `${lines.join('\n')}\n`;
}
