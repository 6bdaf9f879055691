/**
 * What the migration bookkeeping (@databases/pg-migrations) needs from us so
 * that it can record any project's files.
 *
 * The library keys each migration by a small integer `index` taken from the
 * file name (`^\d+-`), stores it as INT, and walks every integer from the
 * largest index down to 0 when checking for duplicates: a 14-digit Supabase
 * version (20240414161707) can be neither its name prefix nor its index. So
 * Supabase files are handed to it under a bookkeeping name carrying their
 * position in the CLI's order (files.ts), and `checkRecordedOrder` checks
 * before anything runs that what was recorded at each position is still the
 * same file, which is the library's own order check restated for names.
 */
import { SchemaproofError } from '../errors/index.ts';
import type { SqlFile } from './files.ts';

type LoadResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: unknown };

/** The part of @databases/migrations-base's directory context the engine uses to read migrations. */
export interface MigrationDirectory {
  listFiles(): Promise<string[]>;
  read(filename: string): Promise<string>;
  write(filename: string, content: string): Promise<void>;
  rename(fromFilename: string, toFilename: string): Promise<void>;
  delete(filename: string): Promise<void>;
  loadMigration(filename: string): LoadResult;
}

function readOnly(): Promise<never> {
  return Promise.reject(new Error('the migrations folder is read-only for schemaproof'));
}

/**
 * A directory context serving exactly `files` (as files.ts validated them)
 * under their bookkeeping names; `original`, the engine's own context, loads
 * each by its real file name, so the engine applies it as it applies any file.
 */
export function migrationDirectory(files: readonly SqlFile[], original: Pick<MigrationDirectory, 'loadMigration'>): MigrationDirectory {
  const byName = new Map(files.map((file) => [file.name, file]));
  const file = (name: string): SqlFile => {
    const found = byName.get(name);
    if (!found) throw new Error(`not a migration of this run: ${name}`);
    return found;
  };
  return {
    listFiles: async () => files.map((entry) => entry.name),
    read: async (name) => file(name).script,
    write: readOnly,
    rename: readOnly,
    delete: readOnly,
    loadMigration: (name) => original.loadMigration(file(name).fileName),
  };
}

export interface RecordedMigration {
  readonly index: number;
  readonly name: string;
}

/** `1-20240101000000_init.sql` → `20240101000000_init.sql`; other names unchanged. */
function recordedFileName(name: string): string {
  return name.replace(/^\d+-(?=\d+_)/, '');
}

/**
 * Supabase files are recorded by position: each recorded migration must still
 * be the file at its position. A recorded file now at a later position means
 * files were added before it (the CLI refuses those too, unless
 * `--include-all`); one that is gone is a missing file. Numbered files are
 * recorded by their own number, and the library checks those.
 */
export function checkRecordedOrder(recorded: readonly RecordedMigration[], files: readonly SqlFile[]): void {
  if (!files.some((file) => file.name !== file.fileName)) return;
  const byName = new Map(files.map((file) => [file.name, file]));
  const byFileName = new Map(files.map((file) => [file.fileName, file]));
  for (const row of [...recorded].sort((left, right) => left.index - right.index)) {
    const file = byName.get(row.name) ?? byFileName.get(recordedFileName(row.name));
    if (!file) throw new SchemaproofError({ code: 'migration_file_missing', file: recordedFileName(row.name) });
    if (file.index === row.index && file.name === row.name) continue;
    const recordedNames = new Set(recorded.map((entry) => recordedFileName(entry.name)));
    const unapplied = files.filter((entry) => entry.index < file.index && !recordedNames.has(entry.fileName)).map((entry) => entry.fileName);
    const applied = files.filter((entry) => entry.index >= file.index && recordedNames.has(entry.fileName)).map((entry) => entry.fileName);
    throw new SchemaproofError({ code: 'migration_order_changed', unapplied, applied });
  }
}
