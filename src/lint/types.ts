/**
 * The shape of a lint (one unit: name, docs, query) and of its findings.
 * Learned from supabase/splinter: each lint carries its own what / why / how
 * to fix, so the report can print the doc next to every finding.
 */
import type { Severity } from '../config/index.ts';

export type LintLevel = 'error' | 'warn';
export type LintCategory = 'security' | 'performance' | 'safety';
/** Where a lint looks: the catalogs of a migrated database, or the migration files. */
export type LintSource = 'catalog' | 'migration_files';

export interface LintDoc {
  /** Stable snake_case name (squawk rules: `squawk/<rule-name>`). */
  readonly name: string;
  readonly title: string;
  /** Default level; `settings.lint.severities[name]` overrides it. */
  readonly level: LintLevel;
  readonly categories: readonly LintCategory[];
  /** What the lint finds. */
  readonly description: string;
  /** Why it matters. */
  readonly rationale: string;
  /** How to fix it, with concrete SQL. */
  readonly remediation: string;
  /** Which objects it looks at (schemas, relation kinds), decided per lint. */
  readonly scope: string;
  readonly source: LintSource;
  /**
   * The catalog query (schema lints): one row per finding with `object`
   * (schema-qualified name), `detail`, and optionally `remediation` (SQL for
   * this object). Parameters come from transaction-local settings
   * `schemaproof.lint_*` (see `scope.ts`). Null for file lints.
   */
  readonly query: string | null;
}

/** A row returned by a lint's query. Extra columns are allowed (see `refine`). */
export interface LintRow {
  readonly object: string;
  readonly detail: string;
  readonly remediation?: string | null;
  readonly [column: string]: unknown;
}

export interface RefineContext {
  readonly policyFunctions: readonly string[];
}

export interface SchemaLint extends LintDoc {
  readonly source: 'catalog';
  readonly query: string;
  /**
   * Optional second stage in TypeScript, for the one check SQL cannot do
   * well (parsing deparsed policy expressions): maps each query row to zero
   * or more findings.
   */
  readonly refine?: (row: LintRow, context: RefineContext) => readonly LintRow[];
}

export interface SourceLocation {
  /** Path relative to the project root. */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

export interface Finding {
  readonly lint: string;
  readonly level: LintLevel;
  readonly categories: readonly LintCategory[];
  /** The object the finding is about: `schema.table`, `schema.table.column`, `schema.fn(args)`, or `file:line` for file lints. */
  readonly object: string;
  readonly detail: string;
  readonly remediation: string;
  readonly location: SourceLocation | null;
  readonly suppressed: boolean;
  readonly suppressionReason?: string;
}

export interface Suppression {
  readonly lint: string;
  /** Exact object name; for file lints also a bare file path (`sql/00003-x.sql`) to cover the whole file. */
  readonly object: string;
  readonly reason: string;
}

/** A lint as configured for this run. */
export interface ConfiguredLint extends LintDoc {
  readonly severity: Severity;
}

export interface LintResult {
  /** The catalogue with docs and the severity used in this run (for the report). */
  readonly lints: readonly ConfiguredLint[];
  /** Every finding, suppressed ones included (flagged); errors first, then by lint and object. */
  readonly findings: readonly Finding[];
  /** Unsuppressed error-level findings: the gate. */
  readonly errorCount: number;
  /** Unsuppressed warn-level findings. */
  readonly warnCount: number;
  readonly suppressedCount: number;
  /** Suppressions that matched no finding (stale entries worth removing). */
  readonly unusedSuppressions: readonly Suppression[];
  readonly squawk: { readonly enabled: boolean; readonly binary: string | null; readonly version: string | null; readonly configFile: string | null };
  readonly durationMs: number;
}
