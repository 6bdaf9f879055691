/**
 * `verify`: provision → migrate → pgTAP → RLS properties + mutation → plans
 * → lints → restore drill → report. One run, one verdict. Each gate is
 * isolated: a gate that cannot run is reported as `error` with what and why,
 * and the others still run where they can.
 */
import { cpus, platform, release } from 'node:os';
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultComplianceMap, type Settings } from '../config/index.ts';
import { describeError, exitCodeFor, exitCodes, isSchemaproofError, type ExitCode, type SchemaproofError } from '../errors/index.ts';
import { inventoryScope, readInventory, type SchemaInventory } from '../inventory/index.ts';
import { loadCatalogue } from '../plans/index.ts';
import { readMigrationFiles, readPolicyFiles } from '../migrate/index.ts';
import { diskFullCause, serverVersion, withClone } from '../postgres/index.ts';
import {
  gateIds,
  writeReport,
  reportSchemaVersion,
  type ComplianceSection,
  type Failure,
  type GateId,
  type GateResult,
  type Status,
  type VerificationReport,
  type WrittenReport,
} from '../report/index.ts';
import { restoreDrill } from '../restore/index.ts';
import { openBenchData, type BenchData } from '../datagen/index.ts';
import { openProjectWorkspace, type Workspace } from '../workspace/index.ts';
import { compareReports, readBaseline } from './baseline.ts';
import { evaluateCompliance, loadComplianceMap, type ComplianceInputs, type ComplianceMap } from './compliance.ts';
import { gateRunners, type GateContext, type GateOutcome, type GateRunner, type Sections } from './gates.ts';

export { complianceMapSchema, evaluateCompliance, loadComplianceMap, type ComplianceInputs, type ComplianceMap, type ProofSpec } from './compliance.ts';
export { compareReports, readBaseline } from './baseline.ts';

export interface VerifyOptions {
  readonly settings: Settings;
  readonly databaseUrl?: string | undefined;
  /** On a server schemaproof did not start: create the missing Supabase roles (--install-shim). */
  readonly installShim?: boolean;
  /** An earlier verification.json to compare against. */
  readonly baseline?: string | null;
  readonly onProgress?: (message: string) => void;
  /** Write the four report files (default true). */
  readonly write?: boolean;
  /** Gates to leave out (reported as skipped, with the reason). */
  readonly skip?: readonly GateId[];
}

export interface VerifyResult {
  readonly report: VerificationReport;
  readonly written: WrittenReport | null;
  /** 0 all gates passed, 1 checks failed, other = could not run (see README). */
  readonly exitCode: ExitCode;
}

const titles: Record<GateId, string> = {
  migrations: 'Migrations and policies apply',
  pgtap: 'pgTAP suites',
  rls: 'RLS property tests',
  mutation: 'Mutation self-test',
  plans: 'Query plans and timings',
  lint: 'Lints',
  restore: 'Restore drill',
};

function toolVersion(): string {
  try {
    const file = fileURLToPath(new URL('../../package.json', import.meta.url));
    return String((JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? '0.0.0');
  } catch {
    return '0.0.0';
  }
}

function errorOutcome(id: GateId, error: unknown): GateOutcome {
  const what = isSchemaproofError(error) ? describeError(error.detail) : `internal error: ${(error as Error).message?.split('\n')[0] ?? String(error)}`;
  const detail = isSchemaproofError(error) ? error.detail : null;
  const located = detail?.code === 'sql_error' ? detail.location : detail?.code === 'migration_statement_refused' ? (detail.statements[0]?.location ?? null) : null;
  const where = located ? `${located.file}:${located.line}:${located.column}` : id;
  return { status: 'error', summary: what, failures: [{ gate: id, what, where, replay: `schemaproof ${id === 'migrations' ? 'migrate' : id}` }] };
}

export async function verify(options: VerifyOptions): Promise<VerifyResult> {
  const started = performance.now();
  const { settings } = options;
  const progress = options.onProgress ?? (() => undefined);
  const skip = new Set(options.skip ?? []);
  const gates: GateResult[] = [];
  const sections: Sections = {};
  // The compliance map is checked before anything runs: a typo in it costs seconds, not a run.
  const complianceFile = settings.complianceMap;
  const complianceMap = loadComplianceMap(complianceFile, {
    root: settings.root,
    required: complianceFile !== resolve(settings.root, defaultComplianceMap),
    queryIds: catalogueIds(settings),
  });
  const scope = inventoryScope(settings.accessSpec, settings.inventorySchemas);
  let inventory: SchemaInventory = { relations: [], functions: [], enums: [] };
  const environment: Record<string, string> = {
    node: process.version,
    os: `${platform()} ${release()}`,
    cores: String(cpus().length),
    'config file': settings.configFile ?? '(defaults)',
    'project root': settings.root,
    'bench scale': settings.bench.scale,
    'bench seed': String(settings.bench.seed),
    'rls runs': String(settings.rls.runs),
  };
  const record = (id: GateId, outcome: GateOutcome, durationMs: number) => {
    gates.push({ id, title: titles[id], status: outcome.status, summary: outcome.summary, durationMs, failures: outcome.failures });
    progress(`${id}: ${outcome.status} — ${outcome.summary}`);
  };

  let workspace: Workspace | null = null;
  let benchData: Promise<BenchData> | undefined;
  let fatal: unknown = null;
  /** The first gate that could not run for a reason with its own exit code (disk full, invalid input, ...). */
  let couldNotRun: SchemaproofError | null = null;
  const migrateStarted = performance.now();
  progress('migrations: provisioning Postgres and building the migrated template');
  try {
    workspace = await openProjectWorkspace(settings, options.databaseUrl ?? settings.databaseUrl, { installShim: options.installShim === true });
    for (const line of workspace.shim.created) if (options.installShim) progress(`migrations: --install-shim created ${line}`);
    const migration = workspace.migration;
    record(
      'migrations',
      {
        status: 'pass',
        summary: `${migration.applied.length} migration(s) and ${migration.policies.length} policy file(s) applied in one transaction in ${migration.durationMs.toFixed(0)} ms; policies re-applied idempotently`,
        failures: [],
      },
      performance.now() - migrateStarted,
    );
  } catch (error) {
    fatal = diskFullCause(error) ?? error;
    record('migrations', errorOutcome('migrations', fatal), performance.now() - migrateStarted);
  }

  try {
    if (workspace) {
      const ws = workspace;
      await withClone(ws.template, 'inventory', async (db) => {
        if (scope.schemas.length > 0) inventory = await readInventory(db, scope.schemas);
        environment.postgres = await serverVersion(db);
      });
      environment.server = ws.server.description;
      environment['provision ms'] = ws.timings.provisionMs.toFixed(0);
      environment['template ms'] = ws.timings.templateMs.toFixed(0);
      // The benchmark's data is prepared (reused from the cache, or
      // generated on a cluster of its own) while the gates before it run.
      if (settings.bench.enabled && !skip.has('plans')) {
        benchData = openBenchData({ settings, workspace: ws, scale: settings.bench.scale, seed: settings.bench.seed, onProgress: (message) => progress(`plans: data: ${message.trim()}`) });
        benchData.catch(() => undefined);
      }
      const context: GateContext = { settings, workspace: ws, progress, sections, ...(benchData ? { benchData } : {}) };
      const plansAlone = settings.bench.gates.timingsGate;
      const runners = new Map<GateId, GateRunner>([...gateRunners, ['restore', runRestoreGate]]);
      const unable = new Map<GateId, SchemaproofError>();
      const runGate = async (id: GateId): Promise<void> => {
        if (skip.has(id)) {
          record(id, { status: 'skipped', summary: 'skipped on request', failures: [] }, 0);
          return;
        }
        if (id === 'restore' && !settings.restoreDrill) {
          record(id, { status: 'skipped', summary: 'disabled in config (restoreDrill: false)', failures: [] }, 0);
          return;
        }
        const gateStarted = performance.now();
        progress(id === 'restore' ? 'restore: pg_dump → pg_restore → compare' : `${id}: running`);
        let outcome: GateOutcome;
        try {
          outcome = await runners.get(id)!(context);
        } catch (error) {
          const cause = diskFullCause(error) ?? error;
          if (isSchemaproofError(cause)) unable.set(id, cause);
          outcome = errorOutcome(id, cause);
        }
        if (id === 'plans' && !plansAlone && sections.plans) {
          const note =
            'Timed while the other gates ran beside it (verify runs its gates in two lanes); `schemaproof bench` times the catalogue alone. The verdict rests on plans and work, not on time.';
          sections.plans = { ...sections.plans, notes: [...sections.plans.notes, note] };
        }
        record(id, outcome, performance.now() - gateStarted);
      };
      const inOrder = async (ids: readonly GateId[]): Promise<void> => {
        for (const id of ids) await runGate(id);
      };
      // Two lanes: the RLS gates (the longest) beside the others. Gates are
      // independent (each works on clones of the template, and verdicts rest
      // on counts, plans and work, never on time), so running them side by
      // side changes no verdict. The one exception is wall-time gating: with
      // bench.gates.timingsGate on, the plans gate runs alone at the end.
      await Promise.all([inOrder(['rls', 'mutation']), inOrder(['pgtap', 'lint', 'restore', ...(plansAlone ? [] : (['plans'] as const))])]);
      if (plansAlone) await runGate('plans');
      // The first gate that could not run, in report order (not in finishing order).
      for (const id of gateIds) couldNotRun ??= unable.get(id) ?? null;
    } else {
      for (const id of ['pgtap', 'rls', 'mutation', 'plans', 'lint', 'restore'] as const) record(id, { status: 'skipped', summary: 'not run: migrations failed', failures: [] }, 0);
    }
  } finally {
    await benchData?.then((data) => data.close()).catch(() => undefined);
    await workspace?.close();
  }

  const files = [
    ...safeFiles(() => readMigrationFiles(settings.sqlDir, settings.root, settings.migrationNaming).map((file) => ({ file: file.displayPath, kind: 'migration' as const, sha256: file.sha256 }))),
    ...safeFiles(() => readPolicyFiles(settings.policiesDir, settings.root).map((file) => ({ file: file.displayPath, kind: 'policy' as const, sha256: file.sha256 }))),
  ];
  let report: VerificationReport = {
    schemaVersion: reportSchemaVersion,
    tool: { name: 'schemaproof', version: toolVersion() },
    generatedAt: new Date().toISOString(),
    durationMs: performance.now() - started,
    verdict: 'pass',
    gates: [...gates].sort((a, b) => gateIds.indexOf(a.id) - gateIds.indexOf(b.id)),
    compliance: complianceSection(settings, complianceMap, { pgtap: sections.pgtap ?? null, rls: sections.rls ?? null, plans: sections.plans ?? null, gates }),
    inventory: {
      schemas: scope.schemas,
      note: scope.note,
      tables: inventory.relations.map((relation) => ({
        name: relation.schema === 'public' ? relation.name : `${relation.schema}.${relation.name}`,
        kind: relation.kind,
        comment: relation.comment,
        partitionOf: relation.partitionOf,
        rlsEnabled: relation.rlsEnabled,
        rlsForced: relation.rlsForced,
        estimatedRows: relation.estimatedRows,
        columns: relation.columns,
        indexes: relation.indexes,
        constraints: relation.constraints,
        triggers: relation.triggers.map((trigger) => trigger.name),
        policies: relation.policies,
        grants: relation.grants,
      })),
      functions: inventory.functions.map((fn) => ({ signature: fn.signature, securityDefiner: fn.securityDefiner, config: fn.config, comment: fn.comment })),
      enums: inventory.enums.map((entry) => ({ name: entry.name, labels: entry.labels })),
    },
    accessMatrix: sections.accessMatrix ?? [],
    pgtap: sections.pgtap ?? null,
    rls: sections.rls ?? null,
    mutation: sections.mutation ?? null,
    plans: sections.plans ?? null,
    lint: sections.lint ?? null,
    migrations: { files },
    restoreDrill: sections.restoreDrill ?? null,
    environment,
    baseline: null,
  };
  const baselineFile = options.baseline ?? null;
  if (baselineFile) {
    const previous = readBaseline(baselineFile);
    const changes = compareReports(previous, report, settings.bench.gates);
    const regressions = changes.filter((change) => change.regression);
    const failures: Failure[] = regressions.map((change) => ({
      gate: change.kind === 'new_lint' ? 'lint' : change.kind === 'new_access' ? 'rls' : 'plans',
      what: `${change.kind.replace('_', ' ')}: ${change.what} (${change.before} → ${change.after})`,
      where: baselineFile,
      replay: `schemaproof verify --baseline ${baselineFile}`,
    }));
    report = {
      ...report,
      baseline: { file: baselineFile, changes },
      gates: report.gates.map((gate) => {
        const extra = failures.filter((failure) => failure.gate === gate.id);
        return extra.length === 0 ? gate : { ...gate, status: 'fail' as Status, summary: `${gate.summary}; ${extra.length} regression(s) since baseline`, failures: [...gate.failures, ...extra] };
      }),
    };
  }
  const mapInvalid = report.compliance.problems.length > 0;
  const failed = mapInvalid || report.gates.some((gate) => gate.status === 'fail' || gate.status === 'error');
  report = { ...report, verdict: failed ? 'fail' : 'pass', durationMs: performance.now() - started };
  const written = options.write === false ? null : writeReport(report, settings.reportsDir);
  let exitCode: ExitCode = failed ? exitCodes.checksFailed : exitCodes.ok;
  // A compliance map naming checks that do not exist is invalid input (exit 6), found only once the checks ran.
  if (mapInvalid) exitCode = exitCodes.input;
  // A gate that could not run (full disk, invalid input, pgTAP missing) is not a verdict on the schema: its own code.
  const stopped = fatal ?? couldNotRun;
  if (stopped !== null) exitCode = isSchemaproofError(stopped) ? exitCodeFor(stopped.detail) : exitCodes.internal;
  return { report, written, exitCode };
}

/** The catalogue's query ids, or null when it cannot be read (the plans gate reports that). */
function catalogueIds(settings: Settings): string[] | null {
  try {
    return loadCatalogue(settings.queryCatalogue).queries.map((query) => query.id);
  } catch {
    return null;
  }
}

function complianceSection(settings: Settings, map: ComplianceMap | null, inputs: ComplianceInputs): ComplianceSection {
  const source = relative(settings.root, settings.complianceMap) || settings.complianceMap;
  if (!map) {
    return { source: null, note: `This project has no compliance map (${source}, config key complianceMap), so the report makes no compliance claim.`, duties: [], problems: [] };
  }
  const evaluated = evaluateCompliance(map, inputs);
  const note =
    map.duties.length === 0
      ? `The compliance map ${source} lists no duties.`
      : `${map.duties.length} duties from ${source}, each with the checks of this run that prove it: proved only when every check it names ran and passed.`;
  return { source, note, duties: evaluated.duties, problems: evaluated.problems };
}

function safeFiles<T>(read: () => T[]): T[] {
  try {
    return read();
  } catch {
    return [];
  }
}

async function runRestoreGate(context: GateContext): Promise<GateOutcome> {
  const drill = await restoreDrill(context.workspace.server, context.workspace.template);
  const followUps: Failure[] = [];
  const notes: string[] = [];
  try {
    for (const follow of context.restoreFollowUps ?? []) {
      const result = await follow(drill.restored);
      notes.push(result.summary);
      followUps.push(...result.failures);
    }
  } finally {
    await drill.restored.drop();
  }
  const failures: Failure[] = [
    ...drill.differences.map((difference) => ({
      gate: 'restore' as const,
      what: `${difference.aspect} changed after pg_dump/pg_restore: ${difference.before} → ${difference.after}`,
      where: difference.object,
      replay: 'schemaproof verify',
    })),
    ...followUps,
  ];
  const summary = `dump ${(drill.dumpBytes / 1024).toFixed(0)} KiB in ${drill.dumpMs.toFixed(0)} ms, restore ${drill.restoreMs.toFixed(0)} ms; ${drill.relationsCompared} relations and ${drill.functionsCompared} functions compared, ${drill.differences.length} difference(s)${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`;
  context.sections.restoreDrill = { status: failures.length === 0 ? 'pass' : 'fail', summary, differences: drill.differences };
  return { status: failures.length === 0 ? 'pass' : 'fail', summary, failures };
}
