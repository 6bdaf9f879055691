import { renderJunitXml, type JunitSuite } from '../output/junit.ts';
import type { VerificationReport } from './model.ts';

interface Case {
  readonly name: string;
  readonly failure: string | null;
  readonly skipped?: boolean;
}

function suite(name: string, cases: readonly Case[], durationMs: number): JunitSuite {
  return {
    name,
    timeMs: durationMs,
    cases: cases.map((entry) => ({
      classname: name,
      name: entry.name,
      outcome: entry.skipped ? { kind: 'skipped' } : entry.failure === null ? { kind: 'passed' } : { kind: 'failure', message: entry.failure.split('\n')[0] ?? '', body: entry.failure },
    })),
  };
}

/** One testsuite per gate; one testcase per checked item, each failure with where and replay. */
export function renderJunit(report: VerificationReport): string {
  const suites: JunitSuite[] = [];
  const duration = (id: string) => report.gates.find((gate) => gate.id === id)?.durationMs ?? 0;
  for (const gate of report.gates) {
    const items: Case[] = [];
    switch (gate.id) {
      case 'pgtap':
        for (const file of report.pgtap?.files ?? []) {
          items.push({
            name: file.file,
            failure: file.status === 'pass' ? null : file.failures.map((failure) => `${failure.what}\nat ${failure.where}\n${failure.diagnostics}`).join('\n\n') || file.status,
          });
        }
        break;
      case 'rls':
        for (const property of report.rls?.properties ?? []) {
          items.push({ name: property.name, failure: property.status === 'pass' ? null : `${property.counterexample ?? 'failed'}\nreplay: ${property.replay ?? '—'}` });
        }
        for (const cell of report.accessMatrix) {
          items.push({ name: `${cell.table} ${cell.actor} ${cell.operation}`, failure: cell.status === 'pass' ? null : `expected ${cell.expected}, observed ${cell.observed}` });
        }
        break;
      case 'mutation':
        for (const mutant of report.mutation?.mutants ?? []) items.push({ name: mutant.name, failure: mutant.caughtBy ? null : `mutant survived: ${mutant.description}` });
        break;
      case 'plans':
        for (const query of report.plans?.queries ?? []) items.push({ name: `${query.id} ${query.title}`, failure: query.status === 'fail' ? query.failures.join('\n') : null });
        break;
      case 'lint':
        for (const finding of report.lint?.findings ?? []) {
          items.push({ name: `${finding.lint} ${finding.object}`, failure: finding.level === 'error' && !finding.suppressed ? `${finding.detail}\nremediation: ${finding.remediation}` : null });
        }
        break;
      default:
        break;
    }
    if (items.length === 0) {
      items.push({
        name: gate.title,
        failure:
          gate.status === 'fail' || gate.status === 'error'
            ? gate.failures.map((failure) => `${failure.what}\nat ${failure.where}${failure.replay ? `\nreplay: ${failure.replay}` : ''}`).join('\n\n') || gate.summary
            : null,
        skipped: gate.status === 'skipped',
      });
    }
    suites.push(suite(gate.title, items, duration(gate.id)));
  }
  return renderJunitXml({ name: 'schemaproof verify', timeMs: report.durationMs, suites });
}
