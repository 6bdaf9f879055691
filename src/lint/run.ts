/**
 * Run the lints: schema lints on a migrated database (read-only, one
 * transaction), file lints on the migration files, then apply the configured
 * severities and suppressions.
 */
import { sql, type Queryable } from '@databases/pg';
import type { Settings, Severity } from '../config/index.ts';
import { withClone, type Template } from '../postgres/index.ts';
import { SchemaproofError } from '../errors/index.ts';
import { readMigrationFiles, readPolicyFiles, type MigrationNaming } from '../migrate/files.ts';
import { findRefusedStatements } from '../migrate/refused.ts';
import { policyInMigrations, findPolicyStatements } from './files/policy-in-migrations.ts';
import { refusedStatementLint } from './files/refused-statements.ts';
import { defaultSquawkLevel, runSquawk, squawkLint, squawkRemediation } from './files/squawk.ts';
import { schemaLints } from './rules/index.ts';
import { applyLintParameters, defaultScope, policyHelperFunctions, type LintScope } from './scope.ts';
import type { ConfiguredLint, Finding, LintCategory, LintDoc, LintLevel, LintResult, LintRow, SourceLocation, Suppression } from './types.ts';

/** Just the doc fields (no refine function), for the catalogue and the report. */
function docOf(lint: LintDoc): LintDoc {
  const { name, title, level, categories, description, rationale, remediation, scope, source, query } = lint;
  return { name, title, level, categories, description, rationale, remediation, scope, source, query };
}

/** Every lint with its doc, in report order: schema lints, then file lints. */
export const lintCatalogue: readonly LintDoc[] = [...schemaLints, policyInMigrations, refusedStatementLint, squawkLint].map(docOf);

export interface LintOptions {
  /** A migrated database (use a clone: nothing is written, but nothing should share it). Null runs the file lints only. */
  readonly db: Queryable | null;
  /** Absolute path of the migrations directory. */
  readonly sqlDir: string;
  /** How the migration files are named (default `numbered`). */
  readonly migrationNaming?: MigrationNaming;
  /** Absolute path of the policies directory (its files are checked for refused statements too); absent: not checked. */
  readonly policiesDir?: string;
  /** Project root: file paths in findings are relative to it; `.squawk.toml` is looked up here. */
  readonly root: string;
  /** `settings.lint.severities`: lint name (or `squawk/<rule>`, or `squawk` for all its rules) → error | warn | off. */
  readonly severities?: Readonly<Record<string, Severity>>;
  /** `settings.lint.suppressions`. */
  readonly suppressions?: readonly Suppression[];
  /** `settings.lint.squawk`: run squawk (default true). */
  readonly squawk?: boolean;
  readonly squawkBinary?: string;
  /** Default: `<root>/.squawk.toml` when present. */
  readonly squawkConfig?: string | null;
  /** Which schemas and roles count (defaults in scope.ts). */
  readonly scope?: Partial<LintScope>;
  /** For error messages about bad lint names in the config. */
  readonly configFile?: string | null;
}

/** A finding before severities and suppressions are applied. */
export interface CandidateFinding {
  readonly lint: string;
  readonly defaultLevel: LintLevel;
  readonly categories: readonly LintCategory[];
  readonly object: string;
  readonly detail: string;
  readonly remediation: string;
  readonly location: SourceLocation | null;
}

const squawkPrefix = 'squawk/';

function validateConfig(options: LintOptions): void {
  const known = new Set(lintCatalogue.map((lint) => lint.name));
  const isKnown = (name: string): boolean => known.has(name) || (name.startsWith(squawkPrefix) && /^[a-z0-9-]+$/.test(name.slice(squawkPrefix.length)));
  const problems: string[] = [];
  for (const name of Object.keys(options.severities ?? {})) {
    if (!isKnown(name)) problems.push(`lint.severities.${name}: unknown lint (known: ${[...known].join(', ')}, squawk/<rule-name>)`);
  }
  (options.suppressions ?? []).forEach((suppression, position) => {
    if (!isKnown(suppression.lint)) problems.push(`lint.suppressions.${position}.lint: unknown lint "${suppression.lint}"`);
  });
  if (problems.length > 0) throw new SchemaproofError({ code: 'config_invalid', file: options.configFile ?? '(lint options)', problems });
}

function severityOf(name: string, defaultLevel: LintLevel, severities: Readonly<Record<string, Severity>>): Severity {
  const own = severities[name];
  if (own) return own;
  if (name.startsWith(squawkPrefix)) return severities.squawk ?? defaultLevel;
  return defaultLevel;
}

function rowToFinding(lint: LintDoc, row: LintRow): CandidateFinding {
  return {
    lint: lint.name,
    defaultLevel: lint.level,
    categories: lint.categories,
    object: String(row.object),
    detail: String(row.detail),
    remediation: typeof row.remediation === 'string' && row.remediation !== '' ? row.remediation : lint.remediation,
    location: null,
  };
}

/** Thrown to roll back the lint transaction once the rows are read. */
class RollbackWith {
  constructor(readonly found: CandidateFinding[]) {}
}

/**
 * Run the schema lints whose severity is not off, in one read-only
 * transaction that is rolled back afterwards (so the transaction-local
 * parameters never leak). `db` may itself be a transaction: the lints then
 * run in a savepoint and see its uncommitted changes.
 */
export async function runSchemaLints(db: Queryable, scope: LintScope, enabled: (name: string) => boolean): Promise<CandidateFinding[]> {
  try {
    await db.tx(
      async (tx) => {
        await applyLintParameters(tx, scope);
        // The project's own helpers called in policies count as per-call functions too.
        const helpers = await policyHelperFunctions(tx, scope);
        const extended: LintScope = { ...scope, policyFunctions: [...new Set([...scope.policyFunctions, ...helpers])] };
        if (helpers.length > 0) await applyLintParameters(tx, extended);
        const found: CandidateFinding[] = [];
        for (const lint of schemaLints) {
          if (!enabled(lint.name)) continue;
          const rows = (await tx.query(sql.__dangerous__rawValue(lint.query))) as LintRow[];
          for (const row of rows) {
            const refined = lint.refine ? lint.refine(row, { policyFunctions: extended.policyFunctions }) : [row];
            for (const entry of refined) found.push(rowToFinding(lint, entry));
          }
        }
        // Not an Error on purpose: it carries the rows out of the transaction it rolls back and is caught below.
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw new RollbackWith(found);
      },
      { readOnly: true },
    );
  } catch (outcome) {
    if (outcome instanceof RollbackWith) return outcome.found;
    throw outcome;
  }
  return [];
}

/** Run the file lints (policy_in_migrations, transaction_control_in_migration, squawk) on the migration (and policy) files. */
export async function runFileLints(options: LintOptions, enabled: (name: string) => boolean): Promise<{ findings: CandidateFinding[]; squawk: LintResult['squawk'] }> {
  const files = readMigrationFiles(options.sqlDir, options.root, options.migrationNaming);
  const findings: CandidateFinding[] = [];
  if (enabled(policyInMigrations.name)) {
    for (const file of files) {
      for (const statement of findPolicyStatements(file.script)) {
        findings.push({
          lint: policyInMigrations.name,
          defaultLevel: policyInMigrations.level,
          categories: policyInMigrations.categories,
          object: `${file.displayPath}:${statement.line}`,
          detail: `\`${statement.statement}\` in a migration; row-level security belongs in policies/`,
          remediation: policyInMigrations.remediation,
          location: { file: file.displayPath, line: statement.line, column: statement.column },
        });
      }
    }
  }
  if (enabled(refusedStatementLint.name)) {
    const policies = options.policiesDir ? readPolicyFiles(options.policiesDir, options.root) : [];
    for (const file of [...files, ...policies]) {
      for (const refused of findRefusedStatements(file.script)) {
        findings.push({
          lint: refusedStatementLint.name,
          defaultLevel: refusedStatementLint.level,
          categories: refusedStatementLint.categories,
          object: `${file.displayPath}:${refused.line}`,
          detail: `\`${refused.statement}\`: ${refused.why}`,
          remediation: refused.remedy,
          location: { file: file.displayPath, line: refused.line, column: refused.column },
        });
      }
    }
  }
  const squawkEnabled = options.squawk !== false && enabled(squawkLint.name);
  if (!squawkEnabled) return { findings, squawk: { enabled: false, binary: null, version: null, configFile: null } };
  const result = await runSquawk({
    root: options.root,
    files: files.map((file) => file.path),
    ...(options.squawkBinary ? { binary: options.squawkBinary } : {}),
    ...(options.squawkConfig !== undefined ? { configFile: options.squawkConfig } : {}),
  });
  for (const violation of result.violations) {
    findings.push({
      lint: `${squawkPrefix}${violation.rule}`,
      defaultLevel: defaultSquawkLevel(violation.rule),
      categories: squawkLint.categories,
      object: `${violation.file}:${violation.line}`,
      detail: violation.message,
      remediation: squawkRemediation(violation.rule, violation.help),
      location: { file: violation.file, line: violation.line, column: violation.column },
    });
  }
  return { findings, squawk: { enabled: true, binary: result.binary, version: result.version, configFile: result.configFile } };
}

function matches(suppression: Suppression, finding: CandidateFinding): boolean {
  const lintMatches = suppression.lint === finding.lint || (suppression.lint === squawkLint.name && finding.lint.startsWith(squawkPrefix));
  if (!lintMatches) return false;
  return suppression.object === finding.object || (finding.location !== null && suppression.object === finding.location.file);
}

export async function runLints(options: LintOptions): Promise<LintResult> {
  const started = performance.now();
  validateConfig(options);
  const severities = options.severities ?? {};
  const scope: LintScope = { ...defaultScope, ...options.scope };
  const configured: ConfiguredLint[] = lintCatalogue.map((lint) => ({ ...lint, severity: severityOf(lint.name, lint.level, severities) }));
  const enabled = (name: string): boolean => configured.find((lint) => lint.name === name)?.severity !== 'off';

  const raw: CandidateFinding[] = [];
  if (options.db) raw.push(...(await runSchemaLints(options.db, scope, enabled)));
  const files = await runFileLints(options, enabled);
  raw.push(...files.findings);

  const suppressions = options.suppressions ?? [];
  const used = new Set<Suppression>();
  const findings: Finding[] = [];
  for (const entry of raw) {
    const severity = severityOf(entry.lint, entry.defaultLevel, severities);
    if (severity === 'off') continue;
    const suppression = suppressions.find((candidate) => matches(candidate, entry));
    if (suppression) used.add(suppression);
    findings.push({
      lint: entry.lint,
      level: severity,
      categories: entry.categories,
      object: entry.object,
      detail: entry.detail,
      remediation: entry.remediation,
      location: entry.location,
      suppressed: suppression !== undefined,
      ...(suppression ? { suppressionReason: suppression.reason } : {}),
    });
  }
  const order = new Map(lintCatalogue.map((lint, position) => [lint.name, position]));
  const rank = (finding: Finding): number => order.get(finding.lint) ?? order.get(squawkLint.name) ?? 0;
  findings.sort(
    (left, right) =>
      Number(left.suppressed) - Number(right.suppressed) ||
      (left.level === right.level ? 0 : left.level === 'error' ? -1 : 1) ||
      rank(left) - rank(right) ||
      left.lint.localeCompare(right.lint) ||
      (left.location && right.location ? left.location.file.localeCompare(right.location.file) || left.location.line - right.location.line : 0) ||
      left.object.localeCompare(right.object),
  );
  const active = findings.filter((finding) => !finding.suppressed);
  return {
    lints: configured,
    findings,
    errorCount: active.filter((finding) => finding.level === 'error').length,
    warnCount: active.filter((finding) => finding.level === 'warn').length,
    suppressedCount: findings.length - active.length,
    unusedSuppressions: suppressions.filter((suppression) => !used.has(suppression)),
    squawk: files.squawk,
    durationMs: performance.now() - started,
  };
}

/**
 * The file lints alone (no database): what `lint` can still report when the
 * migrations cannot be applied, e.g. because `migrate` refused a statement.
 */
export function lintProjectFiles(settings: Settings, options: { readonly squawk?: boolean } = {}): Promise<LintResult> {
  return runLints({
    db: null,
    sqlDir: settings.sqlDir,
    migrationNaming: settings.migrationNaming,
    policiesDir: settings.policiesDir,
    root: settings.root,
    severities: settings.lint.severities,
    suppressions: settings.lint.suppressions,
    squawk: settings.lint.squawk && options.squawk !== false,
    configFile: settings.configFile,
  });
}

/**
 * The configured lints on a fresh clone of a migrated template (the schema
 * lints read it; nothing is written) plus the file lints on settings.sqlDir.
 * `squawk: false` turns squawk off even when the config enables it.
 */
export function lintTemplate(template: Template, settings: Settings, options: { readonly squawk?: boolean } = {}): Promise<LintResult> {
  return withClone(template, 'lint', (db) =>
    runLints({
      db,
      sqlDir: settings.sqlDir,
      migrationNaming: settings.migrationNaming,
      policiesDir: settings.policiesDir,
      root: settings.root,
      severities: settings.lint.severities,
      suppressions: settings.lint.suppressions,
      squawk: settings.lint.squawk && options.squawk !== false,
      configFile: settings.configFile,
    }),
  );
}
