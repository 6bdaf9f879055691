/**
 * Errors as data: every failure a user can cause is one of these kinds, with a
 * stable snake_case `code`. Library code throws `SchemaproofError`; the CLI
 * renders it in one line and picks the exit code from `exitCodeFor`.
 */

export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** A few lines around the location, already formatted with line numbers. */
  readonly excerpt: string;
}

/** A catalogue entry (query, value or actor) the server refused before anything was measured. */
export interface CatalogueQueryFailure {
  /** `q07`, `value heavy_user`, `actor admin`, `q07 param user_id`. */
  readonly id: string;
  readonly sqlstate: string | null;
  readonly message: string;
}

export type ErrorDetail =
  | { readonly code: 'config_invalid'; readonly file: string; readonly problems: readonly string[] }
  | { readonly code: 'config_not_found'; readonly file: string }
  | { readonly code: 'postgres_not_found'; readonly searched: readonly string[] }
  | { readonly code: 'pgtap_not_installed'; readonly detail: string }
  | { readonly code: 'postgres_start_failed'; readonly detail: string; readonly logTail: string }
  | { readonly code: 'database_unreachable'; readonly target: string; readonly detail: string }
  | { readonly code: 'port_in_use'; readonly port: number }
  | { readonly code: 'disk_full'; readonly path: string; readonly detail: string }
  | { readonly code: 'directory_missing'; readonly path: string; readonly role: string }
  | { readonly code: 'migration_filename_invalid'; readonly files: readonly string[] }
  | { readonly code: 'migration_duplicate_index'; readonly files: readonly string[] }
  | { readonly code: 'migration_edited'; readonly file: string }
  | { readonly code: 'migration_file_missing'; readonly file: string }
  | { readonly code: 'migration_order_changed'; readonly unapplied: readonly string[]; readonly applied: readonly string[] }
  | { readonly code: 'migration_concurrent'; readonly detail: string }
  | { readonly code: 'migration_record_mismatch'; readonly detail: string }
  | {
      readonly code: 'sql_error';
      readonly phase: 'migration' | 'policy' | 'shim' | 'fixture';
      readonly sqlstate: string;
      readonly message: string;
      readonly location: SourceLocation | null;
      readonly file: string;
    }
  | { readonly code: 'access_spec_invalid'; readonly file: string; readonly problems: readonly string[] }
  | { readonly code: 'catalogue_invalid'; readonly file: string; readonly problems: readonly string[] }
  | { readonly code: 'recipe_invalid'; readonly file: string; readonly problems: readonly string[] }
  | { readonly code: 'unknown_query'; readonly id: string; readonly known: readonly string[] }
  | { readonly code: 'catalogue_query_failed'; readonly file: string; readonly failures: readonly CatalogueQueryFailure[] }
  | { readonly code: 'compliance_map_invalid'; readonly file: string; readonly problems: readonly string[] }
  | { readonly code: 'input_invalid'; readonly file: string; readonly line: number; readonly detail: string }
  | { readonly code: 'baseline_invalid'; readonly file: string; readonly detail: string }
  | { readonly code: 'tool_missing'; readonly tool: string; readonly hint: string }
  | { readonly code: 'timeout'; readonly what: string; readonly timeoutMs: number };

export type ErrorCode = ErrorDetail['code'];

export class SchemaproofError extends Error {
  readonly detail: ErrorDetail;
  constructor(detail: ErrorDetail, options?: { cause?: unknown }) {
    super(describeError(detail), options);
    this.name = 'SchemaproofError';
    this.detail = detail;
  }
  get code(): ErrorCode {
    return this.detail.code;
  }
}

export function isSchemaproofError(value: unknown): value is SchemaproofError {
  return value instanceof SchemaproofError;
}

function where(location: SourceLocation | null, file: string): string {
  return location ? `${location.file}:${location.line}:${location.column}` : file;
}

/** One line: what happened and what to do. Exhaustive over the union. */
export function describeError(detail: ErrorDetail): string {
  switch (detail.code) {
    case 'config_invalid':
      return `${detail.file}: invalid configuration (${detail.problems.length} problem${detail.problems.length === 1 ? '' : 's'}): ${detail.problems.join('; ')}`;
    case 'config_not_found':
      return `config file ${detail.file} not found; pass an existing file with --config or omit it to use the defaults`;
    case 'postgres_not_found':
      return `no PostgreSQL found (looked for DATABASE_URL, local binaries in ${detail.searched.join(', ')}, and Docker); run \`make setup\` (Debian/Ubuntu) or set PG_BIN or DATABASE_URL`;
    case 'pgtap_not_installed':
      return `pgTAP is not installed for this PostgreSQL (${detail.detail}); run \`make setup\` or install the postgresql-15-pgtap package`;
    case 'postgres_start_failed':
      return `PostgreSQL failed to start: ${detail.detail}${detail.logTail ? ` — log: ${detail.logTail.split('\n').slice(-3).join(' | ')}` : ''}`;
    case 'database_unreachable':
      return `cannot connect to ${detail.target}: ${detail.detail}; check the URL and that the server is running`;
    case 'port_in_use':
      return `port ${detail.port} is already in use; stop the other server or choose another port`;
    case 'disk_full':
      return `no space left on device at ${detail.path} (${detail.detail}); free some disk space and retry`;
    case 'directory_missing':
      return `${detail.role} directory ${detail.path} does not exist; create it or point the config at the right place`;
    case 'migration_filename_invalid':
      return `migration file names must look like NNNNN-what-it-does.sql: ${detail.files.join(', ')}`;
    case 'migration_duplicate_index':
      return `two migrations share one number: ${detail.files.join(', ')}; renumber one of them`;
    case 'migration_edited':
      return `${detail.file} was already applied but the file has changed since; restore it and put the change in a new migration`;
    case 'migration_file_missing':
      return `${detail.file} was applied to this database but is no longer in the migrations directory; restore the file`;
    case 'migration_order_changed':
      return `unapplied migrations (${detail.unapplied.join(', ')}) sort before already applied ones (${detail.applied.join(', ')}); renumber them after the last applied migration`;
    case 'migration_concurrent':
      return `another migration run changed this database at the same time (${detail.detail}); retry when it has finished`;
    case 'migration_record_mismatch':
      return `the database's record of applied migrations does not match the files: ${detail.detail}`;
    case 'sql_error':
      return `${where(detail.location, detail.file)}: ${detail.phase} failed: ${detail.message} (SQLSTATE ${detail.sqlstate})`;
    case 'access_spec_invalid':
      return `${detail.file}: invalid access spec: ${detail.problems.join('; ')}`;
    case 'catalogue_invalid':
      return `${detail.file}: invalid query catalogue: ${detail.problems.join('; ')}`;
    case 'recipe_invalid':
      return `${detail.file}: invalid data recipe (${detail.problems.length} problem${detail.problems.length === 1 ? '' : 's'}): ${detail.problems.join('; ')}`;
    case 'unknown_query':
      return `unknown query "${detail.id}"; known queries: ${detail.known.join(', ')}`;
    case 'catalogue_query_failed':
      return `${detail.file}: ${detail.failures.length} catalogue entr${detail.failures.length === 1 ? 'y does' : 'ies do'} not run: ${detail.failures.map((failure) => `${failure.id}: ${failure.message}${failure.sqlstate ? ` (SQLSTATE ${failure.sqlstate})` : ''}`).join('; ')}; fix the catalogue (or the schema it describes)`;
    case 'compliance_map_invalid':
      return `${detail.file}: invalid compliance map: ${detail.problems.join('; ')}`;
    case 'input_invalid':
      return `${detail.file}:${detail.line}: ${detail.detail}; nothing was loaded`;
    case 'baseline_invalid':
      return `baseline ${detail.file} cannot be used: ${detail.detail}`;
    case 'tool_missing':
      return `${detail.tool} is not available: ${detail.hint}`;
    case 'timeout':
      return `${detail.what} did not finish within ${detail.timeoutMs} ms`;
  }
}

/**
 * Exit codes, documented in the README. 0 = all gates passed, 1 = checks
 * failed (the run worked, the schema did not pass), the rest = could not run.
 */
export const exitCodes = {
  ok: 0,
  checksFailed: 1,
  usage: 2,
  config: 3,
  postgres: 4,
  migration: 5,
  input: 6,
  environment: 7,
  internal: 70,
} as const;

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

export function exitCodeFor(detail: ErrorDetail): ExitCode {
  switch (detail.code) {
    case 'config_invalid':
    case 'config_not_found':
      return exitCodes.config;
    case 'postgres_not_found':
    case 'postgres_start_failed':
    case 'database_unreachable':
    case 'port_in_use':
      return exitCodes.postgres;
    case 'migration_filename_invalid':
    case 'migration_duplicate_index':
    case 'migration_edited':
    case 'migration_file_missing':
    case 'migration_order_changed':
    case 'migration_concurrent':
    case 'migration_record_mismatch':
    case 'sql_error':
      return exitCodes.migration;
    case 'access_spec_invalid':
    case 'catalogue_invalid':
    case 'recipe_invalid':
    case 'unknown_query':
    case 'catalogue_query_failed':
    case 'compliance_map_invalid':
    case 'input_invalid':
    case 'baseline_invalid':
    case 'directory_missing':
      return exitCodes.input;
    case 'pgtap_not_installed':
    case 'disk_full':
    case 'tool_missing':
    case 'timeout':
      return exitCodes.environment;
  }
}

/** Translate a low-level OS error into our kinds where we can recognise it. */
export function fromSystemError(error: unknown, path: string): SchemaproofError | null {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOSPC') return new SchemaproofError({ code: 'disk_full', path, detail: String((error as { message?: unknown }).message) });
  }
  return null;
}
