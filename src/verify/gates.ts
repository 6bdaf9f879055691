/**
 * Adapters from each checker's typed result to the report's sections and to
 * gate outcomes. One function per gate; the orchestrator runs them in order.
 */
import type { Settings } from '../config/index.ts';
import type { Failure, GateId, Status, VerificationReport } from '../report/model.ts';
import type { Template } from '../postgres/index.ts';
import { addPgtap, type Workspace } from '../workspace/index.ts';
import type { EvidenceItem } from './compliance.ts';
import { detailLines, discoverPgtapFiles, headline, location, replayCommand, runPgtap, type PgtapRunResult } from '../pgtap/index.ts';
import { runLints, type LintResult } from '../lint/index.ts';

export interface GateOutcome {
  readonly status: Status;
  readonly summary: string;
  readonly failures: readonly Failure[];
}

export type Sections = { -readonly [K in 'pgtap' | 'rls' | 'mutation' | 'plans' | 'lint' | 'restoreDrill' | 'accessMatrix']?: VerificationReport[K] };

export interface GateContext {
  readonly settings: Settings;
  readonly workspace: Workspace;
  readonly progress: (message: string) => void;
  /** Gates append what they proved, for the compliance map. */
  readonly evidence: EvidenceItem[];
  /** Gates fill their report sections. */
  readonly sections: Sections;
  /** Checks re-run on the restored database by the restore gate. */
  restoreFollowUps?: ((restored: Template) => Promise<{ readonly summary: string; readonly failures: readonly Failure[] }>)[];
}

export type GateRunner = (context: GateContext) => Promise<GateOutcome>;

function statusOf(ok: boolean): Status {
  return ok ? 'pass' : 'fail';
}

/** pgTAP: every suite in its own clone of the pgTAP template. */
export const pgtapGate: GateRunner = async (context) => {
  const { settings, workspace } = context;
  const files = discoverPgtapFiles({ dir: settings.pgtapDir, cwd: settings.root });
  const template = await workspace.pgtapTemplate();
  const result = await runPgtap({
    server: workspace.server,
    template,
    files,
    timeoutMs: settings.pgtap.timeoutMs,
    root: settings.root,
    ...(settings.pgtap.jobs ? { jobs: settings.pgtap.jobs } : {}),
  });
  // The restore drill re-runs the structural suites on the restored copy.
  const structural = files.filter((file) => /structure/.test(file));
  context.restoreFollowUps = [
    ...(context.restoreFollowUps ?? []),
    async (restored) => {
      const withPgtap = await addPgtap(workspace.server, restored);
      try {
        const rerun = await runPgtap({ server: workspace.server, template: withPgtap, files: structural, timeoutMs: settings.pgtap.timeoutMs, root: settings.root });
        const outcome = summarisePgtap({ ...context, evidence: [] }, rerun, 'restore');
        return { summary: `structural pgTAP on the restored copy: ${rerun.totals.passedAssertions}/${rerun.totals.assertions} assertions in ${rerun.files.length} file(s)`, failures: outcome.failures };
      } finally {
        await withPgtap.drop();
      }
    },
  ];
  return summarisePgtap(context, result, 'pgtap');
};

export function summarisePgtap(context: GateContext, result: PgtapRunResult, gate: 'pgtap' | 'restore'): GateOutcome {
  const failures: Failure[] = [];
  for (const file of result.files) {
    for (const error of file.errors) failures.push({ gate, what: `${file.displayPath}: ${headline(error)}`, where: location(file, error), replay: replayCommand(file) });
    for (const assertion of file.assertions) {
      context.evidence.push({ label: `${file.displayPath} #${assertion.number} ${assertion.description}`, haystack: `${file.displayPath} ${assertion.description}`, ok: assertion.ok || assertion.todo !== null });
    }
  }
  if (gate === 'pgtap') {
    context.sections.pgtap = {
      assertions: result.totals.assertions,
      failedAssertions: result.totals.failedAssertions,
      files: result.files.map((file) => ({
        file: file.displayPath,
        status: file.status === 'passed' ? 'pass' : file.status === 'failed' ? 'fail' : 'error',
        planned: file.planned,
        passed: file.assertions.filter((assertion) => assertion.ok).length,
        failed: file.assertions.filter((assertion) => !assertion.ok && assertion.todo === null).length,
        durationMs: file.durationMs,
        failures: file.errors.map((error) => ({ what: headline(error), where: location(file, error), diagnostics: detailLines(file, error).join('\n') })),
      })),
    };
  }
  const totals = result.totals;
  return {
    status: statusOf(result.ok),
    summary: `${totals.passedFiles}/${totals.files} files passed, ${totals.passedAssertions}/${totals.assertions} assertions, each file in its own database (${result.jobs} at a time)`,
    failures,
  };
}

/** Lints: schema lints on a clone of the template, file lints on sql/. */
export const lintGate: GateRunner = async (context) => {
  const { settings, workspace } = context;
  const clone = await workspace.template.clone('lint');
  const db = clone.connect();
  let result: LintResult;
  try {
    result = await runLints({
      db,
      sqlDir: settings.sqlDir,
      root: settings.root,
      severities: settings.lint.severities,
      suppressions: settings.lint.suppressions,
      squawk: settings.lint.squawk,
      configFile: settings.configFile,
    });
  } finally {
    await db.dispose();
    await clone.drop();
  }
  context.sections.lint = {
    catalogue: result.lints.map((lint) => ({ name: lint.name, title: lint.title, level: lint.severity, description: `${lint.description} ${lint.rationale}`, remediation: lint.remediation })),
    findings: result.findings.map((finding) => ({
      lint: finding.lint,
      level: finding.level,
      object: finding.location ? `${finding.location.file}:${finding.location.line}` : finding.object,
      detail: finding.detail,
      remediation: finding.remediation,
      suppressed: finding.suppressed,
      suppressionReason: finding.suppressionReason ?? null,
    })),
  };
  const failures: Failure[] = result.findings
    .filter((finding) => finding.level === 'error' && !finding.suppressed)
    .map((finding) => ({
      gate: 'lint' as const,
      what: `${finding.lint}: ${finding.detail} — fix: ${finding.remediation.split('\n')[0] ?? ''}`,
      where: finding.location ? `${finding.location.file}:${finding.location.line}:${finding.location.column}` : finding.object,
      replay: 'schemaproof lint',
    }));
  return {
    status: statusOf(result.errorCount === 0),
    summary: `${result.lints.length} lints: ${result.errorCount} error(s), ${result.warnCount} warning(s), ${result.suppressedCount} suppressed`,
    failures,
  };
};

/** Gates in run order (migrations and restore are handled by the orchestrator). */
export const gateRunners: readonly (readonly [GateId, GateRunner])[] = [
  ['pgtap', pgtapGate],
  ['lint', lintGate],
];
