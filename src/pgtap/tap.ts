/**
 * Parse a pgTAP stream with tap-parser and classify one file's run: passed,
 * failed (assertion, plan), errored (SQL error, psql failure) or timed out.
 */
import { Parser, type Result } from 'tap-parser';
import { isErrorSeverity, parsePsqlStderr } from './psql-errors.ts';
import { findDescriptionLine, findErrorLine, type SqlSource } from './sql-source.ts';
import type { PgtapAssertion, PgtapFileError, PgtapFileStatus } from './types.ts';

export interface ParsedTap {
  /** `N` of the plan line `1..N`, or null when none was printed. */
  readonly planned: number | null;
  /** `1..0 # skip reason`. */
  readonly skipAll: boolean;
  readonly assertions: readonly PgtapAssertion[];
  readonly bailout: string | null;
  /** Protocol problems tap-parser reported (other than plan/count mismatches, which are classified separately). */
  readonly problems: readonly string[];
}

interface MutableAssertion {
  number: number;
  ok: boolean;
  description: string;
  diagnostics: string[];
  todo: string | null;
  skip: string | null;
}

const failedHeader = /^Failed (\(TODO\) )?test \d+/;
const summaryComment = /^Looks like /;

function directive(value: boolean | string): string | null {
  if (value === false) return null;
  return value === true ? '' : value;
}

function dedent(lines: readonly string[]): string[] {
  const indents = lines.filter((line) => line.trim() !== '').map((line) => /^ */.exec(line)?.[0].length ?? 0);
  const common = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((line) => line.slice(common).trimEnd());
}

export function parseTap(rawTap: string): ParsedTap {
  const parser = new Parser();
  const assertions: MutableAssertion[] = [];
  const problems: string[] = [];
  let planned: number | null = null;
  let skipAll = false;
  let bailout: string | null = null;
  let collecting: MutableAssertion | null = null;
  let pendingDiagnostics: string[] = [];

  const closeDiagnostics = (): void => {
    if (collecting) collecting.diagnostics = dedent(pendingDiagnostics);
    collecting = null;
    pendingDiagnostics = [];
  };

  parser.on('assert', (result: Result) => {
    closeDiagnostics();
    const assertion: MutableAssertion = {
      number: result.id,
      ok: result.ok,
      description: result.name,
      diagnostics: [],
      todo: directive(result.todo),
      skip: directive(result.skip),
    };
    assertions.push(assertion);
    if (!result.ok) collecting = assertion;
  });
  parser.on('comment', (line: string) => {
    if (!collecting) return;
    const text = line.replace(/\n$/, '').replace(/^#\s?/, '');
    if (summaryComment.test(text)) {
      closeDiagnostics();
      return;
    }
    if (failedHeader.test(text) && pendingDiagnostics.length === 0) return;
    pendingDiagnostics.push(text);
  });
  parser.on('plan', (plan: { start: number; end: number; comment: string }) => {
    closeDiagnostics();
    planned = Math.max(0, plan.end - plan.start + 1);
    skipAll = plan.end === 0;
  });
  parser.on('bailout', (reason: string) => {
    bailout = reason;
  });
  parser.end(rawTap);
  closeDiagnostics();
  if (parser.syntheticPlan) {
    // tap-parser invents `1..0` for an empty stream: that is a missing plan, not a skip-all.
    planned = null;
    skipAll = false;
  }
  for (const failure of parser.failures) {
    if ('tapError' in failure && typeof failure.tapError === 'string' && !/plan|number of tests/i.test(failure.tapError)) problems.push(failure.tapError);
  }
  return { planned, skipAll, assertions, bailout, problems };
}

export interface RunOutcome {
  readonly rawTap: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly timeoutMs: number;
  /** The test file's text, scanned (for line numbers), or null if unreadable. */
  readonly source: SqlSource | null;
  readonly file: string;
}

export interface Classification {
  readonly status: PgtapFileStatus;
  readonly planned: number | null;
  readonly assertions: readonly PgtapAssertion[];
  readonly errors: readonly PgtapFileError[];
}

function withLines(assertions: readonly PgtapAssertion[], source: SqlSource | null): PgtapAssertion[] {
  const seen = new Map<string, number>();
  return assertions.map((assertion) => {
    const occurrence = seen.get(assertion.description) ?? 0;
    seen.set(assertion.description, occurrence + 1);
    if (assertion.ok || !source) return assertion;
    const line = findDescriptionLine(source, assertion.description, occurrence);
    return line === null ? assertion : { ...assertion, line, lineSource: 'description_match' as const };
  });
}

export function classifyRun(outcome: RunOutcome): Classification {
  const tap = parseTap(outcome.rawTap);
  const assertions = withLines(tap.assertions, outcome.source);
  const errors: PgtapFileError[] = [];
  if (outcome.timedOut) {
    errors.push({ kind: 'timeout', timeoutMs: outcome.timeoutMs });
    return { status: 'timed_out', planned: tap.planned, assertions, errors };
  }
  for (const message of parsePsqlStderr(outcome.stderr)) {
    if (!isErrorSeverity(message.severity)) continue;
    const sameFile = message.file === outcome.file;
    errors.push({
      kind: 'sql_error',
      file: message.file,
      line: message.line,
      errorLine: sameFile && outcome.source && message.excerpt ? findErrorLine(outcome.source, message.line, message.excerpt.text) : null,
      severity: message.severity,
      sqlstate: message.sqlstate,
      message: message.message,
      details: message.details,
    });
  }
  if (errors.length === 0 && (outcome.exitCode !== 0 || outcome.signal !== null)) {
    errors.push({ kind: 'psql_failed', exitCode: outcome.exitCode, signal: outcome.signal, stderr: outcome.stderr.trim() });
  }
  if (errors.length > 0) return { status: 'errored', planned: tap.planned, assertions, errors };

  for (const assertion of assertions) {
    if (!assertion.ok && assertion.todo === null) {
      errors.push({ kind: 'assertion_failed', number: assertion.number, description: assertion.description, line: assertion.line ?? null });
    }
  }
  if (tap.planned === null) errors.push({ kind: 'missing_plan', ran: assertions.length });
  else if (tap.planned !== assertions.length) errors.push({ kind: 'plan_mismatch', planned: tap.planned, ran: assertions.length });
  if (tap.bailout !== null) errors.push({ kind: 'tap_invalid', detail: `Bail out! ${tap.bailout}` });
  for (const problem of tap.problems) errors.push({ kind: 'tap_invalid', detail: problem });
  return { status: errors.length === 0 ? 'passed' : 'failed', planned: tap.planned, assertions, errors };
}
