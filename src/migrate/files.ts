import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { MigrationNaming } from '../config/layout.ts';
import { SchemaproofError } from '../errors/index.ts';

/**
 * How migration files are named and ordered:
 * - `numbered`: this project's `NNNNN-what-it-does.sql`; every `.sql` file must match.
 * - `supabase`: the Supabase CLI's rule (`pkg/migration/list.go`): top-level
 *   files named `<version>_<name>.sql` (version = digits) in file-name byte
 *   order; anything else in the folder is skipped with a reason, as the CLI
 *   skips it with a warning; a first file `<14 digits>_init.sql` older than
 *   20211209000000 is skipped (the CLI's backward-compatibility rule).
 */
export { migrationNamings, type MigrationNaming } from '../config/layout.ts';

export interface SqlFile {
  /** The name the bookkeeping records: the file name (`00003-analytics.sql`); a Supabase file is recorded by its position, `4-20240101120000_init.sql`. */
  readonly name: string;
  /** The file's own name on disk. */
  readonly fileName: string;
  readonly path: string;
  /** Path relative to the project root, for messages. */
  readonly displayPath: string;
  /** The version as written in the file name (`00003`, `20240101120000`); empty for policy files. */
  readonly version: string;
  /** The bookkeeping's key and the apply order: the number (numbered files) or the position in the CLI's order, from 1 (Supabase files). */
  readonly index: number;
  readonly script: string;
  readonly sha256: string;
}

/** A file in the migrations folder that the naming rule does not apply (Supabase naming only). */
export interface SkippedFile {
  readonly file: string;
  readonly reason: string;
}

export interface MigrationSet {
  readonly files: readonly SqlFile[];
  readonly skipped: readonly SkippedFile[];
}

export const migrationNamePattern = /^(\d{5})-[a-z0-9][a-z0-9-]*\.sql$/;
/** The Supabase CLI's `migrateFilePattern`. */
export const supabaseMigrationPattern = /^([0-9]+)_(.*)\.sql$/;
/** The CLI's `initSchemaPattern`: a legacy first migration it does not apply. */
const supabaseInitPattern = /([0-9]{14})_init\.sql/;
const supabaseInitCutoff = 20211209000000;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function readDir(dir: string, role: string): string[] {
  if (!existsSync(dir)) throw new SchemaproofError({ code: 'directory_missing', path: dir, role });
  return readdirSync(dir).sort();
}

function sqlFile(dir: string, root: string, fileName: string, name: string, version: string, index: number): SqlFile {
  const path = join(dir, fileName);
  const script = readFileSync(path, 'utf8');
  return { name, fileName, path, displayPath: relative(root, path) || path, version, index, script, sha256: sha256(script) };
}

function refuseDuplicates(files: readonly SqlFile[]): void {
  const seen = new Map<number, string>();
  for (const file of files) {
    const other = seen.get(file.index);
    if (other) throw new SchemaproofError({ code: 'migration_duplicate_index', files: [other, file.fileName] });
    seen.set(file.index, file.fileName);
  }
}

function numberedFiles(dir: string, root: string): MigrationSet {
  const names = readDir(dir, 'migrations').filter((name) => name.endsWith('.sql') && !name.startsWith('_'));
  const invalid = names.filter((name) => !migrationNamePattern.test(name));
  if (invalid.length > 0) throw new SchemaproofError({ code: 'migration_filename_invalid', files: invalid });
  const files = names.map((name) => {
    const version = migrationNamePattern.exec(name)?.[1] ?? '';
    return sqlFile(dir, root, name, name, version, Number(version));
  });
  refuseDuplicates(files);
  return { files, skipped: [] };
}

/** Go's `fs.ReadDir` order: names compared byte by byte. */
function byteOrder(left: string, right: string): number {
  return Buffer.compare(Buffer.from(left), Buffer.from(right));
}

function supabaseFiles(dir: string, root: string): MigrationSet {
  if (!existsSync(dir)) throw new SchemaproofError({ code: 'directory_missing', path: dir, role: 'migrations' });
  const entries = readdirSync(dir, { withFileTypes: true }).sort((left, right) => byteOrder(left.name, right.name));
  const files: SqlFile[] = [];
  const skipped: SkippedFile[] = [];
  entries.forEach((entry, position) => {
    const shown = relative(root, join(dir, entry.name)) || entry.name;
    if (entry.isDirectory()) {
      skipped.push({ file: shown, reason: 'a folder: only files directly in the migrations folder are migrations' });
      return;
    }
    const legacyInit = supabaseInitPattern.exec(entry.name);
    if (position === 0 && legacyInit && Number(legacyInit[1]) < supabaseInitCutoff) {
      skipped.push({ file: shown, reason: 'a first <timestamp>_init.sql older than 20211209000000, which the Supabase CLI does not apply' });
      return;
    }
    const match = supabaseMigrationPattern.exec(entry.name);
    if (!match) {
      skipped.push({ file: shown, reason: 'the name does not match <version>_<name>.sql, so the Supabase CLI skips it' });
      return;
    }
    // Recorded by position in the CLI's order (bookkeeping.ts says why): `<position>-<file name>`.
    const index = files.length + 1;
    files.push(sqlFile(dir, root, entry.name, `${index}-${entry.name}`, match[1] as string, index));
  });
  const versions = new Map<string, string>();
  for (const file of files) {
    const other = versions.get(file.version);
    // The CLI records the version as the key of supabase_migrations.schema_migrations: two files, one version, fail there.
    if (other) throw new SchemaproofError({ code: 'migration_duplicate_index', files: [other, file.fileName] });
    versions.set(file.version, file.fileName);
  }
  return { files, skipped };
}

/** The migration files in apply order, and (Supabase naming) the files the rule skips. */
export function listMigrationFiles(dir: string, root: string = process.cwd(), naming: MigrationNaming = 'numbered'): MigrationSet {
  return naming === 'supabase' ? supabaseFiles(dir, root) : numberedFiles(dir, root);
}

/** Migration files, validated, in apply order (see `listMigrationFiles`). */
export function readMigrationFiles(dir: string, root: string = process.cwd(), naming: MigrationNaming = 'numbered'): SqlFile[] {
  return [...listMigrationFiles(dir, root, naming).files];
}

/** Policy files: every .sql file, in name order, re-applied on every run. */
export function readPolicyFiles(dir: string, root: string = process.cwd()): SqlFile[] {
  if (!existsSync(dir)) return [];
  return readDir(dir, 'policies')
    .filter((name) => name.endsWith('.sql'))
    .map((name, position) => sqlFile(dir, root, name, name, '', position));
}
