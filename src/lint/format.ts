/**
 * Text and JSON renderings of a lint result (pure: the CLI prints them, the
 * report has its own).
 */
import type { Finding, LintResult } from './types.ts';

/** Version of the JSON shape printed by `schemaproof lint --format json`. */
export const lintJsonVersion = 1;

function where(finding: Finding): string {
  return finding.location ? `${finding.location.file}:${finding.location.line}:${finding.location.column}` : finding.object;
}

function block(finding: Finding): string[] {
  const lines = [`  ${finding.lint}  ${where(finding)}`, `    ${finding.detail}`, `    fix: ${finding.remediation}`];
  if (finding.suppressed) lines.push(`    suppressed: ${finding.suppressionReason ?? ''}`);
  return lines;
}

export function formatLintText(result: LintResult): string {
  const lines: string[] = [];
  const active = result.findings.filter((finding) => !finding.suppressed);
  const groups = [
    { title: 'errors', findings: active.filter((finding) => finding.level === 'error') },
    { title: 'warnings', findings: active.filter((finding) => finding.level === 'warn') },
    { title: 'suppressed', findings: result.findings.filter((finding) => finding.suppressed) },
  ];
  for (const group of groups) {
    if (group.findings.length === 0) continue;
    lines.push(`${group.title} (${group.findings.length})`);
    for (const finding of group.findings) lines.push(...block(finding));
    lines.push('');
  }
  if (result.unusedSuppressions.length > 0) {
    lines.push(`unused suppressions (${result.unusedSuppressions.length}): remove them from the config`);
    for (const suppression of result.unusedSuppressions) lines.push(`  ${suppression.lint}  ${suppression.object}`);
    lines.push('');
  }
  const off = result.lints.filter((lint) => lint.severity === 'off').map((lint) => lint.name);
  const squawk = result.squawk.enabled ? `squawk ${result.squawk.version ?? '?'}${result.squawk.configFile ? ' with .squawk.toml' : ''}` : 'squawk off';
  lines.push(
    `${result.errorCount} error(s), ${result.warnCount} warning(s), ${result.suppressedCount} suppressed; ${result.lints.length - off.length} of ${result.lints.length} lints on (${squawk})${off.length > 0 ? `; off: ${off.join(', ')}` : ''}; ${Math.round(result.durationMs)} ms`,
  );
  return `${lines.join('\n')}\n`;
}

export function formatLintJson(result: LintResult): string {
  return `${JSON.stringify({ version: lintJsonVersion, ...result }, null, 2)}\n`;
}
