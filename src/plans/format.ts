/** Plain-text rendering of a bench report (the CLI prints it). */
import type { BenchReport } from './report.ts';

function cell(value: string, width: number): string {
  return value.length >= width ? `${value.slice(0, width - 1)}…` : value.padEnd(width);
}

function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : value.toFixed(2);
}

export function formatBenchTable(report: BenchReport): string {
  const lines: string[] = [];
  const header = `${cell('query', 5)} ${cell('actor', 7)} ${cell('plan node', 18)} ${cell('indexes used', 58)} ${cell('seq scans', 22)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'max'.padStart(8)} ${'rls'.padStart(6)}  result`;
  lines.push(header, '-'.repeat(header.length));
  for (const query of report.queries) {
    const seq = query.seqScans.map((scan) => `${scan.relation}(${scan.rows})`).join(',') || '-';
    lines.push(
      `${cell(query.id, 5)} ${cell(query.actor, 7)} ${cell(query.planNodes.top, 18)} ${cell(query.planNodes.indexes.join(',') || '-', 58)} ${cell(seq, 22)} ${ms(query.timings?.p50).padStart(8)} ${ms(query.timings?.p95).padStart(8)} ${ms(query.timings?.max).padStart(8)} ${(query.rlsRatio === null ? '-' : query.rlsRatio.toFixed(2)).padStart(6)}  ${query.passed ? 'ok' : 'FAIL'}`,
    );
  }
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
    const counts = Object.entries(report.generation.counts).map(([table, rows]) => `${table}=${rows}`).join(' ');
    lines.push('', `data: scale ${report.generation.scale}, seed ${report.generation.seed}, generated in ${report.generation.durationMs} ms: ${counts}`);
  }
  if (report.fecLoad) {
    lines.push(`FEC load: ${report.fecLoad.inputRows} rows in ${report.fecLoad.durationMs} ms (${report.fecLoad.rowsPerSecond} rows/s), ${report.fecLoad.rejectedCount} quarantined, cycle ${report.fecLoad.cycle ?? '?'}`);
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
