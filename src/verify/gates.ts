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
import { lintTemplate } from '../lint/index.ts';
import { loadAccessSpec, runMutation, runRls, type RlsResult } from '../rls/index.ts';
import { runBench } from '../plans/index.ts';

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
  const result = await lintTemplate(workspace.template, settings);
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

function observedText(observed: Readonly<Record<string, readonly string[]>>): string {
  const entries = Object.entries(observed).filter(([, outcomes]) => outcomes.length > 0);
  if (entries.length === 0) return 'none';
  return entries.map(([rowClass, outcomes]) => `${rowClass}: ${outcomes.join('/')}`).join('; ');
}

function rlsFailures(result: RlsResult): Failure[] {
  const failures: Failure[] = [];
  for (const property of result.properties) {
    if (property.passed) continue;
    const violation = property.counterexample?.violation ?? null;
    failures.push({
      gate: 'rls',
      what: `property ${property.name}: ${violation ? violation.problem : property.error ?? 'failed'}${violation ? ` (expected ${violation.expected}, observed ${violation.observed}; SQL: ${violation.sql})` : ''}`,
      where: violation ? `${violation.relation} · ${violation.actorKind} · ${violation.operation}` : property.name,
      replay: property.replay ?? `schemaproof rls --property ${property.name} --seed ${property.seed}`,
    });
  }
  for (const finding of result.coverage) failures.push({ gate: 'rls', what: `coverage: ${JSON.stringify(finding)}`, where: 'tests/access/access-spec.json', replay: 'schemaproof rls' });
  return failures;
}

/** The access-matrix properties on random worlds (one clone per property). */
export const rlsGate: GateRunner = async (context) => {
  const { settings, workspace } = context;
  const spec = loadAccessSpec(settings.accessSpec);
  const seed = settings.rls.seed;
  const result = await runRls({ server: workspace.server, template: workspace.template.name, spec, specFile: settings.accessSpec, runs: settings.rls.runs, seed });
  context.sections.rls = {
    properties: result.properties.map((property) => ({
      name: property.name,
      runs: property.runs,
      status: property.passed ? 'pass' : 'fail',
      seed: property.seed,
      counterexample: property.counterexample?.rendered ?? property.error ?? null,
      replay: property.passed ? null : property.replay ?? null,
    })),
    cases: result.cases,
    casesPerSecond: result.casesPerSecond,
    seed,
  };
  context.sections.accessMatrix = result.observedMatrix.map((cell) => ({
    table: cell.relation,
    actor: cell.actor,
    operation: cell.operation,
    expected: cell.expected,
    observed: observedText(cell.observed),
    status: cell.agrees ? 'pass' : 'fail',
  }));
  for (const property of result.properties) {
    context.evidence.push({ label: `rls property ${property.name} (${property.runs} worlds, ${property.cases} cases)`, haystack: `rls property ${property.name}`, ok: property.passed });
  }
  const disagreeing = result.observedMatrix.filter((cell) => !cell.agrees).length;
  return {
    status: statusOf(result.passed),
    summary: `${result.properties.filter((property) => property.passed).length}/${result.properties.length} properties held over ${result.cases} cases (${result.casesPerSecond.toFixed(0)}/s, seed ${seed}); ${result.observedMatrix.length - disagreeing}/${result.observedMatrix.length} matrix cells agree with the spec${result.unreviewed.length > 0 ? `; ${result.unreviewed.length} relation(s) not reviewed (warning): ${result.unreviewed.join(', ')}` : ''}`,
    failures: rlsFailures(result),
  };
};

/** The mutation self-test: every broken policy variant must be caught. */
export const mutationGate: GateRunner = async (context) => {
  const { settings, workspace } = context;
  if (!settings.rls.mutation) return { status: 'skipped', summary: 'disabled in config (rls.mutation: false)', failures: [] };
  const spec = loadAccessSpec(settings.accessSpec);
  const result = await runMutation({
    server: workspace.server,
    template: workspace.template.name,
    spec,
    specFile: settings.accessSpec,
    runs: settings.rls.mutationRuns,
    seed: settings.rls.seed,
    mutantsDir: settings.mutantsDir,
    onResult: (mutant) => context.progress(`mutation: ${mutant.name} → ${mutant.status === 'caught' ? mutant.caughtBy : mutant.status}`),
  });
  context.sections.mutation = {
    score: result.score,
    seed: result.seed,
    mutants: result.mutants.map((mutant) => ({
      name: mutant.name,
      description: mutant.equivalent ? `${mutant.description} (equivalent: ${mutant.equivalent})` : mutant.applyError ? `${mutant.description} (not applicable: ${mutant.applyError})` : mutant.error ? `${mutant.description} (ERROR, could not be tested: ${mutant.error})` : mutant.description,
      caughtBy: mutant.status === 'equivalent' ? 'equivalent (not counted)' : mutant.status === 'not_applicable' ? 'not applicable (not counted)' : mutant.caughtBy,
      status: mutant.status === 'equivalent' || mutant.status === 'not_applicable' ? 'skipped' : mutant.status === 'caught' ? 'pass' : 'fail',
    })),
  };
  context.evidence.push({ label: `mutation self-test: ${result.caught}/${result.total} broken policy variants caught`, haystack: 'mutation self-test', ok: result.caught === result.total && result.total > 0 });
  const failing = result.mutants.filter((mutant) => mutant.status === 'survived' || mutant.status === 'error');
  const failures: Failure[] = [
    ...result.baselineFailures.map((property) => ({ gate: 'mutation' as const, what: `property ${property} already fails on the unmutated schema, so it cannot judge mutants`, where: property, replay: 'schemaproof rls' })),
    ...failing.map((mutant) => ({ gate: 'mutation' as const, what: mutant.status === 'error' ? `mutant could not be tested: ${mutant.description} (${mutant.error})` : `mutant survived: ${mutant.description}`, where: mutant.source, replay: `schemaproof rls mutate --only ${mutant.name}` })),
  ];
  return {
    status: statusOf(failures.length === 0),
    summary: `${result.caught}/${result.total} mutants caught (score ${(result.score * 100).toFixed(0)}%, seed ${result.seed})${result.mutants.some((mutant) => mutant.equivalent) ? `, ${result.mutants.filter((mutant) => mutant.equivalent).length} declared equivalent` : ''}${result.notApplicable > 0 ? `, ${result.notApplicable} not applicable` : ''}`,
    failures,
  };
};

/** The query catalogue at the configured scale: plans, timings, RLS ratio. */
export const plansGate: GateRunner = async (context) => {
  const { settings, workspace } = context;
  if (!settings.bench.enabled) return { status: 'skipped', summary: 'disabled in config (bench.enabled: false)', failures: [] };
  const report = await runBench({ settings, workspace, baselineFile: null, uuidRows: settings.bench.uuidRows ?? (settings.bench.scale === 'small' ? 20_000 : 200_000), onProgress: (message) => context.progress(`plans: ${message.trim()}`) });
  const notes: string[] = [];
  if (report.generation) notes.push(`Data generated in ${(report.generation.durationMs / 1000).toFixed(1)} s (scale ${settings.bench.scale}, seed ${settings.bench.seed}).`);
  if (report.fecLoad) notes.push(`Real FEC files: ${report.fecLoad.inputRows} rows in ${report.fecLoad.durationMs} ms (${report.fecLoad.rowsPerSecond} rows/s), ${report.fecLoad.rejectedCount} quarantined with a reason.`);
  if (report.uuidComparison) {
    const uuid = report.uuidComparison;
    notes.push(`UUID v7 vs v4 primary keys, ${uuid.rows} rows each: PK index ${(uuid.v7.pkIndexBytes / 1048576).toFixed(1)} MiB vs ${(uuid.v4.pkIndexBytes / 1048576).toFixed(1)} MiB (v4/v7 = ${uuid.indexSizeRatio.toFixed(2)}×); insert ${uuid.v7.rowsPerSecond} vs ${uuid.v4.rowsPerSecond} rows/s (v7/v4 = ${uuid.insertRateRatio.toFixed(2)}×), of which id generation alone ${uuid.v7.generateOnlyMs} vs ${uuid.v4.generateOnlyMs} ms.`);
  }
  context.sections.plans = {
    scale: settings.bench.scale,
    seed: settings.bench.seed,
    notes,
    queries: report.queries.map((query) => ({
      id: query.id,
      title: query.title,
      actor: query.actor,
      planNode: query.planNodes.top,
      indexes: query.planNodes.indexes,
      p50Ms: query.timings?.p50 ?? null,
      p95Ms: query.timings?.p95 ?? null,
      maxMs: query.timings?.max ?? null,
      rlsRatio: query.rlsRatio,
      status: query.passed ? 'pass' : 'fail',
      failures: query.failures,
    })),
  };
  const failing = report.queries.filter((query) => !query.passed);
  // queries.md: index-backed = no sequential scan over a table larger than
  // the limit (a seq scan of an empty or tiny partition is the right plan).
  const limit = settings.bench.gates.seqScanRowLimit;
  const indexBacked = report.queries.filter((query) => query.seqScans.every((scan) => scan.rows <= limit) && query.expectedIndexMissing.length === 0).length;
  return {
    status: statusOf(report.passed),
    summary: `${indexBacked}/${report.queries.length} queries index-backed, ${report.queries.length - failing.length}/${report.queries.length} within every gate at scale ${settings.bench.scale}`,
    failures: failing.map((query) => ({ gate: 'plans' as const, what: `query ${query.id} (${query.title}, as ${query.actor}): ${query.failures.join('; ')}`, where: `tests/plans/catalogue.json query ${query.id}`, replay: `schemaproof bench --scale ${settings.bench.scale} --query ${query.id}` })),
  };
};

/** Gates in run order (migrations and restore are handled by the orchestrator). */
export const gateRunners: readonly (readonly [GateId, GateRunner])[] = [
  ['pgtap', pgtapGate],
  ['rls', rlsGate],
  ['mutation', mutationGate],
  ['plans', plansGate],
  ['lint', lintGate],
];
