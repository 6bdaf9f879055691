/**
 * The verification report's data model: version 1. This is the documented
 * shape of reports/verification.json (see docs/report.md); the HTML,
 * Markdown and JUnit renderings are views of it. The report never talks to
 * Postgres: `src/verify` fills this model from the checkers' results.
 */

export const reportSchemaVersion = 1 as const;

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

export interface ComplianceDuty {
  readonly id: string;
  readonly duty: string;
  readonly regulation: string;
  readonly mechanism: string;
  /** The checks in this run that proved it (pgTAP files/assertions, properties). */
  readonly evidence: readonly string[];
  readonly status: Status;
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

export interface QueryReport {
  readonly id: string;
  readonly title: string;
  readonly actor: string;
  readonly planNode: string;
  readonly indexes: readonly string[];
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly maxMs: number | null;
  readonly rlsRatio: number | null;
  readonly status: Status;
  readonly failures: readonly string[];
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
  readonly kind: 'new_access' | 'lost_access' | 'lost_index' | 'slower_query' | 'new_lint' | 'fixed_lint' | 'other';
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
  readonly compliance: readonly ComplianceDuty[];
  readonly inventory: { readonly tables: readonly InventoryTable[]; readonly functions: readonly { readonly signature: string; readonly securityDefiner: boolean; readonly config: readonly string[]; readonly comment: string | null }[]; readonly enums: readonly { readonly name: string; readonly labels: readonly string[] }[] };
  readonly accessMatrix: readonly AccessCell[];
  readonly pgtap: { readonly files: readonly PgtapFileReport[]; readonly assertions: number; readonly failedAssertions: number } | null;
  readonly rls: { readonly properties: readonly PropertyReport[]; readonly cases: number; readonly casesPerSecond: number | null; readonly seed: number | null } | null;
  readonly mutation: { readonly mutants: readonly MutantReport[]; readonly score: number; readonly seed?: number } | null;
  readonly plans: {
    readonly scale: string;
    readonly seed: number;
    readonly queries: readonly QueryReport[];
    readonly notes: readonly string[];
  } | null;
  readonly lint: { readonly catalogue: readonly LintDocReport[]; readonly findings: readonly LintFindingReport[] } | null;
  readonly migrations: { readonly files: readonly { readonly file: string; readonly kind: 'migration' | 'policy'; readonly sha256: string }[] };
  readonly restoreDrill: { readonly status: Status; readonly summary: string; readonly differences: readonly { readonly object: string; readonly aspect: string; readonly before: string; readonly after: string }[] } | null;
  readonly environment: Readonly<Record<string, string>>;
  readonly baseline: { readonly file: string; readonly changes: readonly BaselineChange[] } | null;
}

/** All failures in gate order: what every rendering puts first. */
export function allFailures(report: VerificationReport): Failure[] {
  return report.gates.flatMap((gate) => gate.failures);
}
