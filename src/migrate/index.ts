/**
 * Apply `sql/` migrations (bookkeeping by @databases/pg-migrations) and then
 * every policy file, all in ONE transaction on one connection: a failure
 * anywhere leaves the target database exactly as it was. Each file reaches
 * the server exactly as written, as one simple-protocol query (see
 * session.ts for why nothing is split); statements that would end the
 * transaction or cannot run inside one are refused before anything runs
 * (refused.ts). After applying, the applied list is re-read from the
 * database and checked against the files ourselves.
 */
import { sql, type ConnectionPool, type SQLQuery } from '@databases/pg';
import { DirectoryContext, Result, runCommand, applyMigrations, type MigrationError } from '@databases/migrations-base';
import PostgresDatabaseEngineModule from '@databases/pg-migrations/lib/PostgresDatabaseEngine.js';
import { SchemaproofError, postgresErrorFields, type ErrorDetail, type RefusedStatementDetail } from '../errors/index.ts';
import { connectTarget, installSupabaseShim, shimFile, type ConnectionTarget, type ShimResult, type ShimRoles } from '../postgres/index.ts';
import { unavailableExtensionError } from '../postgres/platform-extensions.ts';
import { checkRecordedOrder } from './bookkeeping.ts';
import { excerpt } from '../sql/index.ts';
import { readMigrationFiles, readPolicyFiles, sha256, type MigrationNaming, type SqlFile } from './files.ts';
import { findRefusedStatements } from './refused.ts';
import { openSession, ScriptError, type Session } from './session.ts';
import { locateInScript, sentText } from './sql-position.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export {
  readMigrationFiles,
  readPolicyFiles,
  listMigrationFiles,
  sha256,
  migrationNamePattern,
  migrationNamings,
  type SqlFile,
  type MigrationNaming,
  type MigrationSet,
  type SkippedFile,
} from './files.ts';
export { locateInScript, locationAt, sentText } from './sql-position.ts';
export { excerpt } from '../sql/index.ts';
export { findRefusedStatements, type RefusedStatement, type RefusalKind } from './refused.ts';

type EngineConstructor = new (connection: unknown, config: unknown) => EngineLike;
// CommonJS interop differs between runtimes (tsx hands us module.exports, vite may hand us exports.default).
const engineModule = PostgresDatabaseEngineModule as unknown as EngineConstructor | { default: EngineConstructor };
const PostgresDatabaseEngine: EngineConstructor = 'default' in engineModule ? engineModule.default : engineModule;
interface EngineLike {
  directory: unknown;
}

/** Where the migration bookkeeping lives: its own schema, never `public`. */
export const bookkeepingSchema = 'schemaproof';
const versionTable = `${bookkeepingSchema}.migrations_version`;
const appliedTable = `${bookkeepingSchema}.migrations_applied`;

/** The database to migrate. */
export type MigrationTarget = ConnectionTarget;

export interface MigrateOptions {
  readonly sqlDir: string;
  readonly policiesDir: string;
  /** Project root, for file paths in messages and the report. */
  readonly root?: string;
  /** Apply everything, check it, then roll back. */
  readonly dryRun?: boolean;
  /** Install the Supabase shim first where missing (default true). */
  readonly installShim?: boolean;
  /** What the shim does about its cluster-wide roles (default `create`; see shim.ts). */
  readonly shimRoles?: ShimRoles;
  /** How migration files are named (default `numbered`; see files.ts). */
  readonly naming?: MigrationNaming;
  /** `lock_timeout` for the whole run (default 10 000 ms); running into it ends the run with the `timeout` error. */
  readonly lockTimeoutMs?: number;
}

export interface FileRecord {
  readonly file: string;
  readonly sha256: string;
}

export interface MigrateResult {
  readonly dryRun: boolean;
  readonly applied: readonly FileRecord[];
  readonly alreadyApplied: readonly FileRecord[];
  readonly policies: readonly FileRecord[];
  readonly shim: ShimResult | null;
  readonly durationMs: number;
}

const defaultLockTimeoutMs = 10_000;

/** A Postgres error while running `script` (a file's text), as our error kinds. */
function scriptError(phase: 'migration' | 'policy' | 'shim', file: string, script: string, error: unknown, lockTimeoutMs: number): SchemaproofError {
  const completed = error instanceof ScriptError ? error.completed : null;
  const cause = error instanceof ScriptError ? error.error : error;
  const fields = postgresErrorFields(cause);
  const location = locateInScript(file, script, fields.position, completed);
  const unavailable = unavailableExtensionError(fields, file, location);
  if (unavailable) return unavailable;
  if (fields.sqlstate === '55P03' && /lock timeout/i.test(fields.message)) {
    const where = location ? `${location.file}:${location.line}:${location.column}` : file;
    return new SchemaproofError({ code: 'timeout', what: `${phase} ${where} waiting for a lock another session holds (lock_timeout)`, timeoutMs: lockTimeoutMs }, { cause });
  }
  return new SchemaproofError(
    { code: 'sql_error', phase, sqlstate: fields.sqlstate, message: fields.message, location, file, detail: fields.detail, hint: fields.hint, context: fields.context, position: fields.position },
    { cause },
  );
}

function libraryError(error: MigrationError): ErrorDetail {
  switch (error.code) {
    case 'migration_file_edited':
      return { code: 'migration_edited', file: error.appliedMigration.name };
    case 'migration_file_missing':
      return { code: 'migration_file_missing', file: error.appliedMigration.name };
    case 'migration_order_change':
      return { code: 'migration_order_changed', unapplied: error.unappliedMigrations.map((m) => m.name), applied: error.appliedMigrations.map((m) => m.name) };
    case 'duplicate_migration_files':
      return { code: 'migration_duplicate_index', files: error.files.map((f) => f.name) };
    case 'migration_filenames':
      return { code: 'migration_filename_invalid', files: error.files };
    case 'concurrent_migrations':
      return { code: 'migration_concurrent', detail: 'applied list changed during the run' };
    default:
      return { code: 'migration_record_mismatch', detail: `@databases/pg-migrations reported ${error.code}` };
  }
}

interface AppliedRow {
  readonly index: number;
  readonly name: string;
  readonly script: string;
}

interface Reader {
  query(query: SQLQuery): Promise<unknown[]>;
}

async function readApplied(db: Reader): Promise<AppliedRow[] | null> {
  const exists = (await db.query(sql`select to_regclass(${appliedTable}) is not null as present`)) as { present?: boolean }[];
  if (exists[0]?.present !== true) return null;
  return (await db.query(sql`
    select index, name, script from ${sql.ident(bookkeepingSchema, 'migrations_applied')}
    where not obsolete order by index
  `)) as AppliedRow[];
}

/** Our own check of what the database recorded against the files on disk. */
function checkRecorded(applied: readonly AppliedRow[], files: readonly SqlFile[]): void {
  const problems: string[] = [];
  const byIndex = new Map(applied.map((row) => [row.index, row]));
  for (const file of files) {
    const row = byIndex.get(file.index);
    if (!row) problems.push(`${file.name} is not recorded as applied`);
    else if (row.name !== file.name) problems.push(`${file.name} is recorded under the name ${row.name}`);
    else if (sha256(row.script) !== file.sha256) problems.push(`${file.name} is recorded with different contents`);
  }
  for (const row of applied) if (!files.some((file) => file.index === row.index)) problems.push(`${row.name} is recorded but has no file`);
  if (problems.length > 0) throw new SchemaproofError({ code: 'migration_record_mismatch', detail: problems.join('; ') });
}

/** Refused statements in the files this run would send, as one error (exit 5), before anything runs. */
export function refusedStatementsIn(files: readonly SqlFile[]): RefusedStatementDetail[] {
  const refused: RefusedStatementDetail[] = [];
  for (const file of files) {
    for (const found of findRefusedStatements(file.script)) {
      refused.push({
        location: { file: file.displayPath, line: found.line, column: found.column, excerpt: excerpt(file.script, found.line, found.column) },
        statement: found.statement,
        kind: found.kind,
        why: found.why,
        remedy: found.remedy,
      });
    }
  }
  return refused;
}

/**
 * @databases/pg-migrations sees exactly our files (names, text) and applies
 * one by sending its text whole through `Session.runScript`, never through
 * `sql.file` (which would split it).
 */
function directoryOf(dir: string, files: readonly SqlFile[], apply: (file: SqlFile, session: Session) => Promise<void>): unknown {
  const byName = new Map(files.map((file) => [file.name, file]));
  const context = new DirectoryContext<(session: Session) => Promise<void>>(dir, (path: string) => {
    // Files are served under their bookkeeping names (Supabase files: `<position>-<file name>`).
    const file = files.find((candidate) => candidate.path === path || join(dir, candidate.name) === path) ?? byName.get(path);
    if (!file) throw new Error(`migration ${path} is not among the files read`);
    return Result.ok((session: Session) => apply(file, session));
  });
  return Object.assign(context, {
    listFiles: async () => files.map((file) => file.name),
    read: async (name: string) => {
      const file = byName.get(name);
      if (!file) throw new Error(`migration ${name} is not among the files read`);
      return file.script;
    },
  });
}

class Rollback extends Error {}

export async function migrate(target: MigrationTarget, options: MigrateOptions): Promise<MigrateResult> {
  const started = performance.now();
  const root = options.root ?? process.cwd();
  const files = readMigrationFiles(options.sqlDir, root, options.naming);
  const policies = readPolicyFiles(options.policiesDir, root);
  const lockTimeoutMs = options.lockTimeoutMs ?? defaultLockTimeoutMs;
  const { session, close } = await openSession(target);
  let result: MigrateResult | null = null;
  try {
    await session.query(sql`begin`);
    try {
      // Serialise concurrent runs against the same database.
      await session.query(sql`select pg_advisory_xact_lock(hashtext('schemaproof.migrate'))`);
      // Never queue forever behind an application's lock: fail the run (and roll back) instead.
      await session.query(sql`select set_config('lock_timeout', ${`${lockTimeoutMs}ms`}, true)`);
      const before = (await readApplied(session)) ?? [];
      checkRecordedOrder(before, files);
      const pending = files.filter((file) => !before.some((row) => row.index === file.index));
      const refused = refusedStatementsIn([...pending, ...policies]);
      if (refused.length > 0) throw new SchemaproofError({ code: 'migration_statement_refused', statements: refused });
      let shim: ShimResult | null = null;
      if (options.installShim !== false) {
        try {
          shim = await installSupabaseShim(session as never, { roles: options.shimRoles ?? 'create' });
        } catch (error) {
          if (error instanceof SchemaproofError) throw error;
          throw scriptError('shim', shimFile, readFileSync(shimFile, 'utf8'), error, lockTimeoutMs);
        }
      }
      await session.query(sql`create schema if not exists ${sql.ident(bookkeepingSchema)}`);
      await session.query(sql`revoke all on schema ${sql.ident(bookkeepingSchema)} from public`);
      const applying: SqlFile[] = [];
      const engine = new PostgresDatabaseEngine(session, {
        versionTableName: versionTable,
        appliedMigrationsTableName: appliedTable,
        migrationsDirectory: options.sqlDir,
      });
      engine.directory = directoryOf(options.sqlDir, files, async (file, tx) => {
        try {
          await tx.runScript(sentText(file.script).text);
        } catch (error) {
          throw scriptError('migration', file.displayPath, file.script, error, lockTimeoutMs);
        }
        applying.push(file);
      });
      const outcome = await runCommand(
        engine as never,
        applyMigrations(),
        { ignored_errors: [] },
        {
          handleError: async (error: MigrationError) => ({ ok: false, reason: error }) as never,
        },
      );
      if (!outcome.ok) throw new SchemaproofError(libraryError(outcome.reason as MigrationError));
      for (const policy of policies) {
        try {
          await session.runScript(sentText(policy.script).text);
        } catch (error) {
          throw scriptError('policy', policy.displayPath, policy.script, error, lockTimeoutMs);
        }
      }
      const recorded = await readApplied(session);
      checkRecorded(recorded ?? [], files);
      const appliedNames = new Set(applying.map((file) => file.name));
      result = {
        dryRun: options.dryRun === true,
        applied: applying.map((file) => ({ file: file.displayPath, sha256: file.sha256 })),
        alreadyApplied: files.filter((file) => !appliedNames.has(file.name) && before.some((row) => row.index === file.index)).map((file) => ({ file: file.displayPath, sha256: file.sha256 })),
        policies: policies.map((file) => ({ file: file.displayPath, sha256: file.sha256 })),
        shim,
        durationMs: 0,
      };
      if (options.dryRun) throw new Rollback();
      await session.query(sql`commit`);
    } catch (error) {
      await session.query(sql`rollback`).catch(() => undefined);
      if (!(error instanceof Rollback)) throw error;
    }
  } finally {
    await close();
  }
  if (!result) throw new Error('migrate finished without a result');
  return { ...(result as MigrateResult), durationMs: performance.now() - started };
}

export type MigrationState = 'applied' | 'pending' | 'edited' | 'missing_file';

export interface MigrationStatus {
  readonly file: string;
  readonly state: MigrationState;
  readonly sha256: string | null;
}

export interface StatusResult {
  readonly migrations: readonly MigrationStatus[];
  readonly upToDate: boolean;
}

export async function migrationStatus(target: MigrationTarget, options: Pick<MigrateOptions, 'sqlDir' | 'root' | 'naming'>): Promise<StatusResult> {
  const files = readMigrationFiles(options.sqlDir, options.root ?? process.cwd(), options.naming);
  const db: ConnectionPool = connectTarget(target, { poolSize: 1 });
  try {
    const applied = (await readApplied(db)) ?? [];
    const migrations: MigrationStatus[] = files.map((file) => {
      const row = applied.find((candidate) => candidate.index === file.index);
      const state: MigrationState = !row ? 'pending' : sha256(row.script) === file.sha256 && row.name === file.name ? 'applied' : 'edited';
      return { file: file.displayPath, state, sha256: file.sha256 };
    });
    for (const row of applied) {
      if (!files.some((file) => file.index === row.index)) migrations.push({ file: row.name, state: 'missing_file', sha256: null });
    }
    return { migrations, upToDate: migrations.every((entry) => entry.state === 'applied') };
  } finally {
    await db.dispose();
  }
}
