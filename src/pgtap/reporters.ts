/**
 * Render a pgTAP run: a human summary (what failed, where, how to replay),
 * concatenated TAP, JUnit XML, JSON. Pure functions returning text; the CLI
 * decides where it goes.
 */
import type { PgtapFileError, PgtapFileResult, PgtapRunResult } from './types.ts';
import { renderJunitXml, type JunitCase, type JunitSuite } from '../output/junit.ts';

export const reporters = ['summary', 'tap', 'junit', 'json'] as const;
export type PgtapReporter = (typeof reporters)[number];

const statusLabel = { passed: 'PASS', failed: 'FAIL', errored: 'ERROR', timed_out: 'TIMEOUT' } as const;

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** `schemaproof test FILE`: the command that replays one file. */
export function replayCommand(file: PgtapFileResult): string {
  return `schemaproof test ${/\s/.test(file.displayPath) ? JSON.stringify(file.displayPath) : file.displayPath}`;
}

/** One line per finished file (the live and the plain progress line). */
export function formatFileLine(file: PgtapFileResult): string {
  const passed = file.assertions.filter((assertion) => assertion.ok || assertion.todo !== null).length;
  const counts = file.planned === null ? `${passed}/${file.assertions.length} (no plan)` : `${passed}/${file.planned}`;
  const reason = file.errors[0] ? `  ${headline(file.errors[0])}` : '';
  return `${statusLabel[file.status].padEnd(7)} ${file.displayPath}  ${counts}  ${formatDuration(file.durationMs)}${reason}`;
}

/** Short description of one problem (no location). */
export function headline(error: PgtapFileError): string {
  switch (error.kind) {
    case 'assertion_failed':
      return `not ok ${error.number}${error.description ? ` - ${error.description}` : ''}`;
    case 'plan_mismatch':
      return `planned ${error.planned} test${error.planned === 1 ? '' : 's'} but ran ${error.ran}`;
    case 'sql_error':
      return `SQL ${error.severity.toLowerCase()}${error.sqlstate ? ` ${error.sqlstate}` : ''}: ${error.message}`;
    case 'missing_plan':
      return `no plan printed (ran ${error.ran}): call plan(N) first, or no_plan() and finish() at the end`;
    case 'timeout':
      return `did not finish within ${error.timeoutMs} ms (psql killed, backend terminated)`;
    case 'psql_failed':
      return `psql failed (${error.signal ? `signal ${error.signal}` : `exit ${error.exitCode}`})${error.stderr ? `: ${error.stderr.split('\n')[0]}` : ''}`;
    case 'tap_invalid':
      return `invalid TAP: ${error.detail}`;
  }
}

/** file:line for a problem, as precise as we know it. */
export function location(file: PgtapFileResult, error: PgtapFileError): string {
  switch (error.kind) {
    case 'assertion_failed':
      return error.line === null ? file.displayPath : `${file.displayPath}:${error.line}`;
    case 'sql_error': {
      const sameFile = error.file === file.file;
      const where = sameFile ? file.displayPath : error.file;
      return `${where}:${error.errorLine ?? error.line}`;
    }
    default:
      return file.displayPath;
  }
}

/** The detail lines under a problem: have/want diagnostics, server DETAIL/HINT/LINE, stderr. */
export function detailLines(file: PgtapFileResult, error: PgtapFileError): readonly string[] {
  switch (error.kind) {
    case 'assertion_failed': {
      const assertion = file.assertions.find((candidate) => candidate.number === error.number);
      return assertion?.diagnostics ?? [];
    }
    case 'sql_error':
      return error.details;
    case 'psql_failed':
      return error.stderr ? error.stderr.split('\n').slice(0, 10) : [];
    default:
      return [];
  }
}

export function formatTotals(result: PgtapRunResult): string {
  const { totals } = result;
  const files = [
    `${totals.passedFiles} passed`,
    totals.failedFiles > 0 ? `${totals.failedFiles} failed` : null,
    totals.erroredFiles > 0 ? `${totals.erroredFiles} errored` : null,
    totals.timedOutFiles > 0 ? `${totals.timedOutFiles} timed out` : null,
  ].filter((part) => part !== null);
  const assertions = [
    `${totals.passedAssertions} passed`,
    `${totals.failedAssertions} failed`,
    totals.todoAssertions > 0 ? `${totals.todoAssertions} todo` : null,
    totals.skippedAssertions > 0 ? `${totals.skippedAssertions} skipped` : null,
  ].filter((part) => part !== null);
  return `Files: ${files.join(', ')} (${totals.files})  Assertions: ${assertions.join(', ')} (${totals.assertions})  Time: ${formatDuration(result.durationMs)} (jobs ${result.jobs})`;
}

/** Every failure: what, where, how to replay. */
/** What to say when there was no pgTAP file to run: a failure (nothing was tested) unless allowed. Null when there were files. */
export function noFilesMessage(result: PgtapRunResult): string | null {
  if (!result.noFiles) return null;
  const where = result.noFiles.searched.length > 0 ? result.noFiles.searched.join(', ') : 'the given paths';
  return result.noFiles.allowed
    ? `no pgTAP files found in ${where} (allowed by --pass-with-no-tests / pgtap.passWithNoTests)`
    : `no pgTAP files found in ${where}: nothing was tested; add *.sql pgTAP files there, point pgtapDir at them, or pass --pass-with-no-tests (pgtap.passWithNoTests in the config) if having none is intended`;
}

export function formatFailures(result: PgtapRunResult): readonly string[] {
  const lines: string[] = [];
  let count = 0;
  const noFiles = noFilesMessage(result);
  if (noFiles && !result.ok) {
    count += 1;
    lines.push(`${count}) ${noFiles}`);
  }
  for (const file of result.files) {
    for (const error of file.errors) {
      count += 1;
      lines.push(`${count}) ${location(file, error)}  ${headline(error)}`);
      for (const detail of detailLines(file, error)) lines.push(`     ${detail}`);
      if (error.kind === 'assertion_failed' && error.line !== null) lines.push('     (line found by matching the description in the file)');
      lines.push(`   replay: ${replayCommand(file)}`);
    }
  }
  return lines;
}

/** The non-live summary: one line per file, totals, then every failure. */
export function formatSummary(result: PgtapRunResult, options: { readonly fileLines?: boolean } = {}): string {
  const lines: string[] = [];
  if (options.fileLines !== false) for (const file of result.files) lines.push(formatFileLine(file));
  if (lines.length > 0) lines.push('');
  lines.push(formatTotals(result));
  const noFiles = noFilesMessage(result);
  if (noFiles && result.ok) lines.push(noFiles);
  const failures = formatFailures(result);
  if (failures.length > 0) lines.push('', 'Failures:', ...failures);
  return `${lines.join('\n')}\n`;
}

/** Every file's TAP stream, each under a `# file:` header, plus file-level problems as comments. */
export function formatTap(result: PgtapRunResult): string {
  const parts: string[] = [];
  const noFiles = noFilesMessage(result);
  if (noFiles) parts.push(result.ok ? `1..0 # SKIP ${noFiles}` : `Bail out! ${noFiles}`);
  for (const file of result.files) {
    parts.push(`# file: ${file.displayPath} (${file.status}, ${formatDuration(file.durationMs)})`);
    if (file.rawTap) parts.push(file.rawTap.replace(/\n$/, ''));
    for (const error of file.errors) {
      if (error.kind === 'assertion_failed') continue;
      parts.push(`# ${location(file, error)}: ${headline(error)}`);
      for (const detail of detailLines(file, error)) parts.push(`#   ${detail}`);
    }
  }
  return `${parts.join('\n')}\n`;
}

export function formatJson(result: PgtapRunResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

export { escapeXml } from '../output/junit.ts';

/**
 * JUnit XML: one <testsuite> per file, one <testcase> per assertion (failures
 * carry pgTAP's diagnostics), plus one `(file)` testcase per file-level problem
 * (SQL error, plan mismatch, missing plan, timeout) so CI shows it.
 */
export function formatJunit(result: PgtapRunResult, options: { readonly suiteName?: string } = {}): string {
  const suites: JunitSuite[] = [];
  const noFiles = noFilesMessage(result);
  if (noFiles !== null && !result.ok) {
    suites.push({ name: 'pgTAP files', timeMs: 0, cases: [{ classname: 'pgtap', name: 'pgTAP files found', timeMs: 0, outcome: { kind: 'error', type: 'no_files', message: noFiles } }] });
  }
  for (const file of result.files) {
    const classname = `pgtap.${file.displayPath.replace(/\.sql$/, '').replace(/[/\\]/g, '.')}`;
    const cases: JunitCase[] = file.assertions.map((assertion) => {
      const name = `${assertion.number}${assertion.description ? ` - ${assertion.description}` : ''}`;
      const base = { classname, name, file: file.displayPath, ...(assertion.line !== undefined ? { line: assertion.line } : {}), timeMs: 0 };
      if (assertion.skip !== null || (assertion.todo !== null && !assertion.ok)) {
        const reason = assertion.skip !== null ? `SKIP ${assertion.skip}` : `TODO ${assertion.todo}`;
        return { ...base, outcome: { kind: 'skipped', message: reason.trim() } };
      }
      if (assertion.ok) return { ...base, outcome: { kind: 'passed' } };
      const where = assertion.line !== undefined ? `${file.displayPath}:${assertion.line}` : file.displayPath;
      const body = [...assertion.diagnostics, `at ${where}`, `replay: ${replayCommand(file)}`].join('\n');
      return { ...base, outcome: { kind: 'failure', message: `not ok ${name}`, type: 'assertion_failed', body } };
    });
    for (const problem of file.errors.filter((error) => error.kind !== 'assertion_failed')) {
      const body = [...detailLines(file, problem), `at ${location(file, problem)}`, `replay: ${replayCommand(file)}`].join('\n');
      cases.push({ classname, name: `(file) ${problem.kind}`, file: file.displayPath, timeMs: file.durationMs, outcome: { kind: 'error', message: headline(problem), type: problem.kind, body } });
    }
    suites.push({
      name: file.displayPath,
      file: file.displayPath,
      timeMs: file.durationMs,
      properties: [
        { name: 'replay', value: replayCommand(file) },
        { name: 'status', value: file.status },
      ],
      cases,
      systemErr: file.stderr,
    });
  }
  return renderJunitXml({ name: options.suiteName ?? 'pgTAP', timeMs: result.durationMs, timestamp: result.startedAt, suites });
}
