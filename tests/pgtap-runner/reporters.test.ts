/** Summary and TAP reporters: every failure says what, where and how to replay (no database). */
import { describe, expect, it } from 'vitest';
import { classifyRun, escapeXml, formatSummary, formatTap, scanSql, type PgtapFileResult, type PgtapRunResult } from '../../src/pgtap/index.ts';

function fileResult(displayPath: string, rawTap: string, extra: { stderr?: string; exitCode?: number; source?: string; timedOut?: boolean } = {}): PgtapFileResult {
  const file = `/repo/${displayPath}`;
  const classification = classifyRun({
    rawTap,
    stderr: extra.stderr ?? '',
    exitCode: extra.exitCode ?? 0,
    signal: null,
    timedOut: extra.timedOut ?? false,
    timeoutMs: 500,
    source: extra.source ? scanSql(extra.source) : null,
    file,
  });
  return { file, displayPath, durationMs: 12, cloneMs: 3, rawTap, stderr: extra.stderr ?? '', database: 'sp_x', ...classification };
}

function run(files: readonly PgtapFileResult[]): PgtapRunResult {
  return {
    ok: files.every((file) => file.status === 'passed'),
    noFiles: null,
    files,
    totals: {
      files: files.length,
      passedFiles: files.filter((file) => file.status === 'passed').length,
      failedFiles: files.filter((file) => file.status === 'failed').length,
      erroredFiles: files.filter((file) => file.status === 'errored').length,
      timedOutFiles: files.filter((file) => file.status === 'timed_out').length,
      assertions: 0,
      passedAssertions: 0,
      failedAssertions: 0,
      todoAssertions: 0,
      skippedAssertions: 0,
    },
    durationMs: 100,
    jobs: 2,
    timeoutMs: 500,
    cloneStrategy: 'file_copy',
    template: 'tpl',
    pgtapSchema: 'extensions',
    startedAt: '2026-01-01T00:00:00.000Z',
  };
}

const good = fileResult('tests/pgtap/good.sql', '1..1\nok 1 - fine\n');
const bad = fileResult('tests/pgtap/bad.sql', '1..2\nok 1 - fine\nnot ok 2 - wrong\n# Failed test 2: "wrong"\n#         have: 1\n#         want: 2\n', {
  source: "select plan(2);\nselect ok(true, 'fine');\nselect is(1, 2, 'wrong');\n",
});
const broken = fileResult('tests/pgtap/broken.sql', '1..3\n', {
  exitCode: 3,
  stderr: 'psql:/repo/tests/pgtap/broken.sql:2: ERROR:  42703: column "nope" does not exist\nLINE 1: select nope;\n               ^\n',
  source: 'select plan(3);\nselect nope;\n',
});
const slow = fileResult('tests/pgtap/slow.sql', '1..1\n', { timedOut: true });

describe('formatSummary', () => {
  const text = formatSummary(run([good, bad, broken, slow]));

  it('lists every file with its status', () => {
    expect(text).toMatch(/^PASS +tests\/pgtap\/good\.sql/m);
    expect(text).toMatch(/^FAIL +tests\/pgtap\/bad\.sql/m);
    expect(text).toMatch(/^ERROR +tests\/pgtap\/broken\.sql/m);
    expect(text).toMatch(/^TIMEOUT +tests\/pgtap\/slow\.sql/m);
  });

  it('says what, where and how to replay for each failure', () => {
    expect(text).toContain('tests/pgtap/bad.sql:3  not ok 2 - wrong');
    expect(text).toContain('have: 1');
    expect(text).toContain('want: 2');
    expect(text).toContain('replay: schemaproof test tests/pgtap/bad.sql');
    expect(text).toContain('tests/pgtap/broken.sql:2  SQL error 42703: column "nope" does not exist');
    expect(text).toContain('replay: schemaproof test tests/pgtap/broken.sql');
    expect(text).toContain('tests/pgtap/slow.sql  did not finish within 500 ms');
    expect(text).not.toContain('replay: schemaproof test tests/pgtap/good.sql');
  });

  it('has no failure section when everything passed', () => {
    expect(formatSummary(run([good]))).not.toContain('Failures:');
  });
});

describe('formatTap', () => {
  it('concatenates the streams under file headers and adds file-level problems as comments', () => {
    const text = formatTap(run([good, broken]));
    expect(text.split('\n').filter((line) => line.startsWith('# file: '))).toEqual(['# file: tests/pgtap/good.sql (passed, 12 ms)', '# file: tests/pgtap/broken.sql (errored, 12 ms)']);
    expect(text).toContain('ok 1 - fine');
    expect(text).toContain('# tests/pgtap/broken.sql:2: SQL error 42703');
  });
});

describe('escapeXml', () => {
  it('escapes markup and drops characters XML cannot hold', () => {
    expect(escapeXml('a<b>&"c\'\u0001')).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
  });
});
