/**
 * Adapters from each checker's typed result to the report's sections and to
 * gate outcomes. One function per gate; the orchestrator runs them in order.
 */
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Settings } from '../config/index.ts';
import type { Failure, GateId, Status, VerificationReport } from '../report/model.ts';
import type { Template } from '../postgres/index.ts';
import { addPgtap, type Workspace } from '../workspace/index.ts';
import { detailLines, discoverPgtapFiles, headline, location, noFilesMessage, replayCommand, runPgtap, type PgtapRunResult } from '../pgtap/index.ts';
import { lintTemplate } from '../lint/index.ts';
import { loadAccessSpec, mutationPassed, runMutation, runRls, type RlsResult } from '../rls/index.ts';
import { describeDeterministicGates, describeTimingGates, runBench, type BenchGates } from '../plans/index.ts';
import type { BenchData } from '../datagen/index.ts';

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
  /** Gates fill their report sections. */
  readonly sections: Sections;
  /** The plan benchmark's data, prepared while the earlier gates run (started by the orchestrator). */
  readonly benchData?: Promise<BenchData>;
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
  const files = discoverPgtapFiles({ dir: settings.pgtapDir, cwd: settings.root, extensions: settings.pgtap.extensions });
  const template = await workspace.pgtapTemplate();
  const result = await runPgtap({
    server: workspace.server,
    template,
    files,
    timeoutMs: settings.pgtap.timeoutMs,
    root: settings.root,
    isolation: settings.pgtap.isolation,
    passWithNoTests: settings.pgtap.passWithNoTests,
    searched: [settings.pgtapDir],
    ...(settings.pgtap.jobs ? { jobs: settings.pgtap.jobs } : {}),
  });
  // The restore drill re-runs pgTAP on the restored copy (restorePgtapFiles); none is a failure
  // unless the project has no pgTAP file at all and says that is fine.
  context.restoreFollowUps = [
    ...(context.restoreFollowUps ?? []),
    async (restored) => {
      const withPgtap = await addPgtap(workspace.server, restored, { files: settings.seed.enabled ? settings.seed.paths : [], root: settings.root });
      try {
        const rerun = await runPgtap({
          server: workspace.server,
          template: withPgtap,
          files: restorePgtapFiles(settings, files),
          timeoutMs: settings.pgtap.timeoutMs,
          root: settings.root,
          passWithNoTests: settings.pgtap.passWithNoTests && files.length === 0,
          isolation: settings.pgtap.isolation,
          searched: (settings.pgtap.restoreFiles ?? [settings.pgtapDir]).map((path) => resolve(settings.root, path)),
        });
        const outcome = summarisePgtap(context, rerun, 'restore');
        return { summary: `pgTAP on the restored copy: ${rerun.totals.passedAssertions}/${rerun.totals.assertions} assertions in ${rerun.files.length} file(s)`, failures: outcome.failures };
      } finally {
        await withPgtap.drop();
      }
    },
  ];
  return summarisePgtap(context, result, 'pgtap');
};

/** The pgTAP files the restore drill re-runs: `pgtap.restoreFiles` (files or directories under the project root), default every pgTAP file. */
export function restorePgtapFiles(settings: Settings, allFiles: readonly string[]): readonly string[] {
  return settings.pgtap.restoreFiles ? discoverPgtapFiles({ dir: settings.pgtapDir, paths: settings.pgtap.restoreFiles, cwd: settings.root, extensions: settings.pgtap.extensions }) : allFiles;
}

export function summarisePgtap(context: GateContext, result: PgtapRunResult, gate: 'pgtap' | 'restore'): GateOutcome {
  const failures: Failure[] = [];
  const noFiles = noFilesMessage(result);
  if (noFiles && !result.ok) failures.push({ gate, what: noFiles, where: result.noFiles?.searched.join(', ') ?? '', replay: gate === 'pgtap' ? 'schemaproof test' : 'schemaproof verify' });
  for (const file of result.files) {
    for (const error of file.errors) failures.push({ gate, what: `${file.displayPath}: ${headline(error)}`, where: location(file, error), replay: replayCommand(file) });
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
        assertions: file.assertions.map((assertion) => ({ number: assertion.number, description: assertion.description, ok: assertion.ok || assertion.todo !== null })),
      })),
    };
  }
  const totals = result.totals;
  return {
    status: statusOf(result.ok),
    summary:
      noFiles ??
      `${totals.passedFiles}/${totals.files} files passed, ${totals.passedAssertions}/${totals.assertions} assertions, ${context.settings.pgtap.isolation === 'shared' && gate === 'pgtap' ? 'all files in order on one database (as pg_prove)' : `each file in its own database (${result.jobs} at a time)`}`,
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
      what: `property ${property.name}: ${violation ? violation.problem : (property.error ?? 'failed')}${violation ? ` (expected ${violation.expected}, observed ${violation.observed}; SQL: ${violation.sql})` : ''}`,
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
      replay: property.passed ? null : (property.replay ?? null),
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
      description: mutant.equivalent
        ? `${mutant.description} (equivalent: ${mutant.equivalent})`
        : mutant.applyError
          ? `${mutant.description} (not applicable: ${mutant.applyError})`
          : mutant.error
            ? `${mutant.description} (ERROR, could not be tested: ${mutant.error})`
            : mutant.description,
      caughtBy: mutant.status === 'equivalent' ? 'equivalent (not counted)' : mutant.status === 'not_applicable' ? 'not applicable (not counted)' : mutant.caughtBy,
      status: mutant.status === 'equivalent' || mutant.status === 'not_applicable' ? 'skipped' : mutant.status === 'caught' ? 'pass' : 'fail',
    })),
  };
  const failing = result.mutants.filter((mutant) => mutant.status === 'survived' || mutant.status === 'error');
  const failures: Failure[] = [
    // Nothing judged proves nothing: every mutant declared equivalent, not applicable, or none generated.
    ...(result.total === 0
      ? [
          {
            gate: 'mutation' as const,
            what: `no mutant was judged (${result.mutants.length} in the catalogue: ${result.mutants.length - result.notApplicable} declared equivalent, ${result.notApplicable} not applicable), so the properties were not shown to catch anything`,
            where: settings.accessSpec,
            replay: 'schemaproof rls mutate',
          },
        ]
      : []),
    ...result.baselineFailures.map((property) => ({
      gate: 'mutation' as const,
      what: `property ${property} already fails on the unmutated schema, so it cannot judge mutants`,
      where: property,
      replay: 'schemaproof rls',
    })),
    ...failing.map((mutant) => ({
      gate: 'mutation' as const,
      what: mutant.status === 'error' ? `mutant could not be tested: ${mutant.description} (${mutant.error})` : `mutant survived: ${mutant.description}`,
      where: mutant.source,
      replay: `schemaproof rls mutate --only ${mutant.name}`,
    })),
  ];
  return {
    // The verdict `rls mutate` and a merge of shards give; the failures above say why it fails.
    status: statusOf(mutationPassed(result)),
    summary: `${result.caught}/${result.total} mutants caught (score ${(result.score * 100).toFixed(0)}%, seed ${result.seed})${result.mutants.some((mutant) => mutant.equivalent) ? `, ${result.mutants.filter((mutant) => mutant.equivalent).length} declared equivalent` : ''}${result.notApplicable > 0 ? `, ${result.notApplicable} not applicable` : ''}`,
    failures,
  };
};

/** How the report states the timing gates: on with the project's reason, or off and why. */
function timingGates(gates: BenchGates): { enabled: boolean; reason: string | null; summary: string } {
  return { enabled: gates.timingsGate, reason: gates.timingsGate ? gates.timingsGateReason : null, summary: describeTimingGates(gates) };
}

/** The query catalogue at the configured scale: plans, work, RLS overhead; timings reported. */
export const plansGate: GateRunner = async (context) => {
  const { settings, workspace } = context;
  if (!settings.bench.enabled) return { status: 'skipped', summary: 'disabled in config (bench.enabled: false)', failures: [] };
  if (!existsSync(settings.queryCatalogue))
    return { status: 'skipped', summary: `no query catalogue at ${settings.queryCatalogue}: nothing to benchmark (write one to gate plans and timings)`, failures: [] };
  const report = await runBench({
    settings,
    workspace,
    ...(context.benchData ? { data: context.benchData } : {}),
    baselineFile: null,
    uuidRows: settings.bench.uuidRows ?? (settings.bench.scale === 'small' ? 20_000 : 200_000),
    onProgress: (message) => context.progress(`plans: ${message.trim()}`),
  });
  const notes: string[] = [];
  if (report.generation) notes.push(report.generation.description);
  if (report.fecLoad)
    notes.push(
      `Real FEC files: ${report.fecLoad.inputRows} rows in ${report.fecLoad.durationMs} ms (${report.fecLoad.rowsPerSecond} rows/s), ${report.fecLoad.rejectedCount} quarantined with a reason.`,
    );
  if (!report.functionCallsCounted) notes.push('Function calls were not counted (this role may not set track_functions); per-row calls in plan filters still are.');
  const unstable = report.queries.filter((query) => !query.workStable).map((query) => query.id);
  if (unstable.length > 0)
    notes.push(`Work varied between measurement rounds for ${unstable.join(', ')} (plans cached inside functions); the least is kept, and every run measures the same rounds in the same order.`);
  if (report.uuidComparison) {
    const uuid = report.uuidComparison;
    notes.push(
      `UUID v7 vs v4 primary keys, ${uuid.rows} rows each: PK index ${(uuid.v7.pkIndexBytes / 1048576).toFixed(1)} MiB vs ${(uuid.v4.pkIndexBytes / 1048576).toFixed(1)} MiB (v4/v7 = ${uuid.indexSizeRatio.toFixed(2)}×); insert ${uuid.v7.rowsPerSecond} vs ${uuid.v4.rowsPerSecond} rows/s (v7/v4 = ${uuid.insertRateRatio.toFixed(2)}×), of which id generation alone ${uuid.v7.generateOnlyMs} vs ${uuid.v4.generateOnlyMs} ms.`,
    );
  }
  const catalogue = relative(settings.root, settings.queryCatalogue) || settings.queryCatalogue;
  context.sections.plans = {
    scale: settings.bench.scale,
    seed: settings.bench.seed,
    catalogue,
    gates: { deterministic: describeDeterministicGates(report.gates), timings: timingGates(report.gates) },
    notes,
    queries: report.queries.map((query) => ({
      id: query.id,
      title: query.title,
      area: query.area,
      actor: query.actor,
      planNode: query.planNodes.top,
      indexes: query.planNodes.indexes,
      seqScans: query.seqScans,
      work: query.work,
      bypassWork: query.bypassWork,
      rlsWorkRatio: query.rlsWorkRatio,
      p50Ms: query.timings?.p50 ?? null,
      p95Ms: query.timings?.p95 ?? null,
      maxMs: query.timings?.max ?? null,
      rlsTimeRatio: query.rlsTimeRatio,
      status: query.passed ? 'pass' : 'fail',
      failures: query.failures,
    })),
  };
  const failing = report.queries.filter((query) => !query.passed);
  // queries.md: index-backed = no sequential scan over a table larger than
  // the limit (a seq scan of an empty or tiny partition is the right plan).
  const limit = settings.bench.gates.seqScanRowLimit;
  const indexBacked = report.queries.filter((query) => query.work !== null && query.seqScans.every((scan) => scan.rows <= limit) && query.expectedIndexMissing.length === 0).length;
  return {
    status: statusOf(report.passed),
    summary: `${indexBacked}/${report.queries.length} queries index-backed, ${report.queries.length - failing.length}/${report.queries.length} within every gate at scale ${settings.bench.scale} (gated on plan shape and work; wall times ${report.gates.timingsGate ? 'gated too' : 'reported only'})`,
    failures: failing.map((query) => ({
      gate: 'plans' as const,
      what: `query ${query.id} (${query.title}, as ${query.actor}): ${query.failures.join('; ')}`,
      where: `${catalogue} query ${query.id}`,
      replay: `schemaproof bench --scale ${settings.bench.scale} --query ${query.id}`,
    })),
  };
};

/** The gates the orchestrator runs (migrations and restore are its own; it decides the order and lanes). */
export const gateRunners: readonly (readonly [GateId, GateRunner])[] = [
  ['pgtap', pgtapGate],
  ['rls', rlsGate],
  ['mutation', mutationGate],
  ['plans', plansGate],
  ['lint', lintGate],
];
