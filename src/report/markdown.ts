import { allFailures, type Status, type VerificationReport } from './model.ts';

/** GitHub refuses comment bodies over 65,536 characters; stay well under. */
export const markdownLimit = 60_000;

const icon: Record<Status, string> = { pass: '✅', fail: '❌', warn: '⚠️', skipped: '⏭️', error: '💥' };

/*
 * Everything in the report that came from the database or the files (pgTAP
 * descriptions, identifiers, messages, SQL, paths) is untrusted here: the
 * Markdown is posted as a pull-request comment, where raw HTML renders. Every
 * such value goes through `escapeMarkdown` (inline text) or `codeSpan`
 * (literal text); only our own literals and numbers are written as they are.
 */

/** One line: CR, LF and the Unicode line separators become spaces (a line break would end a table row or open a block). */
function oneLine(value: string): string {
  return value.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ');
}

/**
 * Untrusted text as inline Markdown that renders as exactly that text: every
 * ASCII punctuation character backslash-escaped (CommonMark lets any of them
 * be; this covers HTML `<`, entities `&`, emphasis, links, code, table
 * pipes, mentions and references), on one line.
 */
export function escapeMarkdown(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  return oneLine(String(value)).replace(/[!-/:-@[-`{-~]/g, (char) => `\\${char}`);
}

/**
 * Untrusted text as a code span showing it literally: a backtick fence longer
 * than any backtick run inside, padded when the text starts or ends with a
 * backtick or space. In a table cell, `|` must still be escaped (GFM splits
 * cells before it parses code spans and drops the backslash again).
 */
export function codeSpan(value: string, context: { readonly inTable?: boolean } = {}): string {
  const text = oneLine(value);
  if (text.trim() === '') return '—';
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const padded = /^[` ]|[` ]$/.test(text) ? ` ${text} ` : text;
  return `${fence}${context.inTable ? padded.replace(/\|/g, '\\|') : padded}${fence}`;
}

/** A table cell: untrusted text by default; `{ code }` for identifiers and SQL; `{ markdown }` for our own literal markup. */
type Cell = string | number | null | { readonly code: string } | { readonly markdown: string };

function cell(value: Cell): string {
  if (value !== null && typeof value === 'object') return 'code' in value ? codeSpan(value.code, { inTable: true }) : value.markdown;
  return typeof value === 'number' ? String(value) : escapeMarkdown(value);
}

function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');
}

const statusCell = (status: Status): Cell => ({ markdown: `${icon[status]} ${status}` });

function ms(value: number | null): string {
  return value === null ? '—' : value < 10 ? value.toFixed(2) : value.toFixed(1);
}

function ratio(value: number | null): string {
  return value === null ? '—' : `${value.toFixed(2)}×`;
}

/** The compliance map: the project's duties with the checks of this run, or one sentence when it has none. */
function complianceMarkdown(report: VerificationReport): string {
  const compliance = report.compliance;
  const lines = ['## Compliance map', '', escapeMarkdown(compliance.note)];
  if (compliance.problems.length > 0) lines.push('', '**The map names checks that do not exist:**', '', ...compliance.problems.map((problem) => `- ${cell(problem)}`));
  if (compliance.duties.length > 0) {
    lines.push(
      '',
      table(
        ['duty', 'regulation', 'mechanism', 'proved by', 'status'],
        compliance.duties.map((duty) => [
          duty.duty,
          duty.regulation,
          duty.mechanism,
          duty.proofs.map((proof) => `${proof.status === 'pass' ? '' : `${proof.status.toUpperCase()} `}${proof.check}`).join('; '),
          statusCell(duty.status),
        ]),
      ),
    );
  }
  return lines.join('\n');
}

/**
 * PR-comment sized: verdict, failures, then a summary of each section. When
 * it would exceed the limit it is cut at a section boundary with a pointer to
 * the HTML report.
 */
export function renderMarkdown(report: VerificationReport, options: { readonly htmlPath?: string; readonly limit?: number } = {}): string {
  const limit = options.limit ?? markdownLimit;
  const htmlPath = options.htmlPath ?? 'reports/verification.html';
  const failures = allFailures(report);
  const head = [
    `# ${report.verdict === 'pass' ? '✅ schemaproof: PASS' : '❌ schemaproof: FAIL'}`,
    '',
    `${failures.length} failure(s) · ${report.gates.length} gates · ${(report.durationMs / 1000).toFixed(1)} s · ${escapeMarkdown(report.generatedAt)}`,
    '',
    table(
      ['gate', 'status', 'summary'],
      report.gates.map((gate) => [gate.title, statusCell(gate.status), gate.summary]),
    ),
  ].join('\n');
  const sections: string[] = [];
  if (failures.length > 0) {
    sections.push(
      [
        '## Failures',
        '',
        ...failures.map(
          (failure) =>
            `- **${escapeMarkdown(failure.gate)}** — ${escapeMarkdown(failure.what)}\n  - where: ${codeSpan(failure.where)}${failure.replay ? `\n  - replay: ${codeSpan(failure.replay)}` : ''}`,
        ),
      ].join('\n'),
    );
  }
  if (report.baseline) {
    sections.push(
      [
        `## Changes since baseline (${escapeMarkdown(report.baseline.file)})`,
        '',
        report.baseline.changes.length === 0
          ? 'No changes.'
          : table(
              ['kind', 'what', 'before', 'after', 'regression'],
              report.baseline.changes.map((change) => [change.kind, change.what, change.before, change.after, change.regression ? 'yes' : 'no']),
            ),
      ].join('\n'),
    );
  }
  sections.push(complianceMarkdown(report));
  if (report.plans) {
    sections.push(
      [
        `## Query plans (scale ${escapeMarkdown(report.plans.scale)}, seed ${escapeMarkdown(report.plans.seed)})`,
        '',
        `Gated on: ${report.plans.gates.deterministic}. ${report.plans.gates.timings.summary}`,
        '',
        'Buffers: shared blocks hit + read; calls: function calls + per-row calls in filters; RLS work = work as the actor ÷ bypassing RLS. Times: server planning + execution (EXPLAIN ANALYZE, TIMING OFF); RLS time = median of run-by-run ratios.',
        '',
        report.plans.queries.length === 0
          ? 'No catalogue query ran.'
          : table(
              ['#', 'query', 'actor', 'plan node', 'index', 'buffers', 'calls', 'RLS work', 'p50 ms', 'p95 ms', 'RLS time', 'status'],
              report.plans.queries.map((query) => [
                { code: query.id },
                query.title,
                query.actor,
                query.planNode,
                query.indexes.length > 0 ? { code: query.indexes.join(', ') } : null,
                query.work?.buffers ?? '—',
                query.work ? (query.work.functionCalls ?? 0) + query.work.filterCalls : '—',
                { markdown: ratio(query.rlsWorkRatio) },
                { markdown: ms(query.p50Ms) },
                { markdown: ms(query.p95Ms) },
                { markdown: ratio(query.rlsTimeRatio) },
                statusCell(query.status),
              ]),
            ),
      ].join('\n'),
    );
  }
  if (report.mutation && report.mutation.mutants.length === 0) sections.push('## Mutation self-test\n\nNo mutant was generated or run: the self-test proved nothing.');
  if (report.mutation && report.mutation.mutants.length > 0) {
    sections.push(
      [
        `## Mutation self-test: ${(report.mutation.score * 100).toFixed(0)}% caught`,
        '',
        table(
          ['mutant', 'caught by'],
          report.mutation.mutants.map((mutant) => [{ code: mutant.name }, mutant.caughtBy ?? { markdown: '**SURVIVED**' }]),
        ),
      ].join('\n'),
    );
  }
  if (report.rls && report.rls.properties.length === 0) sections.push('## RLS properties\n\nNo property ran.');
  if (report.rls && report.rls.properties.length > 0) {
    sections.push(
      [
        `## RLS properties (${report.rls.cases} cases${report.rls.casesPerSecond ? `, ${report.rls.casesPerSecond.toFixed(0)}/s` : ''}, seed ${escapeMarkdown(report.rls.seed ?? '—')})`,
        '',
        table(
          ['property', 'runs', 'status'],
          report.rls.properties.map((property) => [{ code: property.name }, property.runs, statusCell(property.status)]),
        ),
      ].join('\n'),
    );
  }
  if (report.pgtap && report.pgtap.files.length === 0) sections.push('## pgTAP\n\nNo pgTAP file ran.');
  if (report.pgtap && report.pgtap.files.length > 0) {
    sections.push(
      [
        `## pgTAP (${report.pgtap.assertions} assertions, ${report.pgtap.failedAssertions} failed)`,
        '',
        table(
          ['file', 'status', 'passed', 'failed', 'ms'],
          report.pgtap.files.map((file) => [{ code: file.file }, statusCell(file.status), file.passed, file.failed, Math.round(file.durationMs)]),
        ),
      ].join('\n'),
    );
  }
  if (report.lint) {
    const open = report.lint.findings.filter((finding) => !finding.suppressed);
    const suppressed = report.lint.findings.filter((finding) => finding.suppressed);
    sections.push(
      [
        `## Lints (${open.length} finding(s), ${suppressed.length} suppressed)`,
        '',
        open.length > 0
          ? table(
              ['lint', 'level', 'object', 'detail'],
              open.map((finding) => [{ code: finding.lint }, finding.level, { code: finding.object }, finding.detail]),
            )
          : 'No open findings.',
        ...(suppressed.length > 0
          ? [
              '',
              '**Suppressed:**',
              '',
              table(
                ['lint', 'object', 'reason'],
                suppressed.map((finding) => [{ code: finding.lint }, { code: finding.object }, finding.suppressionReason]),
              ),
            ]
          : []),
      ].join('\n'),
    );
  }
  if (report.restoreDrill) sections.push(`## Restore drill\n\n${icon[report.restoreDrill.status]} ${escapeMarkdown(report.restoreDrill.summary)}`);
  const accessDenied = report.accessMatrix.filter((entry) => entry.status !== 'pass');
  if (report.accessMatrix.length > 0) {
    sections.push(
      `## Access matrix\n\n${report.accessMatrix.length} cells checked, ${accessDenied.length} mismatch(es).${
        accessDenied.length > 0
          ? `\n\n${table(
              ['table', 'actor', 'operation', 'expected', 'observed'],
              accessDenied.map((entry) => [{ code: entry.table }, entry.actor, entry.operation, entry.expected, entry.observed]),
            )}`
          : ''
      }`,
    );
  } else {
    sections.push('## Access matrix\n\nNo cell was checked (the RLS gate did not run).');
  }
  sections.push(
    `## Environment\n\n${table(
      ['', ''],
      Object.entries(report.environment).map(([key, value]) => [key, value]),
    )}`,
  );
  const footer = `\n\n---\nFull report: ${codeSpan(htmlPath)} (HTML) and \`reports/verification.json\`.`;
  let body = head;
  for (const section of sections) {
    const next = `${body}\n\n${section}`;
    if (next.length + footer.length + 200 > limit) {
      body += `\n\n_Truncated to fit a pull-request comment: ${sections.length - sections.indexOf(section)} more section(s) in ${codeSpan(htmlPath)}._`;
      break;
    }
    body = next;
  }
  return body + footer;
}
