/**
 * Apply `sql/` migrations (through @databases/pg-migrations) and then every
 * policy file, all in ONE transaction: a failure anywhere leaves the target
 * database exactly as it was. After applying, the applied list is re-read
 * from the database and checked against the files ourselves.
 */
import { sql, type ConnectionPool, type ConnectionPoolConfig, type SQLQuery, type Transaction } from '@databases/pg';
import { runCommand, applyMigrations, type MigrationError } from '@databases/migrations-base';
import PostgresDatabaseEngineModule from '@databases/pg-migrations/lib/PostgresDatabaseEngine.js';
import { SchemaproofError, type ErrorDetail } from '../errors/index.ts';
import { installSupabaseShim, shimFile, type ShimResult, type ShimRoles } from '../postgres/shim.ts';
import { unavailableExtensionError } from '../postgres/platform-extensions.ts';
import { readMigrationFiles, readPolicyFiles, sha256, type MigrationNaming, type SqlFile } from './files.ts';
import { checkRecordedOrder, migrationDirectory, type MigrationDirectory } from './bookkeeping.ts';
import { locateInFile } from './sql-position.ts';
import { readFileSync } from 'node:fs';

export { readMigrationFiles, readPolicyFiles, listMigrationFiles, sha256, migrationNamePattern, migrationNamings, type SqlFile, type MigrationNaming, type MigrationSet, type SkippedFile } from './files.ts';
export { locateInFile, locationAt, excerpt } from './sql-position.ts';

type EngineConstructor = new (connection: unknown, config: unknown) => EngineLike;
// CommonJS interop differs between runtimes (tsx hands us module.exports, vite may hand us exports.default).
const engineModule = PostgresDatabaseEngineModule as unknown as EngineConstructor | { default: EngineConstructor };
const PostgresDatabaseEngine: EngineConstructor = 'default' in engineModule ? engineModule.default : engineModule;
interface EngineLike {
  directory: MigrationDirectory;
}

/** Where the migration bookkeeping lives: its own schema, never `public`. */
export const bookkeepingSchema = 'schemaproof';
const versionTable = `${bookkeepingSchema}.migrations_version`;
const appliedTable = `${bookkeepingSchema}.migrations_applied`;

export interface MigrationTarget {
  connect(options?: Partial<ConnectionPoolConfig>): ConnectionPool;
}

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
  /** `lock_timeout` for the whole run (default 10 000 ms). */
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

class DryRunRollback extends Error {}

interface FailingStatement {
  text: string | null;
  error: unknown;
}

function pgErrorFields(error: unknown): { code: string; message: string; position: number | null } {
  const fields = error as { code?: string; message?: string; position?: string };
  const message = String(fields.message ?? error).split('\n')[0] ?? 'error';
  return { code: fields.code ?? 'XX000', message, position: fields.position ? Number(fields.position) : null };
}

function sqlError(phase: 'migration' | 'policy' | 'shim', file: string, fileText: string, failing: FailingStatement | null, error: unknown): SchemaproofError {
  const fields = pgErrorFields(error);
  const location = locateInFile(file, fileText, failing?.text ?? null, fields.position);
  const unavailable = unavailableExtensionError(fields, file, location);
  if (unavailable) return unavailable;
  return new SchemaproofError({ code: 'sql_error', phase, sqlstate: fields.code, message: fields.message, location, file }, { cause: error });
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

async function readApplied(db: Transaction | ConnectionPool): Promise<AppliedRow[] | null> {
  const exists = await db.query(sql`select to_regclass(${appliedTable}) is not null as present`);
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

export async function migrate(target: MigrationTarget, options: MigrateOptions): Promise<MigrateResult> {
  const started = performance.now();
  const root = options.root ?? process.cwd();
  const files = readMigrationFiles(options.sqlDir, root, options.naming);
  const policies = readPolicyFiles(options.policiesDir, root);
  let failing: FailingStatement | null = null;
  const db = target.connect({
    poolSize: 1,
    onQueryError: (_query: SQLQuery, formatted: { text: string }, error: Error) => {
      failing = { text: formatted.text, error };
    },
  });
  let result: MigrateResult | null = null;
  try {
    await db.tx(async (tx) => {
      // Serialise concurrent runs against the same database.
      await tx.query(sql`select pg_advisory_xact_lock(hashtext('schemaproof.migrate'))`);
      // Never queue forever behind an application's lock: fail the run (and roll back) instead.
      await tx.query(sql`select set_config('lock_timeout', ${`${options.lockTimeoutMs ?? 10_000}ms`}, true)`);
      let shim: ShimResult | null = null;
      if (options.installShim !== false) {
        try {
          shim = await installSupabaseShim(tx, { roles: options.shimRoles ?? 'create' });
        } catch (error) {
          if (error instanceof SchemaproofError) throw error;
          throw sqlError('shim', shimFile, readFileSync(shimFile, 'utf8'), failing, error);
        }
      }
      await tx.query(sql`create schema if not exists ${sql.ident(bookkeepingSchema)}`);
      await tx.query(sql`revoke all on schema ${sql.ident(bookkeepingSchema)} from public`);
      const before = (await readApplied(tx)) ?? [];
      const applying: SqlFile[] = [];
      let current: SqlFile | null = null;
      const engine = new PostgresDatabaseEngine(tx, {
        versionTableName: versionTable,
        appliedMigrationsTableName: appliedTable,
        migrationsDirectory: options.sqlDir,
      });
      checkRecordedOrder(before, files);
      engine.directory = migrationDirectory(files, engine.directory);
      failing = null;
      let outcome: Awaited<ReturnType<typeof runCommand>>;
      try {
        outcome = await runCommand(engine as never, applyMigrations(), { ignored_errors: [] }, {
          handleError: async (error: MigrationError) => ({ ok: false, reason: error }) as never,
          beforeOperation: async (operation) => {
            if (operation.kind === 'apply') {
              current = files.find((file) => file.name === operation.value.name) ?? null;
              failing = null;
            }
            return undefined;
          },
          afterOperation: async (operation) => {
            if (operation.kind === 'apply' && current) applying.push(current);
          },
        });
      } catch (error) {
        if (error instanceof SchemaproofError) throw error;
        const file = current as SqlFile | null;
        if (file) throw sqlError('migration', file.displayPath, file.script, failing, error);
        throw error;
      }
      if (!outcome.ok) throw new SchemaproofError(libraryError(outcome.reason as MigrationError));
      for (const policy of policies) {
        failing = null;
        try {
          await tx.query(sql.file(policy.path));
        } catch (error) {
          throw sqlError('policy', policy.displayPath, policy.script, failing, error);
        }
      }
      const recorded = await readApplied(tx);
      checkRecorded(recorded ?? [], files);
      const appliedNames = new Set(applying.map((file) => file.name));
      result = {
        dryRun: options.dryRun === true,
        applied: applying.map((file) => ({ file: file.displayPath, sha256: file.sha256 })),
        alreadyApplied: files
          .filter((file) => !appliedNames.has(file.name) && before.some((row) => row.index === file.index))
          .map((file) => ({ file: file.displayPath, sha256: file.sha256 })),
        policies: policies.map((file) => ({ file: file.displayPath, sha256: file.sha256 })),
        shim,
        durationMs: 0,
      };
      if (options.dryRun) throw new DryRunRollback();
    });
  } catch (error) {
    if (!(error instanceof DryRunRollback)) throw error;
  } finally {
    await db.dispose();
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
  const db = target.connect({ poolSize: 1 });
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
