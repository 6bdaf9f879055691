/** parseTap / classifyRun over pgTAP-shaped TAP text (no database). */
import { describe, expect, it } from 'vitest';
import { classifyRun, parseTap, scanSql, type RunOutcome } from '../../src/pgtap/index.ts';

function outcome(rawTap: string, extra: Partial<RunOutcome> = {}): RunOutcome {
  return { rawTap, stderr: '', exitCode: 0, signal: null, timedOut: false, timeoutMs: 1000, source: null, file: '/t/x.sql', ...extra };
}

describe('parseTap', () => {
  it('collects assertions, the plan and the have/want lines after a failure', () => {
    const parsed = parseTap(
      ['1..3', 'ok 1 - first', 'not ok 2 - second', '# Failed test 2: "second"', '#         have: 2', '#         want: 3', 'ok 3 - third', '# Looks like you failed 1 test of 3', ''].join('\n'),
    );
    expect(parsed.planned).toBe(3);
    expect(parsed.assertions.map((a) => [a.number, a.ok, a.description])).toEqual([
      [1, true, 'first'],
      [2, false, 'second'],
      [3, true, 'third'],
    ]);
    expect(parsed.assertions[1]?.diagnostics).toEqual(['have: 2', 'want: 3']);
    expect(parsed.assertions[0]?.diagnostics).toEqual([]);
  });

  it('keeps the structure of multi-line diagnostics and stops at "Looks like"', () => {
    const parsed = parseTap(['1..1', 'not ok 1 - sets match', '# Failed test 1: "sets match"', '#     Extra records:', '#         (1,a)', '# Looks like you failed 1 test of 1', ''].join('\n'));
    expect(parsed.assertions[0]?.diagnostics).toEqual(['Extra records:', '    (1,a)']);
  });

  it('reads TODO and SKIP directives', () => {
    const parsed = parseTap(['1..2', 'not ok 1 - later # TODO not yet', 'ok 2 - skipped # SKIP no data', ''].join('\n'));
    expect(parsed.assertions[0]?.todo).toBe('not yet');
    expect(parsed.assertions[1]?.skip).toBe('no data');
  });

  it('reports no plan when none was printed', () => {
    expect(parseTap('ok 1 - a\n').planned).toBeNull();
  });
});

describe('classifyRun', () => {
  it('passes a complete, all-ok stream', () => {
    expect(classifyRun(outcome('1..2\nok 1 - a\nok 2 - b\n'))).toMatchObject({ status: 'passed', errors: [] });
  });

  it('fails on not ok, with the line found from the description', () => {
    const source = scanSql("select plan(2);\nselect ok(true, 'a');\nselect is(\n  1, 2,\n  'b');\n");
    const result = classifyRun(outcome('1..2\nok 1 - a\nnot ok 2 - b\n#   have: 1\n#   want: 2\n', { source }));
    expect(result.status).toBe('failed');
    expect(result.errors).toEqual([{ kind: 'assertion_failed', number: 2, description: 'b', line: 3 }]);
  });

  it('does not fail on a failing TODO', () => {
    expect(classifyRun(outcome('1..1\nnot ok 1 - later # TODO soon\n')).status).toBe('passed');
  });

  it('fails on a plan mismatch either way, and on a missing plan', () => {
    expect(classifyRun(outcome('1..3\nok 1 - a\n')).errors).toEqual([{ kind: 'plan_mismatch', planned: 3, ran: 1 }]);
    expect(classifyRun(outcome('1..1\nok 1 - a\nok 2 - b\n')).errors).toEqual([{ kind: 'plan_mismatch', planned: 1, ran: 2 }]);
    expect(classifyRun(outcome('ok 1 - a\n')).errors).toEqual([{ kind: 'missing_plan', ran: 1 }]);
    expect(classifyRun(outcome('')).errors).toEqual([{ kind: 'missing_plan', ran: 0 }]);
  });

  it('passes a skip-all plan', () => {
    expect(classifyRun(outcome('1..0 # SKIP nothing to do\n')).status).toBe('passed');
  });

  it('errors on a SQL error, mapping LINE n to the file', () => {
    const source = scanSql('select plan(1);\nselect *\n  from nope\n where true;\n');
    const result = classifyRun(
      outcome('1..1\n', {
        exitCode: 3,
        source,
        stderr: 'psql:/t/x.sql:4: ERROR:  42P01: relation "nope" does not exist\nLINE 2:   from nope\n               ^\nLOCATION:  parserOpenTable, parse_relation.c:1392\n',
      }),
    );
    expect(result.status).toBe('errored');
    expect(result.errors).toEqual([
      {
        kind: 'sql_error',
        file: '/t/x.sql',
        line: 4,
        errorLine: 3,
        severity: 'ERROR',
        sqlstate: '42P01',
        message: 'relation "nope" does not exist',
        details: ['LINE 2:   from nope', '               ^'],
      },
    ]);
  });

  it('errors when psql fails without a SQL error (e.g. cannot connect)', () => {
    const result = classifyRun(outcome('', { exitCode: 2, stderr: 'psql: error: connection to server failed\n' }));
    expect(result).toMatchObject({ status: 'errored', errors: [{ kind: 'psql_failed', exitCode: 2 }] });
  });

  it('times out whatever was printed', () => {
    expect(classifyRun(outcome('1..1\n', { timedOut: true, exitCode: null, signal: 'SIGKILL' }))).toMatchObject({
      status: 'timed_out',
      errors: [{ kind: 'timeout', timeoutMs: 1000 }],
    });
  });
});
