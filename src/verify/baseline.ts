/**
 * Compare this run's report with an accepted earlier one: new access, lost
 * indexes, queries doing more work, new lint findings (and slower queries
 * when the timing gates are on). Regressions fail `verify`.
 */
import { readFileSync } from 'node:fs';
import { SchemaproofError } from '../errors/index.ts';
import { workRegression, type BenchGates } from '../plans/index.ts';
import { reportSchemaVersion, type BaselineChange, type VerificationReport } from '../report/model.ts';

export function readBaseline(file: string): VerificationReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SchemaproofError({ code: 'baseline_invalid', file, detail: (error as Error).message.split('\n')[0] ?? 'unreadable' });
  }
  const version = (parsed as { schemaVersion?: unknown }).schemaVersion;
  if (version !== reportSchemaVersion) {
    throw new SchemaproofError({ code: 'baseline_invalid', file, detail: `report schemaVersion ${String(version)} is not ${reportSchemaVersion}; save a new baseline with this version` });
  }
  return parsed as VerificationReport;
}

const deniedWords = new Set(['none', 'denied', '-', 'no']);

export function compareReports(before: VerificationReport, after: VerificationReport, options: Pick<BenchGates, 'slowdownFactor' | 'timingsGate' | 'workFactor' | 'workFloor'>): BaselineChange[] {
  const changes: BaselineChange[] = [];
  const cellKey = (cell: { table: string; actor: string; operation: string }) => `${cell.table} · ${cell.actor} · ${cell.operation}`;
  const beforeCells = new Map(before.accessMatrix.map((cell) => [cellKey(cell), cell]));
  for (const cell of after.accessMatrix) {
    const previous = beforeCells.get(cellKey(cell));
    if (!previous || previous.observed === cell.observed) continue;
    const widened = deniedWords.has(previous.observed) && !deniedWords.has(cell.observed);
    changes.push({ kind: widened ? 'new_access' : 'lost_access', what: cellKey(cell), before: previous.observed, after: cell.observed, regression: widened });
  }
  const beforeQueries = new Map((before.plans?.queries ?? []).map((query) => [query.id, query]));
  for (const query of after.plans?.queries ?? []) {
    const previous = beforeQueries.get(query.id);
    if (!previous) continue;
    const lost = previous.indexes.filter((index) => !query.indexes.includes(index));
    if (lost.length > 0 || (previous.planNode !== query.planNode && /Seq Scan/.test(query.planNode))) {
      changes.push({
        kind: 'lost_index',
        what: `query ${query.id} (${query.title})`,
        before: `${previous.planNode} using ${previous.indexes.join(', ') || '—'}`,
        after: `${query.planNode} using ${query.indexes.join(', ') || '—'}`,
        regression: true,
      });
    }
    const more = previous.work && query.work ? workRegression(previous.work, query.work, options) : null;
    if (more) changes.push({ kind: 'more_work', what: `query ${query.id} (${query.title})`, before: `${previous.work?.total} units of work`, after: more, regression: true });
    for (const [label, old, now] of [
      ['p50', previous.p50Ms, query.p50Ms],
      ['p95', previous.p95Ms, query.p95Ms],
    ] as const) {
      if (!options.timingsGate) break;
      if (old !== null && now !== null && old > 0 && now >= old * options.slowdownFactor) {
        changes.push({ kind: 'slower_query', what: `query ${query.id} ${label}`, before: `${old.toFixed(2)} ms`, after: `${now.toFixed(2)} ms (${(now / old).toFixed(1)}×)`, regression: true });
      }
    }
  }
  const findingKey = (finding: { lint: string; object: string }) => `${finding.lint} ${finding.object}`;
  const beforeFindings = new Set((before.lint?.findings ?? []).filter((finding) => !finding.suppressed).map(findingKey));
  const afterFindings = (after.lint?.findings ?? []).filter((finding) => !finding.suppressed);
  for (const finding of afterFindings) {
    if (!beforeFindings.has(findingKey(finding)))
      changes.push({ kind: 'new_lint', what: findingKey(finding), before: '—', after: `${finding.level}: ${finding.detail}`, regression: finding.level === 'error' });
  }
  const afterKeys = new Set(afterFindings.map(findingKey));
  for (const key of beforeFindings) if (!afterKeys.has(key)) changes.push({ kind: 'fixed_lint', what: key, before: 'finding', after: 'fixed', regression: false });
  return changes;
}
