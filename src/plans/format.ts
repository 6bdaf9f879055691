/** Plain-text rendering of a bench report (the CLI prints it). */
import type { BenchReport } from './report.ts';
import type { BenchGates } from './run.ts';

function cell(value: string, width: number): string {
  return value.length >= width ? `${value.slice(0, width - 1)}…` : value.padEnd(width);
}

function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : value.toFixed(2);
}

/** The gates that decide the verdict whatever the machine's load. */
export function describeDeterministicGates(gates: BenchGates): string {
  return `plan shape (no seq scan over a table of more than ${gates.seqScanRowLimit} rows; the expected indexes used); RLS work ratio ≤ ${gates.rlsRatio} (work as the actor ÷ work bypassing RLS; applies when RLS adds more than ${gates.rlsFloorWork} units of work: buffers + function calls); against a baseline: a lost index, a new seq scan, or ≥ ${gates.workFactor}× the work (and more than ${gates.workFloor} units more)`;
}

/** Whether wall times gate, and why. */
export function describeTimingGates(gates: BenchGates): string {
  return gates.timingsGate
    ? `wall-time gates ON (p95 ≤ ${gates.p95Ms} ms, aggregations ≤ ${gates.aggregateP95Ms} ms, RLS time ratio ≤ ${gates.rlsRatio}, baseline ≥ ${gates.slowdownFactor}× slower) because: ${gates.timingsGateReason ?? '(no reason given)'}`
    : "wall times are reported, not gated (they depend on the machine's load; bench.gates.timingsGate turns them on, with a reason)";
}

/** One line: which gates decide the verdict, and why wall times do or do not. */
export function describeGates(gates: BenchGates): string {
  return `gates: ${describeDeterministicGates(gates)}; ${describeTimingGates(gates)}`;
}

function ratio(value: number | null): string {
  return value === null ? '-' : value.toFixed(2);
}

export function formatBenchTable(report: BenchReport): string {
  const lines: string[] = [];
  const header = `${cell('query', 6)} ${cell('actor', 8)} ${cell('plan node', 18)} ${cell('indexes used', 52)} ${cell('seq scans', 20)} ${'buffers'.padStart(8)} ${'calls'.padStart(6)} ${'rls×'.padStart(5)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'max'.padStart(7)} ${'t×'.padStart(5)}  result`;
  lines.push(header, '-'.repeat(header.length));
  for (const query of report.queries) {
    const seq = query.seqScans.map((scan) => `${scan.relation}(${scan.rows})`).join(',') || '-';
    const calls = query.work === null ? '-' : String((query.work.functionCalls ?? 0) + query.work.filterCalls);
    lines.push(
      `${cell(query.id, 6)} ${cell(query.actor, 8)} ${cell(query.planNodes.top, 18)} ${cell(query.planNodes.indexes.join(',') || '-', 52)} ${cell(seq, 20)} ${String(query.work?.buffers ?? '-').padStart(8)} ${calls.padStart(6)} ${ratio(query.rlsWorkRatio).padStart(5)} ${ms(query.timings?.p50).padStart(7)} ${ms(query.timings?.p95).padStart(7)} ${ms(query.timings?.max).padStart(7)} ${ratio(query.rlsTimeRatio).padStart(5)}  ${query.passed ? 'ok' : 'FAIL'}${query.workStable ? '' : ' (work varied between rounds: least kept)'}`,
    );
  }
  lines.push(
    '',
    'buffers: shared blocks hit+read; calls: function calls + per-row calls in filters; rls×: work as the actor ÷ bypassing RLS; p50/p95/max ms: server planning + execution; t×: time ratio (paired)',
  );
  lines.push(describeGates(report.gates));
  if (!report.functionCallsCounted) lines.push('function calls were not counted: this role may not set track_functions (per-row calls in filters still are)');
  const failed = report.queries.filter((query) => !query.passed);
  if (failed.length > 0) {
    lines.push('', 'failures:');
    for (const query of failed) for (const failure of query.failures) lines.push(`  ${query.id} (${query.title}, as ${query.actor}): ${failure}`);
  }
  const waived = report.queries.filter((query) => query.waivedIndexes.length > 0);
  if (waived.length > 0) {
    lines.push('', 'small tables (planner prefers a seq scan; the index serves the query with seq scans disabled):');
    for (const query of waived) lines.push(`  ${query.id}: ${query.waivedIndexes.join(', ')}`);
  }
  if (report.generation) {
    const counts = Object.entries(report.generation.counts)
      .map(([table, rows]) => `${table}=${rows}`)
      .join(' ');
    lines.push('', `data: scale ${report.generation.scale}, seed ${report.generation.seed}, generated in ${report.generation.durationMs} ms: ${counts}`);
  }
  if (report.fecLoad) {
    lines.push(
      `FEC load: ${report.fecLoad.inputRows} rows in ${report.fecLoad.durationMs} ms (${report.fecLoad.rowsPerSecond} rows/s), ${report.fecLoad.rejectedCount} quarantined, cycle ${report.fecLoad.cycle ?? '?'}`,
    );
  }
  if (report.uuidComparison) {
    const { v4, v7, rows } = report.uuidComparison;
    lines.push(
      `UUID PK, ${rows} rows: v4 ${v4.insertMs} ms (${v4.rowsPerSecond} rows/s), PK index ${(v4.pkIndexBytes / 1048576).toFixed(1)} MiB; ` +
        `v7 ${v7.insertMs} ms (${v7.rowsPerSecond} rows/s), PK index ${(v7.pkIndexBytes / 1048576).toFixed(1)} MiB ` +
        `(v4/v7 index size ${report.uuidComparison.indexSizeRatio}x; id generation alone v4 ${v4.generateOnlyMs} ms, v7 ${v7.generateOnlyMs} ms)`,
    );
  }
  if (report.baseline) {
    lines.push(`baseline ${report.baseline.file}: ${report.baseline.passed ? 'no regressions' : `${report.baseline.findings.length} regression(s)`}`);
  }
  lines.push(`environment: PostgreSQL ${report.environment.serverVersion}, ${report.environment.runs} runs after ${report.environment.warmup} warm-up; ${report.passed ? 'PASSED' : 'FAILED'}`);
  return lines.join('\n');
}
