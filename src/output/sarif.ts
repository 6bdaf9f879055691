/**
 * SARIF 2.1.0 (the format GitHub code scanning and other CI tools ingest) for
 * lint findings and migration errors: one rule per lint or error code, with
 * its help text; one result per finding at file:line:column where the
 * finding has a place in a file (migration-file lints, SQL errors, refused
 * statements), else at its database object as a logical location.
 * Suppressed findings are results with an external suppression and its
 * reason, as SARIF expects, not left out.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { ErrorDetail, SourceLocation as ErrorLocation } from '../errors/index.ts';
import { describeError, postgresNotes } from '../errors/index.ts';
import type { ConfiguredLint, Finding, LintResult } from '../lint/types.ts';

export const sarifVersion = '2.1.0' as const;
export const sarifSchemaUri = 'https://json.schemastore.org/sarif-2.1.0.json';
const informationUri = 'https://github.com/schemaproof/schemaproof';

export type SarifLevel = 'error' | 'warning' | 'note' | 'none';

export interface SarifRegion {
  readonly startLine: number;
  readonly startColumn?: number;
}

export interface SarifLocation {
  readonly physicalLocation?: { readonly artifactLocation: { readonly uri: string; readonly uriBaseId?: string }; readonly region?: SarifRegion };
  readonly logicalLocations?: readonly { readonly fullyQualifiedName: string; readonly kind?: string }[];
}

export interface SarifRule {
  readonly id: string;
  readonly name?: string;
  readonly shortDescription: { readonly text: string };
  readonly fullDescription?: { readonly text: string };
  readonly help: { readonly text: string };
  readonly defaultConfiguration?: { readonly level: SarifLevel; readonly enabled?: boolean };
  readonly properties?: { readonly tags?: readonly string[] };
}

export interface SarifResult {
  readonly ruleId: string;
  readonly ruleIndex?: number;
  readonly level: SarifLevel;
  readonly message: { readonly text: string };
  readonly locations: readonly SarifLocation[];
  readonly suppressions?: readonly { readonly kind: 'external' | 'inSource'; readonly justification?: string }[];
  readonly properties?: Readonly<Record<string, unknown>>;
}

export interface SarifRun {
  readonly tool: { readonly driver: { readonly name: string; readonly version: string; readonly informationUri: string; readonly rules: readonly SarifRule[] } };
  readonly originalUriBaseIds?: Readonly<Record<string, { readonly uri: string }>>;
  readonly results: readonly SarifResult[];
}

export interface SarifLog {
  readonly $schema: string;
  readonly version: typeof sarifVersion;
  readonly runs: readonly SarifRun[];
}

export interface SarifOptions {
  /** schemaproof's version (the tool driver's). */
  readonly toolVersion: string;
  /** The project root the findings' file paths are relative to. */
  readonly root: string;
  /** Paths in the SARIF file are made relative to this directory (default: `root`); GitHub wants the repository root. */
  readonly baseDir?: string;
}

/** A forward-slash path relative to `baseDir` (as SARIF's relative URIs and GitHub expect). */
function artifactUri(file: string, options: SarifOptions): string {
  const absolute = isAbsolute(file) ? file : resolve(options.root, file);
  const path = relative(options.baseDir ?? options.root, absolute);
  return path.split(sep).map(encodeURIComponent).join('/');
}

function levelOf(level: 'error' | 'warn'): SarifLevel {
  return level === 'error' ? 'error' : 'warning';
}

function ruleFor(lint: ConfiguredLint): SarifRule {
  return {
    id: lint.name,
    name: lint.name,
    shortDescription: { text: lint.title },
    fullDescription: { text: `${lint.description} ${lint.rationale}`.trim() },
    help: { text: lint.remediation },
    defaultConfiguration: lint.severity === 'off' ? { level: 'none', enabled: false } : { level: levelOf(lint.severity) },
    properties: { tags: [...lint.categories] },
  };
}

function findingLocation(finding: Finding, options: SarifOptions): SarifLocation {
  if (finding.location) {
    return {
      physicalLocation: {
        artifactLocation: { uri: artifactUri(finding.location.file, options), uriBaseId: '%SRCROOT%' },
        region: { startLine: finding.location.line, startColumn: finding.location.column },
      },
    };
  }
  return { logicalLocations: [{ fullyQualifiedName: finding.object, kind: 'object' }] };
}

function run(rules: readonly SarifRule[], results: readonly SarifResult[], options: SarifOptions): SarifRun {
  return {
    tool: { driver: { name: 'schemaproof', version: options.toolVersion, informationUri, rules } },
    originalUriBaseIds: { '%SRCROOT%': { uri: `${pathToUri(options.baseDir ?? options.root)}/` } },
    results,
  };
}

function pathToUri(path: string): string {
  return `file://${path.split(sep).map(encodeURIComponent).join('/')}`.replace(/\/$/, '');
}

/** Lint findings (schema and migration-file lints) as one SARIF run. */
export function lintSarif(result: LintResult, options: SarifOptions): SarifLog {
  const rules = result.lints.map(ruleFor);
  const index = new Map(rules.map((rule, position) => [rule.id, position]));
  const results = result.findings.map((finding): SarifResult => {
    const ruleIndex = index.get(finding.lint);
    return {
      ruleId: finding.lint,
      ...(ruleIndex !== undefined ? { ruleIndex } : {}),
      level: levelOf(finding.level),
      message: { text: `${finding.object}: ${finding.detail}` },
      locations: [findingLocation(finding, options)],
      ...(finding.suppressed ? { suppressions: [{ kind: 'external' as const, justification: finding.suppressionReason ?? 'suppressed in the config' }] } : {}),
      properties: { object: finding.object, remediation: finding.remediation },
    };
  });
  return { $schema: sarifSchemaUri, version: sarifVersion, runs: [run(rules, results, options)] };
}

/** The places in files an error names (a SQL error, every refused statement, an unavailable extension); empty for others. */
export function errorLocations(detail: ErrorDetail): readonly ErrorLocation[] {
  switch (detail.code) {
    case 'sql_error':
    case 'extension_unavailable':
      return detail.location ? [detail.location] : [];
    case 'migration_statement_refused':
      return detail.statements.map((statement) => statement.location);
    default:
      return [];
  }
}

const errorHelp: Partial<Record<ErrorDetail['code'], string>> = {
  sql_error:
    "The server rejected a statement in a migration, policy or seed file. Fix the statement at the location shown (Postgres' DETAIL, HINT and CONTEXT are in the message); nothing of the run was applied.",
  migration_statement_refused:
    "Migration and policy files run inside the run's one transaction: transaction control, statements that cannot run in a transaction block, and psql meta-commands are refused before anything runs. Remove the statement or move it out of the migration.",
  extension_unavailable: 'The migration creates an extension this PostgreSQL server cannot provide. Install it on the server, or guard the migration.',
};

/** A migration error (the failure `migrate` or `verify` ended with) as one SARIF run; its file paths are relative to the project root. */
export function errorSarif(detail: ErrorDetail, options: SarifOptions): SarifLog {
  const rule: SarifRule = {
    id: detail.code,
    name: detail.code,
    shortDescription: { text: detail.code.replace(/_/g, ' ') },
    help: { text: errorHelp[detail.code] ?? describeError(detail) },
    defaultConfiguration: { level: 'error' },
  };
  const text = (location: ErrorLocation | null): string => {
    if (detail.code === 'migration_statement_refused' && location) {
      const statement = detail.statements.find((entry) => entry.location === location);
      if (statement) return `${statement.statement} is not allowed in a migration or policy file: ${statement.why}; ${statement.remedy}`;
    }
    if (detail.code === 'sql_error') return [`${detail.phase} failed: ${detail.message} (SQLSTATE ${detail.sqlstate})`, ...postgresNotes(detail)].join('\n');
    return describeError(detail);
  };
  const located = errorLocations(detail);
  const results: SarifResult[] =
    located.length > 0
      ? located.map((location) => ({
          ruleId: rule.id,
          ruleIndex: 0,
          level: 'error',
          message: { text: text(location) },
          locations: [
            { physicalLocation: { artifactLocation: { uri: artifactUri(location.file, options), uriBaseId: '%SRCROOT%' }, region: { startLine: location.line, startColumn: location.column } } },
          ],
        }))
      : [
          {
            ruleId: rule.id,
            ruleIndex: 0,
            level: 'error',
            message: { text: text(null) },
            locations: [{ logicalLocations: [{ fullyQualifiedName: 'file' in detail && typeof detail.file === 'string' ? detail.file : detail.code, kind: 'object' }] }],
          },
        ];
  return { $schema: sarifSchemaUri, version: sarifVersion, runs: [run([rule], results, options)] };
}

/** Several logs as one (e.g. lint findings and the migration error that stopped the schema lints). */
export function mergeSarif(logs: readonly SarifLog[]): SarifLog {
  return { $schema: sarifSchemaUri, version: sarifVersion, runs: logs.flatMap((log) => log.runs) };
}

export function formatSarif(log: SarifLog): string {
  return `${JSON.stringify(log, null, 2)}\n`;
}
