/**
 * The verification report's data model: version 2. This is the documented
 * shape of reports/verification.json (see docs/report.md); the HTML,
 * Markdown and JUnit renderings are views of it. The report never talks to
 * Postgres: `src/verify` fills this model from the checkers' results.
 */

export const reportSchemaVersion = 2 as const;

export type Status = 'pass' | 'fail' | 'warn' | 'skipped' | 'error';

export const gateIds = ['migrations', 'pgtap', 'rls', 'mutation', 'plans', 'lint', 'restore'] as const;
export type GateId = (typeof gateIds)[number];

/** Every failure says what, where, and how to replay it. */
export interface Failure {
  readonly gate: GateId;
  readonly what: string;
  /** file:line, table, actor, query — whatever locates it. */
  readonly where: string;
  /** A command that reproduces it, when there is one. */
  readonly replay: string | null;
}

export interface GateResult {
  readonly id: GateId;
  readonly title: string;
  readonly status: Status;
  readonly summary: string;
  readonly durationMs: number;
  readonly failures: readonly Failure[];
}

/** One check a duty names, with what this run said about it. */
export interface ComplianceProof {
  /** `pgTAP tests/x.sql: test name`, `RLS property visibility`, `query q11`, `gate mutation`. */
  readonly check: string;
  /** pass/fail as the check ran; skipped = its gate did not run; error = the id matches nothing. */
  readonly status: Status;
  readonly detail: string | null;
}

export interface ComplianceDuty {
  readonly id: string;
  readonly duty: string;
  readonly regulation: string;
  readonly mechanism: string;
  readonly proofs: readonly ComplianceProof[];
  /** pass = every check ran and passed; fail = one failed; warn = one did not run; error = one matches nothing. */
  readonly status: Status;
}

export interface ComplianceSection {
  /** The project's map file, or null when the project has none. */
  readonly source: string | null;
  /** One sentence for the reader (what the map is, or that there is none). */
  readonly note: string;
  readonly duties: readonly ComplianceDuty[];
  /** Ids in the map that matched no check of this run (each an error). */
  readonly problems: readonly string[];
}

export interface InventoryColumn {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
  readonly default: string | null;
  readonly generated: string | null;
  readonly comment: string | null;
}

export interface InventoryTable {
  readonly name: string;
  readonly kind: string;
  readonly comment: string | null;
  readonly partitionOf: string | null;
  readonly rlsEnabled: boolean;
  readonly rlsForced: boolean;
  readonly estimatedRows: number;
  readonly columns: readonly InventoryColumn[];
  readonly indexes: readonly { readonly name: string; readonly definition: string }[];
  readonly constraints: readonly { readonly name: string; readonly type: string; readonly definition: string }[];
  readonly triggers: readonly string[];
  readonly policies: readonly { readonly name: string; readonly command: string; readonly roles: readonly string[]; readonly using: string | null; readonly withCheck: string | null }[];
  readonly grants: Readonly<Record<string, readonly string[]>>;
}

export interface AccessCell {
  readonly table: string;
  readonly actor: string;
  readonly operation: string;
  readonly expected: string;
  readonly observed: string;
  readonly status: Status;
}

export interface PgtapFileReport {
  readonly file: string;
  readonly status: Status;
  readonly planned: number | null;
  readonly passed: number;
  readonly failed: number;
  readonly durationMs: number;
  readonly failures: readonly { readonly what: string; readonly where: string; readonly diagnostics: string }[];
  /** Every test point as it ran (what the compliance map's test names refer to). */
  readonly assertions?: readonly { readonly number: number; readonly description: string; readonly ok: boolean }[];
}

export interface PropertyReport {
  readonly name: string;
  readonly runs: number;
  readonly status: Status;
  readonly seed: number | null;
  readonly counterexample: string | null;
  readonly replay: string | null;
}

export interface MutantReport {
  readonly name: string;
  readonly description: string;
  readonly caughtBy: string | null;
  readonly status: Status;
}

/** Work of one execution: counts that do not depend on the machine's load. */
export interface WorkReport {
  /** Shared buffers hit + read by the execution. */
  readonly buffers: number;
  /** Rows produced or removed by a filter, times loops, over every node. */
  readonly rows: number;
  /** Calls of the database's own functions (null: not counted, see plans.notes). */
  readonly functionCalls: number | null;
  /** Function calls in per-row filters times the rows they examined. */
  readonly filterCalls: number;
  /** buffers + functionCalls + filterCalls. */
  readonly total: number;
}

export interface QueryReport {
  readonly id: string;
  readonly title: string;
  readonly area: string | null;
  readonly actor: string;
  readonly planNode: string;
  readonly indexes: readonly string[];
  readonly seqScans: readonly { readonly relation: string; readonly rows: number }[];
  /** As the actor; null when the query did not run. */
  readonly work: WorkReport | null;
  /** The same statement as the RLS-bypassing actor. */
  readonly bypassWork: WorkReport | null;
  /** work.total ÷ bypassWork.total: the deterministic RLS overhead. */
  readonly rlsWorkRatio: number | null;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly maxMs: number | null;
  /** Median of the run-by-run time ratios (reported; gated only with the timing gates). */
  readonly rlsTimeRatio: number | null;
  readonly status: Status;
  readonly failures: readonly string[];
}

export interface PlansGates {
  /** The gates that decide the verdict: plan shape, indexes, work. */
  readonly deterministic: string;
  /** Whether wall times gate, and the project's reason when they do. */
  readonly timings: { readonly enabled: boolean; readonly reason: string | null; readonly summary: string };
}

export interface LintDocReport {
  readonly name: string;
  readonly title: string;
  readonly level: string;
  readonly description: string;
  readonly remediation: string;
}

export interface LintFindingReport {
  readonly lint: string;
  readonly level: string;
  readonly object: string;
  readonly detail: string;
  readonly remediation: string;
  readonly suppressed: boolean;
  readonly suppressionReason: string | null;
}

export interface BaselineChange {
  readonly kind: 'new_access' | 'lost_access' | 'lost_index' | 'more_work' | 'slower_query' | 'new_lint' | 'fixed_lint' | 'other';
  readonly what: string;
  readonly before: string;
  readonly after: string;
  readonly regression: boolean;
}

export interface VerificationReport {
  readonly schemaVersion: typeof reportSchemaVersion;
  readonly tool: { readonly name: 'schemaproof'; readonly version: string };
  readonly generatedAt: string;
  readonly durationMs: number;
  readonly verdict: 'pass' | 'fail';
  readonly gates: readonly GateResult[];
  readonly compliance: ComplianceSection;
  readonly inventory: {
    readonly schemas: readonly string[];
    readonly note: string;
    readonly tables: readonly InventoryTable[];
    readonly functions: readonly { readonly signature: string; readonly securityDefiner: boolean; readonly config: readonly string[]; readonly comment: string | null }[];
    readonly enums: readonly { readonly name: string; readonly labels: readonly string[] }[];
  };
  readonly accessMatrix: readonly AccessCell[];
  readonly pgtap: { readonly files: readonly PgtapFileReport[]; readonly assertions: number; readonly failedAssertions: number } | null;
  readonly rls: { readonly properties: readonly PropertyReport[]; readonly cases: number; readonly casesPerSecond: number | null; readonly seed: number | null } | null;
  readonly mutation: { readonly mutants: readonly MutantReport[]; readonly score: number; readonly seed?: number } | null;
  readonly plans: {
    readonly scale: string;
    readonly seed: number;
    readonly catalogue: string;
    readonly gates: PlansGates;
    readonly queries: readonly QueryReport[];
    readonly notes: readonly string[];
  } | null;
  readonly lint: { readonly catalogue: readonly LintDocReport[]; readonly findings: readonly LintFindingReport[] } | null;
  readonly migrations: { readonly files: readonly { readonly file: string; readonly kind: 'migration' | 'policy'; readonly sha256: string }[] };
  readonly restoreDrill: {
    readonly status: Status;
    readonly summary: string;
    readonly differences: readonly { readonly object: string; readonly aspect: string; readonly before: string; readonly after: string }[];
  } | null;
  readonly environment: Readonly<Record<string, string>>;
  readonly baseline: { readonly file: string; readonly changes: readonly BaselineChange[] } | null;
}

/** All failures in gate order: what every rendering puts first. */
export function allFailures(report: VerificationReport): Failure[] {
  return report.gates.flatMap((gate) => gate.failures);
}
