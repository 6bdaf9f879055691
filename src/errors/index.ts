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

/** A statement refused in a migration or policy file before anything runs (see src/migrate/refused.ts). */
export interface RefusedStatementDetail {
  readonly location: SourceLocation;
  /** As named in messages: `COMMIT`, `CREATE INDEX CONCURRENTLY`, `\i`, ... */
  readonly statement: string;
  readonly kind: 'transaction_control' | 'not_in_transaction' | 'psql_meta_command';
  readonly why: string;
  readonly remedy: string;
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
  | { readonly code: 'migration_filename_invalid'; readonly files: readonly string[]; readonly detail?: string }
  | { readonly code: 'migration_duplicate_index'; readonly files: readonly string[] }
  | { readonly code: 'migration_edited'; readonly file: string }
  | { readonly code: 'migration_file_missing'; readonly file: string }
  | { readonly code: 'migration_order_changed'; readonly unapplied: readonly string[]; readonly applied: readonly string[] }
  | { readonly code: 'migration_concurrent'; readonly detail: string }
  | { readonly code: 'migration_record_mismatch'; readonly detail: string }
  | { readonly code: 'migration_statement_refused'; readonly statements: readonly RefusedStatementDetail[] }
  | {
      readonly code: 'sql_error';
      readonly phase: 'migration' | 'policy' | 'shim' | 'fixture' | 'seed' | 'pgtap';
      readonly sqlstate: string;
      readonly message: string;
      readonly location: SourceLocation | null;
      readonly file: string;
      /** What Postgres said beyond the message (null when it said nothing). */
      readonly detail: string | null;
      readonly hint: string | null;
      /** Postgres' CONTEXT (the `where` field): e.g. the PL/pgSQL line or the SQL function that failed. */
      readonly context: string | null;
      /** The server's error position: 1-based, in characters of the text that was sent. */
      readonly position: number | null;
    }
  | { readonly code: 'access_spec_invalid'; readonly file: string; readonly problems: readonly string[] }
  /** `init` would overwrite an access spec that is already there (`init --update` merges into it). */
  | { readonly code: 'access_spec_exists'; readonly file: string }
  /** `init` found no API role to draft rules for: the roles are missing, or hold no privilege on anything exposed. */
  | { readonly code: 'api_roles_missing'; readonly roles: readonly string[]; readonly detail: string }
  | { readonly code: 'catalogue_invalid'; readonly file: string; readonly problems: readonly string[] }
  | { readonly code: 'recipe_invalid'; readonly file: string; readonly problems: readonly string[] }
  | { readonly code: 'unknown_query'; readonly id: string; readonly known: readonly string[] }
  | { readonly code: 'catalogue_query_failed'; readonly file: string; readonly failures: readonly CatalogueQueryFailure[] }
  | { readonly code: 'compliance_map_invalid'; readonly file: string; readonly problems: readonly string[] }
  | { readonly code: 'input_invalid'; readonly file: string; readonly line: number; readonly detail: string }
  | { readonly code: 'baseline_invalid'; readonly file: string; readonly detail: string }
  | { readonly code: 'tool_missing'; readonly tool: string; readonly hint: string }
  | { readonly code: 'shim_roles_missing'; readonly roles: readonly string[]; readonly server: string }
  | { readonly code: 'extension_unavailable'; readonly extension: string; readonly location: SourceLocation | null; readonly file: string; readonly hint: string }
  | { readonly code: 'timeout'; readonly what: string; readonly timeoutMs: number }
  | { readonly code: 'socket_path_too_long'; readonly path: string; readonly bytes: number; readonly maxBytes: number }
  | { readonly code: 'cache_dir_unsafe'; readonly path: string; readonly reason: string }
  | { readonly code: 'database_privilege_missing'; readonly target: string; readonly role: string; readonly missing: string; readonly hint: string }
  | { readonly code: 'interrupted'; readonly signal: string }
  | { readonly code: 'flag_invalid'; readonly flag: string; readonly value: string; readonly detail: string }
  | { readonly code: 'shard_missing'; readonly total: number; readonly missing: readonly number[]; readonly files: readonly string[] }
  | { readonly code: 'shard_duplicate'; readonly index: number; readonly total: number; readonly files: readonly string[] }
  | { readonly code: 'shard_mismatch'; readonly files: readonly string[]; readonly detail: string };

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

/** The fields of a Postgres error (node-postgres' DatabaseError, kept by @databases) the harness keeps. */
export interface PostgresErrorFields {
  readonly sqlstate: string;
  readonly message: string;
  readonly detail: string | null;
  readonly hint: string | null;
  readonly context: string | null;
  readonly position: number | null;
}

export function postgresErrorFields(error: unknown): PostgresErrorFields {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown; detail?: unknown; hint?: unknown; where?: unknown; position?: unknown };
  const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
  const position = Number(fields.position);
  return {
    sqlstate: typeof fields.code === 'string' && /^[0-9A-Z]{5}$/.test(fields.code) ? fields.code : 'XX000',
    // @databases appends a code frame to the message after a blank line; the first line is Postgres' own
    message: (text(fields.message) ?? String(error)).split('\n')[0] ?? 'error',
    detail: text(fields.detail),
    hint: text(fields.hint),
    context: text(fields.where),
    position: Number.isInteger(position) && position > 0 ? position : null,
  };
}

/** DETAIL, HINT and CONTEXT of a SQL error as labelled lines (empty when Postgres sent none). */
export function postgresNotes(detail: { readonly detail: string | null; readonly hint: string | null; readonly context: string | null }): string[] {
  const notes: string[] = [];
  if (detail.detail) notes.push(`DETAIL: ${detail.detail}`);
  if (detail.hint) notes.push(`HINT: ${detail.hint}`);
  if (detail.context) notes.push(`CONTEXT: ${detail.context.replace(/\n/g, ' / ')}`);
  return notes;
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
      return `no space left on device at ${detail.path} (${detail.detail}); free some space, or point SCHEMAPROOF_TMPDIR at a larger disk, and retry`;
    case 'directory_missing':
      return `${detail.role} directory ${detail.path} does not exist; create it or point the config at the right place`;
    case 'migration_filename_invalid':
      return detail.detail ? `migration file names: ${detail.detail}: ${detail.files.join(', ')}` : `migration file names must look like NNNNN-what-it-does.sql: ${detail.files.join(', ')}`;
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
    case 'migration_statement_refused': {
      const first = detail.statements[0];
      if (!first) return 'a statement was refused in a migration or policy file; nothing was run';
      const more = detail.statements.slice(1).map((entry) => `${entry.location.file}:${entry.location.line}:${entry.location.column} ${entry.statement}`);
      return `${first.location.file}:${first.location.line}:${first.location.column}: ${first.statement} is not allowed in a migration or policy file: ${first.why}; ${first.remedy}${more.length > 0 ? ` (also: ${more.join(', ')})` : ''}; nothing was run`;
    }
    case 'sql_error': {
      const notes = postgresNotes(detail);
      return `${where(detail.location, detail.file)}: ${detail.phase} failed: ${detail.message} (SQLSTATE ${detail.sqlstate})${notes.length > 0 ? ` — ${notes.join('; ')}` : ''}`;
    }
    case 'access_spec_invalid':
      return `${detail.file}: invalid access spec: ${detail.problems.join('; ')}`;
    case 'access_spec_exists':
      return `${detail.file} already exists; \`schemaproof init --update\` adds the relations it lacks (reviewed ones are left as they are), or choose another --output-file`;
    case 'api_roles_missing':
      return `no API roles to draft an access spec for (${detail.roles.join(', ')}): ${detail.detail}`;
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
    case 'socket_path_too_long':
      return `the server's unix socket path ${detail.path} would be ${detail.bytes} bytes, over the ${detail.maxBytes}-byte limit; set SCHEMAPROOF_TMPDIR to a shorter directory (e.g. /tmp)`;
    case 'cache_dir_unsafe':
      return `cache directory ${detail.path} is not private (${detail.reason}); remove it, or set SCHEMAPROOF_CACHE_DIR to a directory only you can write`;
    case 'database_privilege_missing':
      return `role ${detail.role} on ${detail.target} lacks ${detail.missing}; ${detail.hint}`;
    case 'interrupted':
      return `interrupted by ${detail.signal}`;
    case 'flag_invalid':
      return `option ${detail.flag}: ${JSON.stringify(detail.value)} is invalid: ${detail.detail}; see --help`;
    case 'shard_missing':
      return `merge-reports: shard(s) ${detail.missing.map((index) => `${index}/${detail.total}`).join(', ')} missing (given: ${detail.files.join(', ')}); pass the JSON report of every shard 1..${detail.total} exactly once`;
    case 'shard_duplicate':
      return `merge-reports: shard ${detail.index}/${detail.total} given more than once (${detail.files.join(', ')}); pass each shard's report exactly once`;
    case 'shard_mismatch':
      return `merge-reports: the reports are not shards of one run (${detail.files.join(', ')}): ${detail.detail}; run every shard with the same config, seed, runs and files`;
    case 'shim_roles_missing':
      return `${detail.server} lacks the Supabase roles ${detail.roles.join(', ')}; schemaproof creates no roles on a server it did not start: create them, or rerun with --install-shim to create them (each object created is printed)`;
    case 'extension_unavailable':
      return `${where(detail.location, detail.file)}: extension "${detail.extension}" is not available on this PostgreSQL; ${detail.hint}`;
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
  /** `init` refused to overwrite an existing access spec. */
  exists: 8,
  internal: 70,
  /** 128 + SIGINT: a run stopped by Ctrl-C (other signals end the process with 128 + their number). */
  interrupted: 130,
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
    case 'database_privilege_missing':
      return exitCodes.postgres;
    case 'migration_filename_invalid':
    case 'migration_duplicate_index':
    case 'migration_edited':
    case 'migration_file_missing':
    case 'migration_order_changed':
    case 'migration_concurrent':
    case 'migration_record_mismatch':
    case 'migration_statement_refused':
    case 'extension_unavailable':
      return exitCodes.migration;
    case 'sql_error':
      // SQLSTATE 53100 (disk_full): the server could not write, whatever the SQL.
      return detail.sqlstate === diskFullSqlstate ? exitCodes.environment : exitCodes.migration;
    case 'access_spec_invalid':
    case 'api_roles_missing':
    case 'catalogue_invalid':
    case 'recipe_invalid':
    case 'unknown_query':
    case 'catalogue_query_failed':
    case 'compliance_map_invalid':
    case 'input_invalid':
    case 'baseline_invalid':
    case 'directory_missing':
    case 'shard_missing':
    case 'shard_duplicate':
    case 'shard_mismatch':
      return exitCodes.input;
    case 'pgtap_not_installed':
    case 'disk_full':
    case 'tool_missing':
    case 'timeout':
    case 'socket_path_too_long':
    case 'cache_dir_unsafe':
    case 'shim_roles_missing':
      return exitCodes.environment;
    case 'access_spec_exists':
      return exitCodes.exists;
    case 'interrupted':
      return exitCodes.interrupted;
    case 'flag_invalid':
      return exitCodes.usage;
  }
}

/** SQLSTATE disk_full ("could not extend file ...: No space left on device"). */
export const diskFullSqlstate = '53100';

/**
 * Translate a low-level error into our kinds where we can recognise it: an
 * OS ENOSPC, or a server's disk_full SQLSTATE.
 */
export function fromSystemError(error: unknown, path: string): SchemaproofError | null {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code?: unknown }).code;
    const message = String((error as { message?: unknown }).message).split('\n')[0] ?? '';
    if (code === 'ENOSPC' || code === diskFullSqlstate) return new SchemaproofError({ code: 'disk_full', path, detail: message });
  }
  return null;
}
